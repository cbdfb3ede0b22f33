"""Source kind ``export``: a department's 目录 (XLSX, CSV or JSON catalog) plus data files.

The catalog has one row per 信息资源 with Chinese headers; the variants real portals use are
mapped by ``HEADER_SYNONYMS`` and their values normalised (placeholders such as 暂无 are empty,
开放属性 typos and other class names map to our classes, 更新频率 to the standard cycles, counts
such as "44,270" to numbers, format lists such as "['xls', 'api']" to lists). A 数据文件 column
names files next to the catalog; a row without data files becomes a metadata-only entry.

Nothing is silently dropped. Each record's ``unnormalised`` keeps, under the catalog's own header,
every value that could not be mapped and every column we do not map, plus ``_normalised`` (what
changed form: header → "raw → value") and ``_notes`` (inconsistencies such as an update date
before the publication date).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from datasets.errors import SourceError
from datasets.intake.records import HarvestRecord
from harvester.base import GatherItem, GatherResult, SourceKind, local_folder
from harvester.export_read import (
    CATALOG_NAMES,
    NO_TITLE,
    catalog_file,
    catalog_headers,
    read_catalog,
)
from harvester.export_rows import RowReader
from harvester.normalise import (
    clean_line,
    clean_text,
)

__all__ = ["CATALOG_NAMES", "HEADER_SYNONYMS", "ExportSource", "map_headers"]

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
    "industry": ("所属行业", "行业分类", "行业"),
    "keywords": ("关键字", "关键词", "标签"),
    "openness": ("开放属性", "开放类型", "开放方式"),
    "conditions": ("开放条件",),
    "exclusion_rule": ("不予开放情形", "不予开放类型", "不予开放理由", "不开放情形"),
    "exclusion_basis": ("不予开放依据", "不开放依据", "法律依据"),
    "share_type": ("共享属性", "共享类型"),
    "share_conditions": ("共享条件",),
    "share_method": ("共享方式",),
    "share_basis": ("不予共享依据", "共享依据"),
    "update_cycle": ("更新周期", "更新频率", "更新频度"),
    "issued": ("发布日期", "发布时间", "创建时间"),
    "modified": ("更新日期", "最近更新日期", "更新时间", "数据更新时间"),
    "temporal": ("数据时间范围", "时间范围"),
    "files": ("数据文件", "数据文件名", "文件", "附件"),
    "license": ("许可协议", "开放协议", "授权协议"),
    "record_count": ("数据量", "记录数", "数据条数"),
    "formats": ("数据格式", "资源格式", "格式"),
    "source_url": ("详情页网址", "详情页", "链接", "网址", "url"),
}

_MAX_IDENTIFIER = 250  # datasets.source_identifier is 300 characters


def map_headers(headers: list[str]) -> dict[str, str]:
    """field → header actually present, choosing the most common synonym (Latin names in any
    case)."""
    present: dict[str, str] = {}
    for header in headers:
        if isinstance(header, str) and header.strip():
            present.setdefault(header.strip().lower(), header)
    mapping: dict[str, str] = {}
    for fld, names in HEADER_SYNONYMS.items():
        for name in names:
            found = present.get(name.lower())
            if found is not None and found not in mapping.values():
                mapping[fld] = found
                break
    return mapping


class ExportSource(SourceKind):
    kind = "export"
    description = "A department export: a 目录 spreadsheet or JSON catalog plus its data files"

    @classmethod
    def check_location(cls, location: str) -> str:
        catalog = catalog_file(local_folder(location, what="导出目录"))
        _mapping(catalog, read_catalog(catalog))
        return str(catalog)

    def gather(self) -> GatherResult:
        catalog = catalog_file(local_folder(self.source.location, what="导出目录"))
        rows = read_catalog(catalog)
        mapping = _mapping(catalog, rows)
        is_json = catalog.suffix.lower() == ".json"
        items: list[GatherItem] = []
        errors: dict[str, str] = {}
        numbers: dict[str, int] = {}  # base identifier → how many rows used it
        first: dict[str, tuple[str, str]] = {}  # row content → (identifier, position)
        copies: dict[str, int] = {}
        for n, row in enumerate(rows, start=1):
            # a spreadsheet's header is its first line; a JSON catalog counts entries
            position = f"第 {n} 条" if is_json else f"第 {n + 1} 行"
            payload = {"row": row, "mapping": mapping, "base": catalog.parent}
            title = clean_line(row.get(mapping["title"]))
            if not title:
                if any(clean_text(v) for v in row.values() if not isinstance(v, list | dict)):
                    items.append(GatherItem(f"row-{n + (0 if is_json else 1)}", payload, ""))
                continue
            content = json.dumps(row, sort_keys=True, default=str, ensure_ascii=False)
            if content in first:
                # crawled and exported catalogs repeat whole entries; one dataset is enough
                identifier, where = first[content]
                copies[identifier] = copies.get(identifier, 1) + 1
                errors[f"{identifier}#重复{copies[identifier]}"] = (
                    f"{position}与{where}完全相同，重复条目未导入"
                )
                continue
            base_id = _base_identifier(row, mapping, title)
            numbers[base_id] = numbers.get(base_id, 0) + 1
            identifier = base_id if numbers[base_id] == 1 else f"{base_id}#{numbers[base_id]}"
            first[content] = (identifier, position)
            items.append(GatherItem(identifier, payload, title))
        return GatherResult(items, errors)

    def fetch(self, item: GatherItem) -> HarvestRecord:
        row: dict[str, Any] = item.payload["row"]
        mapping: dict[str, str] = item.payload["mapping"]
        base: Path = item.payload["base"]
        return RowReader(row, mapping).record(item.identifier, base)


def _mapping(catalog: Path, rows: list[dict[str, Any]]) -> dict[str, str]:
    if not rows:
        raise SourceError(f"目录文件没有数据行：{catalog.name}")
    headers = catalog_headers(rows)
    mapping = map_headers(headers)
    if "title" not in mapping:
        shown = "、".join(headers[:8]) + ("…" if len(headers) > 8 else "")
        raise SourceError(f"{NO_TITLE}：{catalog.name}（现有字段：{shown or '无'}）")
    return mapping


def _base_identifier(row: dict[str, Any], mapping: dict[str, str], title: str) -> str:
    """The catalog code, else title@provider: titles repeat across departments."""
    code = clean_line(row.get(mapping.get("code", "")))
    if code:
        base = code
    else:
        provider = clean_line(row.get(mapping.get("provider", "")))
        base = f"{title}@{provider}" if provider else title
    if len(base) > _MAX_IDENTIFIER:
        digest = hashlib.sha1(base.encode("utf-8")).hexdigest()[:12]  # noqa: S324 — a name
        base = f"{base[:200]}~{digest}"
    return base
