"""Flags that need the whole catalog: duplicates and 碎片化 (one table split into small ones)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from datasets.catalog.quality.criteria import (
    FRAGMENT_MIN,
    SMALL_TABLE_ROWS,
    DatasetView,
    assess,
    flag,
    own_flags,
)


def _title_key(title: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", title)).casefold()


def find_duplicates(views: Sequence[DatasetView]) -> dict[str, dict[str, Any]]:
    """Datasets with the same title and provider as another one, or an identical data file."""
    by_title: dict[tuple[str, str], list[DatasetView]] = defaultdict(list)
    by_file: dict[str, list[DatasetView]] = defaultdict(list)
    for v in views:
        by_title[(v.provider_id, _title_key(v.title))].append(v)
        if not v.closed:  # files of closed entries are not public
            for sha in {f.sha256 for f in v.files if f.size and f.sha256}:
                by_file[sha].append(v)
    same_title: dict[str, dict[str, DatasetView]] = defaultdict(dict)
    same_file: dict[str, dict[str, DatasetView]] = defaultdict(dict)
    for groups, found in ((by_title, same_title), (by_file, same_file)):
        for group in groups.values():
            for v in group if len(group) > 1 else ():
                found[v.id].update((o.id, o) for o in group if o.id != v.id)
    out = {}
    for v in views:
        titled = list(same_title.get(v.id, {}).values())
        filed = list(same_file.get(v.id, {}).values())
        if not (titled or filed):
            continue
        notes = []
        if titled:
            notes.append(f"与{_names(titled)}的标题和提供部门相同")
        if filed:
            notes.append(f"与{_names(filed)}的数据文件完全相同")
        others = {o.id: o for o in titled + filed}
        out[v.id] = flag("duplicate", "；".join(notes), list(others.values()))
    return out


def _names(views: Sequence[DatasetView], limit: int = 3) -> str:
    shown = "、".join(f"“{v.title}”（{v.name}）" for v in views[:limit])
    return shown + (f"等 {len(views)} 个数据集" if len(views) > limit else "")


_YEAR_MONTH = re.compile(
    r"(?<!\d)(?:19|20)\d{2}\s*(?:年|[-./])\s*(?:1[0-2]|0?[1-9])(?!\d)\s*(?:月份|月)?"
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)\s*(?:年度|年)?")
_MONTH = re.compile(r"(?<![\d年])(?:1[0-2]|0?[1-9])(?:月份|月)")
_DISTRICT_ENDS = "区县旗"
_HAN = re.compile(r"[\u4e00-\u9fff]+")
SPLITS = {"year-month": "年月", "year": "年份", "month": "月份", "district": "区县"}
_SLOT = "\x00"


def split_keys(title: str) -> list[tuple[str, str, str]]:
    """(split kind, title with the varying part replaced by a slot, the varying part) for every
    way the title could be one table of a series split by year, month or district."""
    keys = []
    for kind, pattern in (("year-month", _YEAR_MONTH), ("year", _YEAR), ("month", _MONTH)):
        found = pattern.findall(title)
        if found:
            keys.append((kind, pattern.sub(_SLOT, title), "".join(found)))
    for end, char in enumerate(title):
        if char not in _DISTRICT_ENDS:
            continue
        for length in range(2, 6):  # 江南区, 高新区, 浦东新区, 经济开发区
            start = end + 1 - length
            token = title[start : end + 1]
            if start >= 0 and _HAN.fullmatch(token):
                keys.append(("district", title[:start] + _SLOT + title[end + 1 :], token))
    return keys


def find_fragments(views: Sequence[DatasetView]) -> dict[str, dict[str, Any]]:
    """碎片化: at least FRAGMENT_MIN small tables of one provider whose titles differ only by a
    year, a month or a district name. Each member gets a flag naming its group."""
    series: dict[tuple[str, str, str], dict[str, DatasetView]] = defaultdict(dict)
    for v in views:
        if v.closed or v.rows is None or v.rows >= SMALL_TABLE_ROWS:
            continue
        for kind, stem, token in split_keys(v.title.strip()):
            series[(v.provider_id, kind, stem)].setdefault(token, v)
    best: dict[str, tuple[int, int, tuple[str, str, str]]] = {}
    for key, members in series.items():
        rank = (len({v.id for v in members.values()}), len(key[2]))
        if rank[0] < FRAGMENT_MIN:
            continue
        for v in members.values():
            if v.id not in best or rank > best[v.id][:2]:
                best[v.id] = (*rank, key)
    out = {}
    for dataset_id, (_count, _len, key) in best.items():
        _provider, kind, stem = key
        group = sorted({m.id: m for m in series[key].values()}.values(), key=lambda m: m.title)
        label = stem.replace(_SLOT, f"〈{SPLITS[kind]}〉")
        note = (
            f"“{label}”按{SPLITS[kind]}拆分为 {len(group)} 个小表"
            f"（每个不足 {SMALL_TABLE_ROWS} 行），宜合并为一个数据集"
        )
        others = [m for m in group if m.id != dataset_id]
        out[dataset_id] = flag(
            "fragmented", note, others, group={"label": label, "by": kind, "size": len(group)}
        )
    return out


def score_catalog(views: Sequence[DatasetView]) -> dict[str, dict[str, Any]]:
    """The quality of every dataset of a catalog, by dataset id."""
    duplicates = find_duplicates(views)
    fragments = find_fragments(views)
    out = {}
    for v in views:
        flags = [f for f in (duplicates.get(v.id), fragments.get(v.id)) if f]
        out[v.id] = assess(v, flags + own_flags(v))
    return out


# ── From database rows to views, and back ──────────────────────────────────────────────────────
