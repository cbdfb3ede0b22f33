"""Publish gates: the regulations' quality rules that hold a dataset instead of scoring it.

One table (``GATES``): each gate has a stable code, a Chinese title, the openness classes it
applies to, a small pure check of a ``GateEntry`` (plain values: the entry's 目录 fields and its
files) that says what is wrong in a sentence, or ``None`` when the entry passes, and the text
telling the department what to fix. ``failed_gates`` applies the table; ``hold`` turns a
classification into the quarantine (the existing "quarantined" state) with the gates' reasons.
A held entry is never public and comes back as soon as a harvest brings a version that passes.

The quality score (``criteria``) still scores what passes: the gates only decide what may be
published at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from datasets.catalog.quality.criteria import CATALOG_FIELDS
from datasets.openness import rules as op

# formats that are documents or pictures, not data: a dataset offering only these is not open
# data (PDF, Word, slides and images can be read by people, not by programs)
DOCUMENT_FORMATS = frozenset(
    {"pdf", "doc", "docx", "wps", "rtf", "odt", "ppt", "pptx", "odp", "ofd", "caj"}
)
IMAGE_FORMATS = frozenset(
    {"jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp", "heic", "svg"}
)
NOT_MACHINE_READABLE = DOCUMENT_FORMATS | IMAGE_FORMATS
# formats whose reading looks for one table: a file of these with no table in it holds no data
TABLE_FORMATS = frozenset({"csv", "tsv", "xlsx", "xls"})

# The classes whose data the portal provides. 有条件开放 is gated like 无条件开放: its public
# masked preview and its grants scoped to 信息项 need a table, and an empty or copied file is
# no better for an approved applicant. A 不予开放 entry is only listed and stores no file; its
# own requirements (rule code and basis) make an invalid entry an error (``rules.classify``).
OPEN = frozenset({op.UNCONDITIONAL, op.CONDITIONAL})


@dataclass(frozen=True)
class GateFile:
    """What the gates look at of one file."""

    name: str
    format: str
    # False: a link whose file could not be fetched (no local copy): not yet checkable
    mirrored: bool = True
    size: int | None = None
    sha256: str | None = None
    rows: int | None = None  # data rows of its table; None: no table was counted
    no_table: bool = False  # a table format in which the reading found no table at all
    # other active datasets holding a byte-identical file, as “标题”（name）
    copies: tuple[str, ...] = ()


@dataclass(frozen=True)
class GateEntry:
    """What the gates look at of one catalog entry, as plain values (from a harvested record
    or a stored dataset)."""

    openness: str  # the class it is published under
    # labels of the 目录 fields it gives (``criteria.CATALOG_FIELDS``, as the quality score
    # counts them: ``scoring.filled_fields``)
    filled: frozenset[str] = frozenset()
    files: tuple[GateFile, ...] = ()


# The 目录 fields an entry cannot be published without, and the classes that must give them.
# 名称 and 提供方 come first (``planning.check_record``): without them an entry can neither be
# identified nor shown to its department, so it is an error, not a held entry. 摘要 is the
# one field every catalog standard requires besides those (GB/T 21063.3 and the 编制指南,
# DCAT-AP, Project Open Data): without it the public cannot tell what the data is. 分类,
# 更新周期 and 开放条件 are mandatory in the 编制指南 too, but real sources lack them far too
# often to hold for them (another portal's CKAN groups and DCAT themes are not our 分类; the
# real catalogs in shared/realdata list hundreds of 有条件开放 entries without conditions):
# the quality score counts them, and a held entry's detail lists them to fix at the same time.
REQUIRED_FIELDS: tuple[tuple[str, frozenset[str]], ...] = (("摘要", OPEN),)
# the other department-written 目录 fields, named with a missing required one
WRITTEN_FIELDS = tuple(
    label for label, _ in CATALOG_FIELDS if label not in ("名称", "开放属性", "信息项")
)


_SAID = {"提供方及代码": "提供方代码"}  # the 提供方 is there (else the entry is an error)


def missing_fields(entry: GateEntry) -> list[str]:
    """The labels of the required 目录 fields the entry does not give, in table order."""
    return [
        label
        for label, classes in REQUIRED_FIELDS
        if entry.openness in classes and label not in entry.filled
    ]


def _catalog_fields(entry: GateEntry) -> str | None:
    missing = missing_fields(entry)
    if not missing:
        return None
    others = [_SAID.get(f, f) for f in WRITTEN_FIELDS if f not in entry.filled and f not in missing]
    detail = f"缺少{'、'.join(missing)}"
    if others:
        detail += f"（另缺 {len(others)} 项目录信息，宜一并补全：{'、'.join(others)}）"
    return detail


def _machine_readable(entry: GateEntry) -> str | None:
    files = entry.files
    if not files or not all(f.mirrored for f in files):  # nothing, or not yet checkable
        return None
    if any(f.format.lower() not in NOT_MACHINE_READABLE for f in files):
        return None
    formats = "、".join(sorted({f.format.upper() for f in files}))
    return f"仅提供 {formats} 格式的文件（文档或图片），没有机器可读格式的数据"


def _empty_note(f: GateFile) -> str | None:
    if f.size == 0:
        return "0 字节"
    if f.no_table:
        return "没有数据表"
    if f.rows == 0:
        return "只有表头，没有数据行"
    return None


def _empty_files(entry: GateEntry) -> str | None:
    empty = [f"{f.name}（{note}）" for f in entry.files if f.mirrored and (note := _empty_note(f))]
    return f"数据文件没有数据：{'、'.join(empty)}" if empty else None


def _duplicate_files(entry: GateEntry) -> str | None:
    copied = [
        f"{f.name} 与{'、'.join(f.copies)}的数据文件完全相同"
        for f in entry.files
        if f.mirrored and f.size and f.copies
    ]
    return "；".join(copied) if copied else None


@dataclass(frozen=True)
class Gate:
    code: str
    title: str
    classes: frozenset[str]  # the openness classes (as published) the gate applies to
    check: Callable[[GateEntry], str | None]  # what is wrong, in a sentence; None: passes
    fix: str  # what the department does about it


GATES: tuple[Gate, ...] = (
    Gate(
        "catalog-fields",
        "目录必填项缺失",
        OPEN,
        _catalog_fields,
        "在部门目录中补全所列目录项（至少写明摘要：数据的内容、范围和用途）后重新报送；"
        "下一次采集读到补全的条目即自动发布",
    ),
    Gate(
        "machine-readable",
        "缺少机器可读格式",
        OPEN,
        _machine_readable,
        "同时报送 CSV、XLSX、JSON 等机器可读格式的数据文件（PDF、Word 文档和图片只能作为附件）；"
        "下一次采集读到后即自动发布",
    ),
    Gate(
        "empty-file",
        "空文件",
        OPEN,
        _empty_files,
        "从业务系统重新导出含数据行的文件后重新报送；暂时没有数据的，不要报送空文件或只有表头的表格",
    ),
    Gate(
        "duplicate-file",
        "与其他数据集文件重复",
        OPEN,
        _duplicate_files,
        "同一份数据只在一个数据集中开放：属报送错误的，换成本数据集自己的数据文件后重新报送；"
        "确属同一数据的，从目录中撤下本条目，或注明为已有数据集的关联资源",
    ),
)
GATES_BY_CODE = {g.code: g for g in GATES}


def failed_gates(entry: GateEntry) -> tuple[dict[str, str], ...]:
    """The gates ``entry`` fails, in table order, each as stored: code, title, detail, fix."""
    failed = []
    for gate in GATES:
        if entry.openness not in gate.classes:
            continue
        detail = gate.check(entry)
        if detail:
            failed.append(
                {"code": gate.code, "title": gate.title, "detail": detail, "fix": gate.fix}
            )
    return tuple(failed)


HELD_NOTE = "暂停发布，待提供部门按提示修正后重新报送"


def hold(
    classification: op.Classification, failed: tuple[dict[str, str], ...]
) -> op.Classification:
    """``classification`` held in the quarantine by the gates it failed (unchanged when none):
    its reasons say which gate and why, and that the department must fix it."""
    if not failed:
        return classification
    reasons = [f"未通过发布检查“{g['title']}”：{g['detail']}" for g in failed]
    return replace(
        classification,
        state="quarantined",
        reasons=(*classification.reasons, *reasons, HELD_NOTE),
        gates=failed,
    )
