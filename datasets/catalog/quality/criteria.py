"""Quality criteria and flags: the table, and ``assess`` — the one function applying it.

Every criterion has a stable code, a Chinese title, a weight in points (together 100) and a small
pure function of a ``DatasetView`` — plain data built from database rows by ``build_view`` — that
returns the points earned and a one-line explanation, or "not applicable" (left out of the
denominator). Flags earn no points; they are shown with the score and cap the grade. Duplicates and
碎片化 need the whole catalog, so ``refresh_quality`` rescores every active dataset in one pass and
stores the result in ``Dataset.quality`` (``package_dict`` shows it as ``quality``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from datasets.catalog.vocabulary import CYCLES_BY_CODE, is_overdue
from datasets.openness import rules as op

MACHINE_READABLE = frozenset({"csv", "tsv", "xlsx", "xls", "ods", "json", "geojson", "xml"})
DESCRIPTION_CHARS = 80  # a description this long (plain text) earns full points
CAPACITY_CELLS = 100_000  # rows × columns earning full points (log scale below)
SMALL_TABLE_ROWS = 50  # 碎片化: a table with fewer rows is small …
FRAGMENT_MIN = 5  # … and this many small tables of one provider split by year/district/month
GRADES: tuple[tuple[str, int], ...] = (("A", 85), ("B", 70), ("C", 55), ("D", 0))
MAX_OTHERS = 20  # other datasets named by a duplicate or fragmented flag
# a conditional entry whose files the public cannot see: its data criteria do not apply
HIDDEN_NOTE = "有条件开放，数据须申请后获取，公众看不到数据文件，本项不适用"
# a closed entry gets no grade (it publishes no data); its 目录 completeness is still shown
UNGRADED_NOTE = "不予开放的数据不提供数据文件，不评定质量等级"

# 目录 fields checked by "metadata-complete"; the flag says whether a 不予开放 entry must have it
# too (its other fields are not public, see datasets.catalog.packages).
CATALOG_FIELDS: tuple[tuple[str, bool], ...] = (
    ("名称", True),
    ("代码", True),
    ("分类", True),
    ("提供方及代码", True),
    ("摘要", False),
    ("开放属性", True),
    ("共享属性", False),
    ("更新周期", True),
    ("发布日期", True),
    ("最近更新日期", True),
    ("数据时间范围", False),
    ("信息项", False),
)


@dataclass(frozen=True)
class FileView:
    name: str
    format: str
    size: int = 0
    sha256: str = ""
    rows: int | None = None
    status: str | None = None  # validation status: success | failure | error | None
    errors: int | None = None  # errors in the validation report
    checked_rows: int | None = None  # rows the validator read
    fields: int | None = None  # columns of its table
    unmirrored: bool = False  # not downloaded (未镜像): never scanned nor validated here


@dataclass(frozen=True)
class DatasetView:
    """What the score looks at, as plain values."""

    id: str
    name: str
    title: str
    provider_id: str
    openness: str
    today: date
    filled: frozenset[str] = frozenset()  # labels of CATALOG_FIELDS that are filled in
    licence: str | None = None
    description_chars: int = 0
    files: tuple[FileView, ...] = ()
    rows: int | None = None
    fields: int | None = None
    capacity: int | None = None  # cells of its tables (each table's rows × columns, summed)
    update_cycle: str | None = None
    modified: date | None = None
    revision: int | None = None  # the dataset revision the view was read from

    @property
    def closed(self) -> bool:
        return self.openness == op.CLOSED

    @property
    def conditional(self) -> bool:
        return self.openness == op.CONDITIONAL


@dataclass(frozen=True)
class Assessment:
    points: int | None  # None: the criterion does not apply to this dataset
    note: str
    value: float | int | None = None  # the figure behind the points, for API users


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    weight: int
    assess: Callable[[DatasetView, int], Assessment]


@dataclass(frozen=True)
class Flag:
    code: str
    title: str
    cap: str  # the best grade a dataset with this flag can get


def _not_open(view: DatasetView) -> Assessment | None:
    """Not applicable: a closed entry has no data; a conditional one is graded on what the
    public can see (``load_views`` keeps only its files with a public version)."""
    if view.closed:
        return Assessment(None, "不予开放，不提供数据，本项不适用")
    if view.conditional and not view.files:
        return Assessment(None, HIDDEN_NOTE)
    return None


def machine_readable(view: DatasetView, weight: int) -> Assessment:
    if view.closed:
        return Assessment(None, "不予开放，仅公开目录，无数据文件，本项不适用")
    if view.conditional and not view.files:
        return Assessment(None, HIDDEN_NOTE)
    if not view.files:
        return Assessment(0, "目录声明开放，但未提供数据文件")
    formats = sorted({f.format.upper() for f in view.files})
    readable = [f for f in formats if f.lower() in MACHINE_READABLE]
    others = [f for f in formats if f.lower() not in MACHINE_READABLE]
    if not readable:
        return Assessment(0, f"仅提供 {'、'.join(formats)} 格式，不可机读")
    note = f"提供机器可读格式 {'、'.join(readable)}"
    return Assessment(weight, note + (f"（{'、'.join(others)} 不可机读）" if others else ""))


def metadata_complete(view: DatasetView, weight: int) -> Assessment:
    wanted = [label for label, closed_too in CATALOG_FIELDS if closed_too or not view.closed]
    missing = [label for label in wanted if label not in view.filled]
    have = len(wanted) - len(missing)
    points = _share_points(weight, have / len(wanted), full=not missing)
    if not missing:
        return Assessment(points, f"目录信息 {have}/{len(wanted)} 项齐全", have)
    return Assessment(points, f"目录信息 {have}/{len(wanted)} 项，缺少：{'、'.join(missing)}", have)


def licence(view: DatasetView, weight: int) -> Assessment:
    if view.closed:
        return Assessment(None, "不予开放，不提供数据，本项不适用")
    if view.licence:
        return Assessment(weight, f"许可协议：{view.licence}")
    return Assessment(0, "未注明许可协议")


def description(view: DatasetView, weight: int) -> Assessment:
    if view.closed:
        return Assessment(None, "不予开放，摘要不公开，本项不适用")
    chars = view.description_chars
    points = _share_points(weight, chars / DESCRIPTION_CHARS, full=chars >= DESCRIPTION_CHARS)
    if chars >= DESCRIPTION_CHARS:
        return Assessment(points, f"摘要 {chars} 字", chars)
    if chars == 0:
        return Assessment(0, "没有摘要", 0)
    return Assessment(points, f"摘要 {chars} 字，不足 {DESCRIPTION_CHARS} 字", chars)


def valid_data(view: DatasetView, weight: int) -> Assessment:
    if (skip := _not_open(view)) is not None:
        return skip
    tables = [f for f in view.files if f.status]
    unchecked = [f.name for f in view.files if f.unmirrored]
    if not tables:
        if unchecked:
            return Assessment(0, f"文件未镜像，未经校验：{'、'.join(unchecked)}")
        return Assessment(0, "没有经过校验的表格文件" if view.files else "未提供数据文件")
    clean = total = 0.0
    failed = broken = guessed = 0
    for f in tables:
        rows = max(f.checked_rows or f.rows or 0, 1)
        total += rows
        if f.status == "success":
            clean += rows
        elif f.status == "failure":
            failed += 1
            if f.checked_rows and f.errors is not None:  # at most one row per error
                clean += rows * max(0.0, 1 - f.errors / f.checked_rows)
            else:
                guessed += 1
                clean += rows / 2
        else:
            broken += 1
    share = clean / total
    points = _share_points(weight, share, full=not (failed or broken))
    if not (failed or broken):
        return Assessment(points, f"{len(tables)} 个表格全部通过校验", 1.0)
    parts = [f"{failed} 个发现问题"] if failed else []
    if broken:
        parts.append(f"{broken} 个无法读取")
    note = f"{len(tables)} 个表格中有 {'、'.join(parts)}"
    if failed:
        estimate = "无法统计出错行数的按一半计" if guessed else "按错误数估算"
        note += f"；{estimate}，约 {share:.0%} 的行无错误"
    return Assessment(points, note, round(share, 3))


def timely(view: DatasetView, weight: int) -> Assessment:
    if view.closed:
        return Assessment(None, "不予开放，不考核更新及时性，本项不适用")
    cycle = view.update_cycle
    if not cycle or cycle not in CYCLES_BY_CODE:
        return Assessment(_share_points(weight, 0.5), "未注明更新周期，无法判断是否按时更新")
    days = CYCLES_BY_CODE[cycle].days
    if days is None:
        return Assessment(weight, f"更新周期为{cycle}，不考核更新时限")
    if view.modified is None:
        return Assessment(_share_points(weight, 0.5), "未注明最近更新日期，无法判断是否按时更新")
    age = (view.today - view.modified).days
    if is_overdue(cycle, view.modified, view.today):
        return Assessment(0, overdue_note(view), age)
    return Assessment(weight, f"最近更新 {view.modified.isoformat()}，在“{cycle}”周期内", age)


def overdue_note(view: DatasetView) -> str:
    days = CYCLES_BY_CODE[view.update_cycle or ""].days or 0
    assert view.modified is not None  # only called for overdue datasets
    due = view.modified + timedelta(days=days)
    late = (view.today - due).days
    return (
        f"最近更新 {view.modified.isoformat()}，按“{view.update_cycle}”周期应于 "
        f"{due.isoformat()} 前更新，已逾期 {late} 天"
    )


def capacity_of(tables: Iterable[tuple[int | None, int | None]]) -> int | None:
    """数据容量 of a dataset's tables, (rows, columns) each: every table's rows × columns,
    summed (a dataset of a station list and a daily table holds both, not its rows times the
    first table's columns); ``None`` when no table has both counts."""
    counted = [rows * fields for rows, fields in tables if rows is not None and fields]
    return sum(counted) if counted else None


def capacity(view: DatasetView, weight: int) -> Assessment:
    if (skip := _not_open(view)) is not None:
        return skip
    cells = view.capacity
    if cells is None:
        cells = (view.rows or 0) * (view.fields or 0)
    if not cells:
        if view.rows == 0 or view.capacity == 0:
            return Assessment(0, "数据为空，容量为 0", 0)
        return Assessment(0, "没有结构化记录，无法计算容量")
    share = math.log10(cells) / math.log10(CAPACITY_CELLS)
    points = _share_points(weight, share, full=cells >= CAPACITY_CELLS)
    tables = sum(1 for f in view.files if f.rows and f.fields)
    if tables > 1:
        note = f"容量 {tables} 个表格合计 {cells:,}（各表行数 × 列数之和）"
    else:
        note = f"容量 {view.rows:,} 行 × {view.fields:,} 列 = {cells:,}"
    return Assessment(points, note + f"（{CAPACITY_CELLS:,} 及以上满分）", cells)


def _share_points(weight: int, share: float, *, full: bool = False) -> int:
    """Points for a share of the criterion; only a perfect result earns the full weight."""
    if full:
        return weight
    return min(weight - 1, max(0, math.floor(weight * min(share, 1.0) + 0.5)))


CRITERIA: tuple[Criterion, ...] = (
    Criterion("machine-readable", "机器可读格式", 20, machine_readable),
    Criterion("metadata-complete", "目录信息完整", 20, metadata_complete),
    Criterion("licence", "许可协议", 10, licence),
    Criterion("description", "摘要说明", 10, description),
    Criterion("valid-data", "数据校验", 15, valid_data),
    Criterion("timely", "更新及时", 15, timely),
    Criterion("capacity", "数据容量", 10, capacity),
)
FLAGS: tuple[Flag, ...] = (
    Flag("empty-file", "空文件", "C"),
    Flag("duplicate", "重复数据", "C"),
    Flag("fragmented", "碎片化", "C"),
    Flag("overdue", "更新逾期", "B"),
    Flag("unmirrored", "文件未镜像", "B"),
)
FLAGS_BY_CODE = {f.code: f for f in FLAGS}


def grade_for(score: int) -> str:
    return next(grade for grade, floor in GRADES if score >= floor)


def flag(code: str, note: str, other: Sequence[DatasetView] = (), **extra: Any) -> dict[str, Any]:
    """A flag as stored: ``other`` names the datasets it concerns (the first MAX_OTHERS)."""
    others = [{"name": v.name, "title": v.title} for v in other[:MAX_OTHERS]]
    return {
        "code": code,
        "title": FLAGS_BY_CODE[code].title,
        "note": note,
        "other": others,
        **extra,
    }


def own_flags(view: DatasetView) -> list[dict[str, Any]]:
    """The flags one dataset raises on its own: empty and unmirrored files, an overdue
    update."""
    out = []
    empty = [f.name for f in view.files if not f.unmirrored and (f.size == 0 or f.rows == 0)]
    if empty and not view.closed:
        out.append(flag("empty-file", f"数据文件没有数据：{'、'.join(empty)}"))
    unmirrored = [f.name for f in view.files if f.unmirrored]
    if unmirrored and not view.closed:
        note = f"未能从数据提供方下载，未经平台校验：{'、'.join(unmirrored)}"
        out.append(flag("unmirrored", note))
    if not view.closed and is_overdue(view.update_cycle, view.modified, view.today):
        out.append(flag("overdue", overdue_note(view)))
    return out


def assess(view: DatasetView, flags: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The stored quality of one dataset: score 0–100, grade, each criterion, flags."""
    criteria = []
    earned = possible = 0
    for c in CRITERIA:
        result = c.assess(view, c.weight)
        applies = result.points is not None
        if applies:
            earned += result.points or 0
            possible += c.weight
        criteria.append(
            {
                "code": c.code,
                "title": c.title,
                "points": result.points or 0,
                "max": c.weight,
                "applies": applies,
                "note": result.note,
                "value": result.value,
            }
        )
    score: int | None = round(100 * earned / possible) if possible else 0
    grade: str | None = grade_for(score or 0)
    capped_by = [f["code"] for f in flags if FLAGS_BY_CODE[f["code"]].cap > (grade or "")]
    if capped_by:  # grades compare as letters: "C" > "B" is the worse one
        grade = max(FLAGS_BY_CODE[code].cap for code in capped_by)
    if view.closed:  # no data, no grade: a badge would praise an entry the public cannot use
        score = grade = None
        capped_by = []
    return {
        "score": score,
        "grade": grade,
        "graded": not view.closed,
        "note": UNGRADED_NOTE if view.closed else "",
        "capped_by": capped_by,
        "criteria": criteria,
        "flags": list(flags),
        "computed_on": view.today.isoformat(),
        "revision": view.revision,
    }


# ── Flags that need the whole catalog ───────────────────────────────────────────────────────────
