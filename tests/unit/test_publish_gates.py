"""The publish gates' table on hand-built entries (no database): stable codes, Chinese titles and
fix texts, each check on a passing and a failing entry, files not yet fetched, and ``hold``."""

from __future__ import annotations

import re

import pytest

from datasets.catalog.quality import CATALOG_FIELDS
from datasets.catalog.quality.criteria import capacity_of
from datasets.catalog.quality.gates import (
    GATES,
    REQUIRED_FIELDS,
    WRITTEN_FIELDS,
    GateEntry,
    GateFile,
    failed_gates,
    hold,
)
from datasets.openness import rules as op

ALL_FIELDS = frozenset(label for label, _ in CATALOG_FIELDS)
CSV = GateFile("lines", "csv", size=120, sha256="a" * 64, rows=3)
PDF = GateFile("report", "pdf", size=2048, sha256="b" * 64)
CJK = re.compile(r"[\u4e00-\u9fff]")


def entry(*files: GateFile, openness: str = op.UNCONDITIONAL, filled=ALL_FIELDS) -> GateEntry:
    return GateEntry(openness=openness, filled=frozenset(filled), files=files)


def codes(e: GateEntry) -> list[str]:
    return [g["code"] for g in failed_gates(e)]


def test_the_table_has_stable_codes_chinese_titles_and_what_to_fix():
    assert [g.code for g in GATES] == [
        "catalog-fields",
        "machine-readable",
        "empty-file",
        "duplicate-file",
    ]
    for gate in GATES:
        assert CJK.search(gate.title) and CJK.search(gate.fix), gate.code
        assert "报送" in gate.fix  # the department fixes it at the source
    assert {label for label, _ in REQUIRED_FIELDS} <= ALL_FIELDS
    assert set(WRITTEN_FIELDS) <= ALL_FIELDS


def test_a_complete_entry_with_a_table_passes_every_gate():
    assert failed_gates(entry(CSV)) == ()
    assert failed_gates(entry()) == ()  # listed without files: nothing to check yet


def test_an_entry_without_a_summary_names_it_and_the_other_missing_fields():
    [gate] = failed_gates(entry(CSV, filled={"名称", "开放属性", "分类", "最近更新日期"}))
    assert gate["code"] == "catalog-fields" and gate["title"] == "目录必填项缺失"
    assert gate["detail"] == (
        "缺少摘要（另缺 6 项目录信息，宜一并补全：代码、提供方代码、共享属性、"
        "更新周期、发布日期、数据时间范围）"
    )
    # the other fields alone hold nothing: they are scored
    assert codes(entry(CSV, filled={"名称", "开放属性", "摘要"})) == []


def test_a_closed_entry_is_only_listed_and_not_gated():
    closed = entry(PDF, GateFile("e", "csv", size=0), openness=op.CLOSED, filled={"名称"})
    assert codes(closed) == []


@pytest.mark.parametrize("fmt", ["pdf", "doc", "docx", "jpg", "png", "tif"])
def test_documents_or_images_only_are_not_machine_readable(fmt):
    only = GateFile("file", fmt, size=10, sha256="c" * 64)
    [gate] = failed_gates(entry(only))
    assert gate["code"] == "machine-readable" and fmt.upper() in gate["detail"]
    assert codes(entry(only, openness=op.CONDITIONAL)) == ["machine-readable"]


def test_a_document_beside_a_table_or_another_format_passes():
    assert codes(entry(PDF, CSV)) == []
    assert codes(entry(PDF, GateFile("routes", "kml", size=10, sha256="d" * 64))) == []


def test_files_not_yet_fetched_are_not_checkable_and_never_empty():
    link = GateFile("api", "csv", mirrored=False)
    assert codes(entry(link)) == []
    assert codes(entry(PDF, link)) == []  # the missing file may be the table
    unmirrored_pdf = GateFile("scan", "pdf", mirrored=False, size=0)
    assert codes(entry(unmirrored_pdf)) == []


def test_empty_files_zero_bytes_header_only_or_no_table_at_all():
    zero = GateFile("zero", "csv", size=0, sha256="e" * 64)
    header = GateFile("header", "csv", size=12, sha256="f" * 64, rows=0)
    blank = GateFile("blank", "xlsx", size=4800, sha256="1" * 64, no_table=True)
    [gate] = failed_gates(entry(CSV, zero, header, blank))
    assert gate["code"] == "empty-file"
    assert gate["detail"] == (
        "数据文件没有数据：zero（0 字节）、header（只有表头，没有数据行）、blank（没有数据表）"
    )
    assert codes(entry(GateFile("doc", "json", size=10, sha256="2" * 64))) == []  # rows unknown


def test_a_file_another_active_dataset_holds_is_a_duplicate():
    copied = GateFile(
        "lines", "csv", size=120, sha256="a" * 64, rows=3, copies=("“公交线路”（bus）",)
    )
    [gate] = failed_gates(entry(copied))
    assert gate["detail"] == "lines 与“公交线路”（bus）的数据文件完全相同"
    assert "关联资源" in gate["fix"]
    # an empty file is empty, not a duplicate of every other empty file
    empty_copy = GateFile("x", "csv", size=0, sha256="e" * 64, copies=("“甲”（a）",))
    assert codes(entry(CSV, empty_copy)) == ["empty-file"]


def test_hold_quarantines_with_the_reasons_and_keeps_the_class():
    declared = op.Classification(op.CONDITIONAL, reasons=("部门声明有条件开放",))
    failed = failed_gates(entry(PDF, openness=op.CONDITIONAL))
    held = hold(declared, failed)
    assert (held.openness, held.state, held.gates) == (op.CONDITIONAL, "quarantined", failed)
    assert held.reasons == (
        "部门声明有条件开放",
        "未通过发布检查“缺少机器可读格式”："
        "仅提供 PDF 格式的文件（文档或图片），没有机器可读格式的数据",
        "暂停发布，待提供部门按提示修正后重新报送",
    )
    assert hold(declared, ()) is declared


def test_capacity_sums_each_tables_rows_times_columns():
    assert capacity_of([(6, 7), (360, 13)]) == 4722  # not (6 + 360) × 7
    assert capacity_of([(None, 7), (0, 4)]) == 0
    assert capacity_of([(None, None)]) is None


def test_a_stored_resource_without_a_file_is_a_link_not_yet_checkable():
    from datasets.intake.gating import stored_files
    from datasets.models import Resource

    link = Resource(name="api", format="CSV", sha256="", size=None, row_count=None, pii_report={})
    blank = Resource(name="blank", format="csv", sha256="e" * 64, size=2, pii_report={})
    files = stored_files([link, blank])
    assert [(f.mirrored, f.format, f.no_table) for f in files] == [
        (False, "csv", False),
        (True, "csv", True),
    ]
    assert codes(entry(files[0])) == []
    assert codes(entry(*files)) == ["empty-file"]


def test_the_readme_lists_every_gate_once_with_its_title():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Publish gates") : readme.index("## Public services")]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert [row.split("|")[1:3] for row in rows] == [
        [f" `{g.code}` ", f" {g.title} "] for g in GATES
    ]
