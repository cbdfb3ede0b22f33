"""Source kind ``export``: a department's 目录 spreadsheet (XLSX, CSV or JSON) plus data files.

The catalog has one row per 信息资源, Chinese headers (their variants are mapped by
``HEADER_SYNONYMS``), and a 数据文件 column naming files next to the catalog. A row without data
files becomes a metadata-only entry.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from datasets.encoding import detect_encoding
from datasets.errors import SourceError, ValidationError
from datasets.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.vocabulary import TOPICS, parse_update_cycle

from .base import GatherItem, GatherResult, SourceKind, local_folder, safe_child
from .normalise import clean_line, clean_text, parse_count, parse_date, parse_range, split_list

CATALOG_NAMES = (
    "目录.xlsx",
    "目录.csv",
    "目录.json",
    "catalog.xlsx",
    "catalog.csv",
    "catalog.json",
)

# field → the headers real catalogs use for it, most common first
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("信息资源名称", "数据集名称", "目录名称", "资源名称", "名称", "标题"),
    "code": ("信息资源代码", "目录代码", "资源代码", "数据集代码", "代码"),
    "provider": (
        "提供方",
        "提供部门",
        "信息资源提供方",
        "来源部门",
        "数据来源",
        "数据提供方",
        "提供单位",
        "数源单位",
        "所属部门",
    ),
    "provider_code": ("提供方代码", "提供部门代码", "提供方统一社会信用代码"),
    "notes": ("摘要", "信息资源摘要", "数据摘要", "摘要信息", "摘要描述", "描述", "简介"),
    "topic": (
        "分类",
        "主题分类",
        "信息资源分类",
        "主题名称",
        "所属领域",
        "数据领域",
        "重点领域",
        "主题领域",
    ),
    "keywords": ("关键字", "关键词", "标签"),
    "openness": ("开放属性", "开放类型", "开放方式"),
    "conditions": ("开放条件",),
    "exclusion_rule": ("不予开放情形", "不予开放类型", "不予开放理由", "不开放情形"),
    "exclusion_basis": ("不予开放依据", "不开放依据", "法律依据"),
    "share_type": ("共享属性", "共享类型"),
    "update_cycle": ("更新周期", "更新频率", "更新频度"),
    "issued": ("发布日期", "发布时间", "创建时间"),
    "modified": ("更新日期", "最近更新日期", "更新时间", "数据更新时间"),
    "temporal": ("数据时间范围", "时间范围"),
    "files": ("数据文件", "数据文件名", "文件", "附件"),
    "license": ("许可协议", "开放协议", "授权协议"),
    "record_count": ("数据量", "记录数", "数据条数"),
    "formats": ("数据格式", "资源格式", "格式"),
    "source_url": ("详情页网址", "链接", "url"),
}


def map_headers(headers: list[str]) -> dict[str, str]:
    """field → header actually present, choosing the most common synonym."""
    present = {h.strip(): h for h in headers if h and h.strip()}
    mapping: dict[str, str] = {}
    for fld, names in HEADER_SYNONYMS.items():
        for name in names:
            if name in present and present[name] not in mapping.values():
                mapping[fld] = present[name]
                break
    return mapping


class ExportSource(SourceKind):
    kind = "export"
    description = "A department export: a 目录 spreadsheet (XLSX/CSV/JSON) plus its data files"

    @classmethod
    def check_location(cls, location: str) -> str:
        return str(_catalog_file(local_folder(location, what="导出目录")))

    def gather(self) -> GatherResult:
        catalog = _catalog_file(local_folder(self.source.location, what="导出目录"))
        rows = _read_catalog(catalog)
        if not rows:
            raise SourceError(f"目录文件没有数据行：{catalog.name}")
        mapping = map_headers(list(rows[0].keys()))
        if "title" not in mapping:
            raise SourceError(f"目录文件缺少“信息资源名称”列：{catalog.name}")
        items: list[GatherItem] = []
        seen: dict[str, int] = {}
        for number, row in enumerate(rows, start=2):
            values = {fld: row.get(header) for fld, header in mapping.items()}
            title = clean_line(values.get("title"))
            if not title:
                if any(clean_text(v) for v in row.values()):
                    key = f"row-{number}"
                    seen[key] = 1
                    items.append(
                        GatherItem(
                            key,
                            {"values": values, "row": row, "line": number, "base": catalog.parent},
                            "",
                        )
                    )
                continue
            base_id = clean_line(values.get("code")) or title
            seen[base_id] = seen.get(base_id, 0) + 1
            identifier = base_id if seen[base_id] == 1 else f"{base_id}#{seen[base_id]}"
            items.append(
                GatherItem(
                    identifier,
                    {"values": values, "row": row, "line": number, "base": catalog.parent},
                    title,
                )
            )
        return GatherResult(items)

    def fetch(self, item: GatherItem) -> HarvestRecord:
        values: dict[str, Any] = item.payload["values"]
        row: dict[str, Any] = item.payload["row"]
        base: Path = item.payload["base"]
        mapped = {h for h in (map_headers(list(row.keys())) or {}).values()}
        unnormalised: dict[str, Any] = {
            k: v for k, v in row.items() if k not in mapped and clean_text(v) is not None
        }
        openness = clean_line(values.get("openness"))
        conditions = clean_text(values.get("conditions"))
        if openness is None and conditions:
            # Some portals (e.g. Guangxi) write the class itself in a 开放条件 column.
            from datasets.openness import parse_openness

            if parse_openness(conditions) is not None:
                openness, conditions = conditions, None
        topic = clean_line(values.get("topic"))
        if topic and topic not in TOPICS:
            unnormalised["分类"] = topic
        cycle_raw = clean_line(values.get("update_cycle"))
        cycle = parse_update_cycle(cycle_raw)
        if cycle_raw and cycle is None:
            unnormalised["更新周期"] = cycle_raw
        issued, modified = (
            _date(values, "issued", unnormalised),
            _date(values, "modified", unnormalised),
        )
        start, end = parse_range(values.get("temporal"))
        files = tuple(self._files(base, values.get("files")))
        formats = split_list(values.get("formats"))
        if formats and not files:
            unnormalised["数据格式"] = formats
        return HarvestRecord(
            identifier=item.identifier,
            title=clean_line(values.get("title")) or "",
            notes=clean_text(values.get("notes")) or "",
            code=clean_line(values.get("code")),
            provider=ProviderRecord(
                clean_line(values.get("provider")) or "", clean_line(values.get("provider_code"))
            ),
            topic=topic,
            keywords=tuple(split_list(values.get("keywords"))),
            openness=openness,
            conditions=conditions,
            exclusion_rule=clean_line(values.get("exclusion_rule")),
            exclusion_basis=clean_text(values.get("exclusion_basis")),
            share_type=clean_line(values.get("share_type")),
            update_cycle=cycle,
            issued=issued,
            modified=modified,
            temporal_start=start,
            temporal_end=end,
            record_count=parse_count(values.get("record_count")),
            license_title=clean_line(values.get("license")),
            source_url=clean_line(values.get("source_url")),
            files=files,
            unnormalised={
                k: str(v) if not isinstance(v, list) else v for k, v in unnormalised.items()
            },
        )

    @staticmethod
    def _files(base: Path, value: Any) -> list[FileRecord]:
        files = []
        for name in split_list(value):
            path = safe_child(base, name)
            if not path.is_file():
                raise ValidationError(f"目录所列数据文件不存在：{name}", {"files": [name]})
            files.append(
                FileRecord(
                    path=path, name=path.stem, title=path.stem, format=path.suffix.lstrip(".")
                )
            )
        return files


def _date(values: dict[str, Any], key: str, unnormalised: dict[str, Any]) -> Any:
    raw = values.get(key)
    parsed = parse_date(raw)
    if parsed is None and clean_text(raw):
        unnormalised[key] = str(raw)
    return parsed


def _catalog_file(path: Path) -> Path:
    if path.is_file():
        if path.suffix.lower() not in (".xlsx", ".csv", ".json"):
            raise SourceError(f"目录文件须为 XLSX、CSV 或 JSON：{path.name}")
        return path
    for name in CATALOG_NAMES:
        if (path / name).is_file():
            return path / name
    raise SourceError(f"导出目录中没有目录文件（{'、'.join(CATALOG_NAMES[:3])}）：{path.name}")


def _read_catalog(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open(encoding=detect_encoding(path), newline="") as handle:
                return [dict(r) for r in csv.DictReader(handle)]
        if suffix == ".json":
            data = json.loads(path.read_text(encoding=detect_encoding(path)))
            if isinstance(data, dict):
                data = data.get("data") or data.get("datasets") or data.get("result") or []
            if not isinstance(data, list):
                raise SourceError(f"JSON 目录须为对象数组：{path.name}")
            return [r for r in data if isinstance(r, dict)]
        return _read_xlsx(path)
    except (ValidationError, json.JSONDecodeError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"目录文件无法读取：{path.name}（{exc}）") from None


def _read_xlsx(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds on a bad file
        raise SourceError(f"目录文件无法读取：{path.name}（{type(exc).__name__}）") from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header: list[str] | None = None
        out = []
        for row in rows:
            cells = list(row)
            if header is None:
                if any(c not in (None, "") for c in cells):
                    header = [str(c).strip() if c is not None else "" for c in cells]
                continue
            if all(c in (None, "") for c in cells):
                continue
            out.append({h: cells[i] if i < len(cells) else None for i, h in enumerate(header) if h})
        return out
    finally:
        workbook.close()
