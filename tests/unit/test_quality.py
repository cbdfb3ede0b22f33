"""The quality criteria, flags and grades on hand-built views (no database)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pytest

from datasets.catalog import quality as q
from datasets.catalog.quality import CATALOG_FIELDS, CRITERIA, DatasetView, FileView
from datasets.text import plain_text

TODAY = date(2026, 11, 22)
ALL_FIELDS = frozenset(label for label, _ in CATALOG_FIELDS)
CSV = FileView("data", "csv", size=2048, sha256="a" * 64, rows=1000, status="success")


def view(**changes) -> DatasetView:
    """A dataset that is perfect on every criterion unless told otherwise."""
    base = DatasetView(
        id=changes.get("name", "bus-lines"),
        name="bus-lines",
        title="公交线路信息",
        provider_id="org-transport",
        openness="unconditional",
        today=TODAY,
        filled=ALL_FIELDS,
        licence="CC-BY-4.0",
        description_chars=120,
        files=(CSV,),
        rows=10_000,
        fields=10,
        update_cycle="每月",
        modified=date(2026, 11, 1),
    )
    return replace(base, **changes)


def criterion(result: dict, code: str) -> dict:
    return next(c for c in result["criteria"] if c["code"] == code)


def run(code: str, v: DatasetView) -> q.Assessment:
    c = next(c for c in CRITERIA if c.code == code)
    return c.assess(v, c.weight)


def test_criteria_have_stable_codes_and_weights_adding_up_to_100():
    assert [c.code for c in CRITERIA] == [
        "machine-readable",
        "metadata-complete",
        "licence",
        "description",
        "valid-data",
        "timely",
        "capacity",
    ]
    assert sum(c.weight for c in CRITERIA) == 100


def test_a_perfect_dataset_scores_100_and_grade_a():
    result = q.assess(view())
    assert result["score"] == 100 and result["grade"] == "A"
    assert result["computed_on"] == "2026-11-22"
    assert all(c["applies"] and c["points"] == c["max"] for c in result["criteria"])
    assert set(result["criteria"][0]) == {
        "code",
        "title",
        "points",
        "max",
        "applies",
        "note",
        "value",
    }


# ── machine-readable ──────────────────────────────────────────────────────────


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "xml", "geojson"])
def test_machine_readable_formats_earn_full_points(fmt):
    result = run("machine-readable", view(files=(replace(CSV, format=fmt),)))
    assert result.points == 20 and fmt.upper() in result.note


@pytest.mark.parametrize("fmt", ["pdf", "doc", "docx", "jpg", "png"])
def test_documents_and_images_earn_nothing_for_machine_readability(fmt):
    result = run("machine-readable", view(files=(FileView("report", fmt, size=10),)))
    assert result.points == 0 and "不可机读" in result.note


def test_a_pdf_beside_a_csv_keeps_full_points_but_is_named():
    files = (CSV, FileView("说明", "pdf", size=10))
    result = run("machine-readable", view(files=files))
    assert result.points == 20 and "PDF" in result.note


def test_an_open_entry_without_files_earns_nothing_for_its_data():
    v = view(files=(), rows=None, fields=None)
    assert run("machine-readable", v).points == 0
    assert run("valid-data", v).points == 0
    assert run("capacity", v).points == 0


# ── not applicable: metadata-only 不予开放 entries ────────────────────────────────


def test_data_criteria_do_not_apply_to_a_closed_metadata_only_entry():
    closed = view(openness="closed", files=(), rows=None, fields=None, description_chars=0)
    result = q.assess(closed)
    applying = [c["code"] for c in result["criteria"] if c["applies"]]
    assert applying == ["metadata-complete"]
    skipped = [c for c in result["criteria"] if not c["applies"]]
    assert all("不适用" in c["note"] and c["points"] == 0 for c in skipped)
    # a closed entry publishes no data: no score, no grade, whatever its 目录 metadata
    assert result["score"] is None and result["grade"] is None and not result["graded"]
    assert "不评定" in result["note"] and result["flags"] == []


def test_a_conditional_entry_is_graded_on_what_the_public_can_see():
    # load_views leaves out the files the public cannot download: here, all of them
    hidden = q.assess(view(openness="conditional", files=(), licence=None))
    skipped = {c["code"] for c in hidden["criteria"] if not c["applies"]}
    assert skipped == {"machine-readable", "valid-data", "capacity"}
    assert all("公众看不到" in criterion(hidden, code)["note"] for code in skipped)
    assert hidden["graded"] and hidden["grade"] != "A"  # no licence: 10 of 65 points lost
    # a public (de-identified) file of it is graded like any other
    shown = q.assess(view(openness="conditional"))
    assert criterion(shown, "valid-data")["applies"] and shown["grade"] == "A"


def test_a_closed_entry_is_only_asked_for_its_public_catalog_fields():
    # 摘要, 共享属性, 数据时间范围 and 信息项 of a closed entry are not public
    public = frozenset(label for label, closed_too in CATALOG_FIELDS if closed_too)
    result = run("metadata-complete", view(openness="closed", filled=public))
    assert result.points == 20
    missing_code = run("metadata-complete", view(openness="closed", filled=public - {"代码"}))
    assert missing_code.points < 20 and "代码" in missing_code.note


def test_a_closed_entry_with_half_its_metadata_is_not_graded_either():
    result = q.assess(view(openness="closed", files=(), filled=frozenset({"名称", "开放属性"})))
    assert result["grade"] is None and result["score"] is None
    complete = next(c for c in result["criteria"] if c["code"] == "metadata-complete")
    assert complete["applies"] and complete["points"] == 5 and "缺少" in complete["note"]


# ── metadata-complete, licence, description ─────────────────────────────────────


def test_missing_catalog_fields_cost_points_and_are_named():
    result = run("metadata-complete", view(filled=ALL_FIELDS - {"代码", "数据时间范围", "信息项"}))
    assert result.points == 15  # 9 of 12
    assert result.value == 9
    assert "缺少：代码、数据时间范围、信息项" in result.note


def test_licence_present_or_missing():
    assert run("licence", view()).points == 10
    missing = run("licence", view(licence=None))
    assert missing.points == 0 and "未注明许可协议" in missing.note


@pytest.mark.parametrize(("chars", "points"), [(0, 0), (20, 3), (40, 5), (79, 9), (80, 10)])
def test_description_points_grow_with_its_plain_text_length(chars, points):
    result = run("description", view(description_chars=chars))
    assert result.points == points and result.value == chars


def test_description_length_is_that_of_the_markdown_plain_text():
    samples = [
        "",
        "江州市公交线路的基础信息，包括线路编号、起讫站点。\n\n数据来源：江州市公共交通集团。",
        "全市 **施工许可证编号** 由行政区划代码组成。\n\n- 第一项\n- 第二项",
        "标题\n===\n\n> 引用的话 & 符号 <b>粗</b>",
        "1. 第一\n2. 第二\n\n    缩进的代码",
        "普通文字，含 2019-2024 年份、GCJ-02 坐标系和（括号）。\n第二行  有空格。",
    ]
    for text in samples:
        assert q.description_length(text) == len(plain_text(text)), text


def test_description_length_skips_markdown_only_when_that_changes_nothing():
    rng = random.Random(4)
    alphabet = [*"江州市公交线路，。、（）“”：；abc XYZ 0123456789-+.)*_#<>&=[]`|~!:/'\"%{}@$"]
    alphabet += ["\n", "\n\n", "  ", "\t", "    "]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert q.description_length(text) == len(plain_text(text)), repr(text)


# ── valid-data ───────────────────────────────────────────────────────────────


def test_valid_data_success_earns_full_points():
    result = run("valid-data", view())
    assert result.points == 15 and "通过校验" in result.note


def test_valid_data_failure_is_proportional_to_rows_without_errors():
    flawed = FileView("parking", "csv", size=10, rows=100, status="failure", errors=10)
    flawed = replace(flawed, checked_rows=100)
    result = run("valid-data", view(files=(flawed,)))
    assert result.points == 14  # 15 × 90 %, rounded, never the full 15
    assert result.value == 0.9 and "90%" in result.note


def test_valid_data_failure_is_never_full_points_even_with_one_error_in_many_rows():
    flawed = FileView("big", "csv", size=10, status="failure", errors=1, checked_rows=100_000)
    assert run("valid-data", view(files=(flawed,))).points == 14


def test_valid_data_failure_without_counts_earns_half():
    flawed = FileView("parking", "csv", size=10, status="failure")
    result = run("valid-data", view(files=(flawed,)))
    assert result.points == 8 and "一半" in result.note


def test_valid_data_error_earns_nothing():
    broken = FileView("broken", "xlsx", size=10, status="error")
    result = run("valid-data", view(files=(broken,)))
    assert result.points == 0 and "无法读取" in result.note


def test_valid_data_weighs_tables_by_rows():
    good = replace(CSV, checked_rows=900)
    bad = FileView("bad", "csv", size=10, status="error", checked_rows=100)
    assert run("valid-data", view(files=(good, bad))).value == 0.9


def test_a_pdf_only_dataset_has_nothing_validated():
    pdf = FileView("report", "pdf", size=10)
    assert run("valid-data", view(files=(pdf,))).points == 0


# ── timely ───────────────────────────────────────────────────────────────────


def test_timely_within_the_cycle_earns_full_points():
    assert run("timely", view(update_cycle="每月", modified=date(2026, 11, 1))).points == 15


def test_overdue_earns_nothing_and_says_by_how_much():
    result = run("timely", view(update_cycle="每月", modified=date(2025, 12, 31)))
    assert result.points == 0
    assert "2025-12-31" in result.note and "2026-02-01" in result.note and "逾期" in result.note


def test_irregular_cycle_earns_full_points_with_its_reason():
    result = run("timely", view(update_cycle="不定期", modified=date(2001, 1, 1)))
    assert result.points == 15 and "不定期" in result.note


def test_unknown_cycle_or_date_earns_half():
    assert run("timely", view(update_cycle=None)).points == 8
    assert run("timely", view(modified=None)).points == 8


# ── capacity ─────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("rows", "fields", "points"),
    [(10_000, 10, 10), (1000, 10, 8), (100, 10, 6), (2, 4, 2), (1, 1, 0)],
)
def test_capacity_is_log_scaled_on_rows_times_columns(rows, fields, points):
    result = run("capacity", view(rows=rows, fields=fields))
    assert result.points == points and result.value == rows * fields
    assert f"{rows * fields:,}" in result.note


def test_capacity_of_an_empty_or_unstructured_dataset_is_zero():
    assert run("capacity", view(rows=0)).points == 0
    assert run("capacity", view(rows=None, fields=None)).points == 0


# ── grades and flags ─────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, "A"), (85, "A"), (84, "B"), (70, "B"), (69, "C"), (55, "C"), (54, "D")],
)
def test_grade_thresholds(score, grade):
    assert q.grade_for(score) == grade


def test_overdue_flag_caps_the_grade_at_b():
    result = q.score_catalog([view(modified=date(2025, 1, 1))])["bus-lines"]
    assert result["score"] == 85  # lost the 15 points of "timely"
    assert [f["code"] for f in result["flags"]] == ["overdue"]
    assert result["grade"] == "B" and result["capped_by"] == ["overdue"]


def test_empty_file_flag():
    empty = FileView("empty", "csv", size=0, sha256="e" * 64, rows=0, status="success")
    result = q.score_catalog([view(files=(empty,))])["bus-lines"]
    flag = next(f for f in result["flags"] if f["code"] == "empty-file")
    assert "empty" in flag["note"] and result["grade"] == "C"


def test_a_closed_entry_is_never_flagged_overdue():
    closed = view(openness="closed", files=(), modified=date(2020, 1, 1))
    assert q.score_catalog([closed])["bus-lines"]["flags"] == []


# ── duplicates ───────────────────────────────────────────────────────────────


def test_same_title_and_provider_is_a_duplicate_naming_the_other():
    a = view(id="a", name="bus-a", files=(replace(CSV, sha256="1" * 64),))
    b = view(id="b", name="bus-b", title=" 公交线路信息 ", files=(replace(CSV, sha256="2" * 64),))
    found = q.find_duplicates([a, b])
    assert found["a"]["other"] == [{"name": "bus-b", "title": " 公交线路信息 "}]
    assert found["b"]["other"] == [{"name": "bus-a", "title": "公交线路信息"}]
    assert "标题和提供部门相同" in found["a"]["note"]


def test_same_title_from_another_provider_is_not_a_duplicate():
    a = view(id="a", name="bus-a", files=(replace(CSV, sha256="1" * 64),))
    b = view(id="b", name="bus-b", provider_id="org-other", files=(replace(CSV, sha256="2" * 64),))
    assert q.find_duplicates([a, b]) == {}


def test_identical_file_hashes_are_a_duplicate_across_titles_and_providers():
    a = view(id="a", name="stops", title="公交站点信息")
    b = view(id="b", name="stops-copy", title="站点", provider_id="org-other")
    found = q.find_duplicates([a, b])
    assert set(found) == {"a", "b"} and "数据文件完全相同" in found["a"]["note"]
    assert found["a"]["other"][0]["name"] == "stops-copy"


def test_empty_files_are_not_duplicates_of_each_other():
    empty = FileView("empty", "csv", size=0, sha256="e" * 64, rows=0)
    a = view(id="a", name="a", title="甲", files=(empty,))
    b = view(id="b", name="b", title="乙", files=(empty,))
    assert q.find_duplicates([a, b]) == {}


# ── 碎片化 ───────────────────────────────────────────────────────────────────


def small(title: str, n: int, *, provider: str = "org-transport", rows: int = 12) -> DatasetView:
    sha = f"{n:064d}"
    return view(
        id=f"d{n}",
        name=f"d{n}",
        title=title,
        provider_id=provider,
        rows=rows,
        files=(replace(CSV, sha256=sha, rows=rows),),
    )


def test_tables_split_by_year_are_fragmented():
    views = [small(f"公交客流统计（{year}年）", year) for year in range(2019, 2025)]
    found = q.find_fragments(views)
    assert set(found) == {v.id for v in views}
    flag = found["d2019"]
    assert flag["group"] == {"label": "公交客流统计（〈年份〉）", "by": "year", "size": 6}
    assert len(flag["other"]) == 5 and "按年份拆分为 6 个小表" in flag["note"]


def test_tables_split_by_district_are_fragmented():
    districts = ["江南区", "江北区", "临湖区", "青山区", "高新区"]
    views = [small(f"{d}公共厕所分布", n) for n, d in enumerate(districts)]
    found = q.find_fragments(views)
    assert set(found) == {v.id for v in views}
    assert found["d0"]["group"]["label"] == "〈区县〉公共厕所分布"


def test_tables_split_by_month_are_fragmented():
    views = [small(f"高龄津贴发放名单_2026年{m}月", m) for m in range(1, 8)]
    found = q.find_fragments(views)
    assert len(found) == 7 and found["d1"]["group"]["by"] == "year-month"


def test_two_unrelated_small_tables_are_not_fragmented():
    assert q.find_fragments([small("公共厕所分布", 1), small("农贸市场名录", 2)]) == {}


def test_four_years_are_not_yet_fragmented():
    views = [small(f"公交客流统计{year}年", year) for year in range(2021, 2025)]
    assert q.find_fragments(views) == {}


def test_large_tables_split_by_year_are_not_fragmented():
    views = [small(f"公交客流统计{year}年", year, rows=5000) for year in range(2019, 2025)]
    assert q.find_fragments(views) == {}


def test_a_series_spread_over_providers_is_not_fragmented():
    views = [small(f"公交客流统计{y}年", y, provider=f"org-{y}") for y in range(2019, 2025)]
    assert q.find_fragments(views) == {}


def test_fragmented_flag_caps_the_grade():
    views = [small(f"公交客流统计{year}年", year) for year in range(2019, 2025)]
    result = q.score_catalog(views)["d2019"]
    assert "fragmented" in [f["code"] for f in result["flags"]]
    assert result["grade"] == "C" and "fragmented" in result["capped_by"]


# ── the view ─────────────────────────────────────────────────────────────────


def row(**changes):
    values = dict(
        id="x",
        name="x",
        title="公交线路信息",
        code="JZ-001",
        topic="交通运输",
        organization_id="org",
        provider="江州市交通运输局",
        provider_code="11361000MB0000001P",
        notes="**江州市**公交线路。",
        openness="unconditional",
        conditions=None,
        exclusion_rule=None,
        exclusion_basis=None,
        share_type="无条件共享",
        update_cycle="每月",
        issued=date(2024, 1, 1),
        modified=date(2026, 11, 1),
        temporal_start=date(2024, 1, 1),
        temporal_end=None,
        record_count=3,
        field_count=4,
        license_id=None,
        license_title="知识共享署名 4.0",
        license_url=None,
        revision=3,
    )
    values.update(changes)
    return SimpleNamespace(**values)


def test_build_view_reads_the_catalog_fields_from_a_row():
    v = q.build_view(row(), [CSV], today=TODAY)
    assert v.filled == ALL_FIELDS
    assert v.description_chars == len("江州市公交线路。")
    assert v.licence == "知识共享署名 4.0" and v.files == (CSV,)
    bare = q.build_view(row(code=None, provider_code=None, conditions=None), [], today=TODAY)
    assert {"代码", "提供方及代码"}.isdisjoint(bare.filled)


def test_build_view_asks_conditions_of_conditional_and_rule_and_basis_of_closed_entries():
    conditional = q.build_view(row(openness="conditional"), [], today=TODAY)
    assert "开放属性" not in conditional.filled
    closed = q.build_view(
        row(openness="closed", exclusion_rule="security", exclusion_basis="反恐怖主义法第三十一条"),
        [],
        today=TODAY,
    )
    assert "开放属性" in closed.filled and closed.description_chars == 0
