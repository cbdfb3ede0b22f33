"""Source kind ``datapackage``: a folder of Frictionless data packages, or one datapackage.json.

Besides the standard properties a package may carry our 目录 properties: ``openness``,
``exclusion_rule``, ``exclusion_basis``, ``provider`` ({name, code}), ``topic``,
``update_cycle``, ``conditions``, ``code``, ``share_type``, ``issued``, ``modified``,
``temporal`` ({start, end}) and ``masking`` ({column: masking policy code}).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasets.catalog.vocabulary import TOPICS, parse_update_cycle
from datasets.errors import SourceError, ValidationError
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from harvester.base import GatherItem, GatherResult, SourceKind, local_folder, safe_child
from harvester.json_input import JsonInputError, load_json
from harvester.normalise import clean_line, clean_text, parse_count, parse_date, split_list
from harvester.remote import fit_identifier, one_line

DESCRIPTOR = "datapackage.json"


class DataPackageSource(SourceKind):
    kind = "datapackage"
    description = "Frictionless data packages: a folder of packages or one datapackage.json"

    @classmethod
    def check_location(cls, location: str) -> str:
        path = local_folder(location, what="数据包目录")
        if path.is_file() and path.name.endswith(".json"):
            return str(path)
        if path.is_dir():
            return str(path)
        raise SourceError(f"不是数据包目录或 datapackage.json：{location}")

    def _descriptors(self) -> list[Path]:
        path = local_folder(self.source.location, what="数据包目录")
        if path.is_file():
            return [path]
        if (path / DESCRIPTOR).is_file():
            return [path / DESCRIPTOR]
        found = sorted(p / DESCRIPTOR for p in path.iterdir() if (p / DESCRIPTOR).is_file())
        if not found:
            raise SourceError(f"目录中没有找到 {DESCRIPTOR}：{self.source.location}")
        return found

    def gather(self) -> GatherResult:
        items: list[GatherItem] = []
        errors: dict[str, str] = {}
        for descriptor in self._descriptors():
            fallback_id = descriptor.parent.name
            try:
                data = load_json(descriptor.read_bytes())
            except OSError as exc:
                errors[fallback_id] = f"{DESCRIPTOR} 无法读取：{exc.strerror or exc}"
                continue
            except JsonInputError as exc:
                errors[fallback_id] = f"{DESCRIPTOR} 无法解析：{exc.reason}"
                continue
            if not isinstance(data, dict):
                errors[fallback_id] = f"{DESCRIPTOR} 不是 JSON 对象"
                continue
            identifier = fit_identifier(
                clean_line(data.get("name")) or clean_line(data.get("id")) or fallback_id
            )
            if identifier in {i.identifier for i in items}:
                errors[f"{identifier}@{fallback_id}"] = f"数据包名称重复：{identifier}"
                continue
            items.append(
                GatherItem(
                    identifier,
                    {"descriptor": data, "base": descriptor.parent},
                    one_line(clean_line(data.get("title")) or identifier),
                )
            )
        return GatherResult(items, errors)

    def fetch(self, item: GatherItem) -> HarvestRecord:
        data: dict[str, Any] = item.payload["descriptor"]
        base: Path = item.payload["base"]
        unnormalised: dict[str, Any] = {}
        provider_rec = _provider(data.get("provider"))
        topic = clean_line(data.get("topic"))
        if topic and topic not in TOPICS:
            unnormalised["topic"] = topic
        cycle_raw = data.get("update_cycle")
        cycle = parse_update_cycle(cycle_raw)
        if cycle_raw and cycle is None:
            unnormalised["update_cycle"] = cycle_raw
        found = data.get("temporal")
        temporal: dict[str, Any] = found if isinstance(found, dict) else {}
        licenses = data.get("licenses")
        license_ = licenses[0] if isinstance(licenses, list) and licenses else {}
        if not isinstance(license_, dict):
            license_ = {}
        resources = data.get("resources") or []
        if not isinstance(resources, list):
            raise ValidationError("resources 须为资源对象的列表", {"resources": ["list"]})
        files = tuple(self._files(base, resources))
        masking = data.get("masking") or {}
        if not isinstance(masking, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in masking.items()
        ):
            raise ValidationError(
                "masking 须为“字段名: 脱敏规则代码”的对象", {"masking": ["object"]}
            )
        return HarvestRecord(
            identifier=item.identifier,
            name=clean_line(data.get("name")),
            title=clean_line(data.get("title")) or "",
            notes=clean_text(data.get("description")) or "",
            code=clean_line(data.get("code")),
            provider=provider_rec,
            topic=topic,
            keywords=tuple(split_list(data.get("keywords"))),
            openness=clean_line(data.get("openness")),
            conditions=clean_text(data.get("conditions")),
            exclusion_rule=clean_line(data.get("exclusion_rule")),
            exclusion_basis=clean_text(data.get("exclusion_basis")),
            **_sharing(data),
            update_cycle=cycle,
            issued=parse_date(data.get("issued") or data.get("created")),
            modified=parse_date(data.get("modified") or data.get("updated")),
            temporal_start=parse_date(temporal.get("start")),
            temporal_end=parse_date(temporal.get("end")),
            record_count=parse_count(data.get("record_count")),
            license_id=clean_line(license_.get("name") or license_.get("id")),
            license_title=clean_line(license_.get("title")),
            license_url=clean_line(license_.get("path")),
            source_url=clean_line(data.get("homepage")),
            files=files,
            masking={k.strip(): v.strip() for k, v in masking.items()},
            unnormalised=unnormalised,
        )

    def _files(self, base: Path, resources: list[Any]) -> list[FileRecord]:
        files = []
        for n, res in enumerate(resources):
            if not isinstance(res, dict):
                raise ValidationError(f"第 {n + 1} 个资源不是 JSON 对象", {"resources": [str(n)]})
            path_value = res.get("path")
            if isinstance(path_value, list):  # multipart resources are joined by no one here
                raise ValidationError("暂不支持分片资源", {"resources": [str(n)]})
            if not isinstance(path_value, str) or not path_value.strip():
                raise ValidationError(f"资源 {res.get('name', n)} 缺少 path", {"path": [str(n)]})
            if "://" in path_value:
                raise ValidationError(
                    f"数据包资源须为本地文件：{path_value}", {"path": [path_value]}
                )
            path = safe_child(base, path_value)
            if not _is_file(path):
                raise ValidationError(f"数据文件不存在：{path_value}", {"path": [path_value]})
            files.append(
                FileRecord(
                    path=path,
                    name=clean_line(res.get("name")) or path.stem,
                    title=clean_line(res.get("title")) or "",
                    description=clean_text(res.get("description")) or "",
                    format=clean_line(res.get("format")) or path.suffix.lstrip("."),
                    media_type=clean_line(res.get("mediatype")),
                    declared_encoding=clean_line(res.get("encoding")),
                    schema=self._schema(base, res.get("schema")),
                )
            )
        return files

    @staticmethod
    def _schema(base: Path, schema: Any) -> dict[str, Any]:
        if isinstance(schema, dict):
            return schema
        if isinstance(schema, str) and schema.strip() and "://" not in schema:
            path = safe_child(base, schema)
            try:
                loaded = load_json(path.read_bytes())
            except OSError as exc:
                raise ValidationError(
                    f"表结构文件无法读取：{schema}（{exc.strerror or exc}）"
                ) from None
            except JsonInputError as exc:
                raise ValidationError(f"表结构文件无法读取：{schema}（{exc.reason}）") from None
            return loaded if isinstance(loaded, dict) else {}
        return {}


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system
        return False


def _sharing(data: dict[str, Any]) -> dict[str, Any]:
    """共享属性 with its conditions, ways and basis, as declared (checked at import)."""
    return {
        "share_type": clean_line(data.get("share_type")),
        "share_conditions": clean_text(data.get("share_conditions")),
        "share_method": clean_line(data.get("share_method")),
        "share_basis": clean_text(data.get("share_basis")),
    }


def _provider(provider: Any) -> ProviderRecord:
    """The department a descriptor names: an object with name (or title) and code, or a name."""
    if isinstance(provider, dict):
        return ProviderRecord(
            clean_line(provider.get("name") or provider.get("title")) or "",
            clean_line(provider.get("code")),
        )
    return ProviderRecord(clean_line(provider) or "")
