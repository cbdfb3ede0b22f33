"""Quality scores of harvested catalogs, as package_show returns them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from datasets.catalog import services as catalog
from datasets.catalog.quality import refresh_quality
from datasets.errors import NotFound
from datasets.models import Dataset
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources
from tests.conftest import harvest_demo
from tests.factories import make_runtime, pdf_bytes, search, write_csv, write_package

TODAY = date(2026, 11, 22)
LICENCE = [
    {
        "name": "CC-BY-4.0",
        "title": "知识共享署名 4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
    }
]
COMPLETE = {
    "code": "JZ-JT-0001",
    "share_type": "无条件共享",
    "issued": "2023-05-10",
    "modified": "2026-11-01",
    "temporal": {"start": "2023-01-01", "end": "2026-10-31"},
    "licenses": LICENCE,
}
LONG_NOTES = (
    "江州市城区及白沙县、云溪县城乡公交线路的基础信息，包括线路编号、起讫站点、首末班时间、"
    "全程里程、站点数和票价。数据来源于江州市公共交通集团有限责任公司的线路运营管理系统，"
    "每月更新一次，可与公交站点信息按线路编号关联使用。"
)


def rows(n: int, tag: str) -> list[list[str]]:
    return [["编号", "名称", "地址", "数量"]] + [
        [str(i), f"{tag}{i}号", f"江州市江南区{tag}路{i}号", str(i * 3)] for i in range(1, n + 1)
    ]


def quality_of(rt, name: str) -> dict:
    pkg = catalog.package_show(rt, id_or_name=name, base_url="")
    assert pkg["quality_score"] == pkg["quality"]["score"]
    return pkg["quality"]


def criterion(quality: dict, code: str) -> dict:
    return next(c for c in quality["criteria"] if c["code"] == code)


def flags(quality: dict) -> dict[str, dict]:
    return {f["code"]: f for f in quality["flags"]}


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory):
    """One harvested catalog for the whole module (the tests only read it)."""
    tmp_path = tmp_path_factory.mktemp("quality")
    rt = make_runtime(tmp_path / "instance")
    src = tmp_path / "src"
    write_package(src, "bus-lines", rows=rows(300, "线路"), description=LONG_NOTES, **COMPLETE)
    parking = src / "parking"
    write_csv(
        parking / "parking.csv",
        [["名称", "车位数"]]
        + [[f"停车场{i}", "120"] for i in range(18)]
        + [["临湖停车场", "暂无"], ["青山停车场", "暂无"]],
    )
    schema = {"fields": [{"name": "名称", "type": "string"}, {"name": "车位数", "type": "integer"}]}
    write_package(
        src,
        "parking",
        title="公共停车场信息",
        resources=[{"name": "parking", "path": "parking.csv", "format": "csv", "schema": schema}],
        **COMPLETE,
    )
    (src / "budget-report").mkdir(parents=True)
    (src / "budget-report" / "report.pdf").write_bytes(pdf_bytes("Budget report 2024"))
    write_package(
        src,
        "budget-report",
        title="财政预算执行情况报告",
        resources=[{"name": "report", "path": "report.pdf", "format": "pdf"}],
        **COMPLETE,
    )
    write_package(
        src,
        "bus-stops",
        title="公交站点信息",
        rows=rows(80, "站点"),
        **{**COMPLETE, "modified": "2025-12-31"},
    )
    for year in range(2019, 2024):
        write_package(
            src, f"ridership-{year}", title=f"公交客流统计（{year}年）", rows=rows(12, str(year))
        )
    write_package(src, "bikes-a", title="公共自行车站点", rows=rows(30, "甲"))
    write_package(src, "bikes-b", title="公共自行车站点", rows=rows(30, "乙"))
    write_package(src, "taxi-ranks", title="出租车停靠点", rows=rows(40, "停靠"))
    write_package(src, "taxi-ranks-copy", title="出租汽车候客点", rows=rows(40, "停靠"))
    write_package(
        src,
        "key-targets",
        title="反恐怖防范重点目标安全防范信息",
        openness="closed",
        exclusion_rule="security",
        exclusion_basis="《中华人民共和国反恐怖主义法》第三十一条",
        resources=[],
        **COMPLETE,
    )
    add_source(rt, name="pkgs", kind="datapackage", location=str(src))
    result = run_source(rt, get_sources(rt, ["pkgs"])[0])
    assert result.status == "finished" and result.counts["added"] == 14, result.summary()
    # the PDF-only report and the copied taxi table are held by the publish gates: not scored
    assert refresh_quality(rt, today=TODAY) == 12
    yield rt
    rt.close()


def test_a_clean_complete_csv_dataset_scores_high(scored):
    quality = quality_of(scored, "bus-lines")
    assert quality["grade"] == "A" and quality["score"] >= 90
    assert quality["flags"] == [] and quality["computed_on"] == "2026-11-22"
    for code in ("machine-readable", "metadata-complete", "licence", "valid-data", "timely"):
        c = criterion(quality, code)
        assert c["points"] == c["max"], c


def test_the_flawed_table_gets_partial_valid_data_points(scored):
    valid = criterion(quality_of(scored, "parking"), "valid-data")
    assert 0 < valid["points"] < valid["max"]
    assert valid["value"] == 0.9 and "90%" in valid["note"]


def held(rt, name: str) -> dict[str, dict]:
    """The publish gates holding a dataset (checked to be hidden and left unscored)."""
    with rt.reader() as session:
        ds = session.scalar(select(Dataset).where(Dataset.name == name))
        state, quality, gates = ds.state, ds.quality, ds.quarantine.get("gates", [])
    assert state == "quarantined" and quality == {}
    with pytest.raises(NotFound):
        catalog.package_show(rt, id_or_name=name, base_url="")
    return {g["code"]: g for g in gates}


def test_a_pdf_only_dataset_is_held_instead_of_scored(scored):
    gate = held(scored, "budget-report")["machine-readable"]
    assert "仅提供 PDF 格式" in gate["detail"] and "CSV" in gate["fix"]


def test_an_overdue_dataset_is_flagged_with_its_due_date(scored):
    quality = quality_of(scored, "bus-stops")
    assert "2026-02-01" in flags(quality)["overdue"]["note"]
    assert criterion(quality, "timely")["points"] == 0
    assert quality["grade"] in ("B", "C", "D")


def test_tables_split_by_year_are_each_flagged_fragmented(scored):
    names = [f"ridership-{year}" for year in range(2019, 2024)]
    for name in names:
        fragmented = flags(quality_of(scored, name))["fragmented"]
        assert fragmented["group"]["size"] == 5 and fragmented["group"]["by"] == "year"
        assert {o["name"] for o in fragmented["other"]} == set(names) - {name}


def test_duplicates_by_title_and_by_file_name_each_other(scored):
    bikes = flags(quality_of(scored, "bikes-a"))["duplicate"]
    assert bikes["other"] == [{"name": "bikes-b", "title": "公共自行车站点"}]
    assert "标题和提供部门相同" in bikes["note"]
    # a byte-identical file is held by the publish gates (unit tests keep the flag's rule)
    copied = held(scored, "taxi-ranks-copy")["duplicate-file"]
    assert "“出租车停靠点”（taxi-ranks）的数据文件完全相同" in copied["detail"]
    assert "duplicate" not in flags(quality_of(scored, "taxi-ranks"))
    assert "duplicate" not in flags(quality_of(scored, "bus-lines"))


def test_a_closed_entry_is_scored_on_its_catalog_metadata_only(scored):
    quality = quality_of(scored, "key-targets")
    applying = [c["code"] for c in quality["criteria"] if c["applies"]]
    assert applying == ["metadata-complete"]
    assert quality["score"] is None and quality["grade"] is None and quality["flags"] == []


def test_search_results_carry_the_quality_for_their_badges(scored):
    results = search(scored, q="公交线路", rows=5)["results"]
    bus = next(p for p in results if p["name"] == "bus-lines")
    assert bus["quality"]["grade"] == "A" and bus["quality_score"] >= 90


def test_a_refresh_rescores_a_description_changed_by_a_later_harvest(rt, tmp_path):
    write_package(tmp_path / "src", "bus-lines", description="公交线路。")
    add_source(rt, name="pkgs", kind="datapackage", location=str(tmp_path / "src"))
    source = get_sources(rt, ["pkgs"])[0]
    run_source(rt, source)
    refresh_quality(rt, today=TODAY)
    first = quality_of(rt, "bus-lines")
    assert criterion(first, "description")["value"] == 5
    assert refresh_quality(rt, today=TODAY) == 1 and quality_of(rt, "bus-lines") == first
    write_package(tmp_path / "src", "bus-lines", description=LONG_NOTES)
    run_source(rt, source)
    refresh_quality(rt, today=TODAY)
    description = criterion(quality_of(rt, "bus-lines"), "description")
    assert description["value"] == len(LONG_NOTES) and description["points"] == 10


@pytest.mark.slow
def test_demo_catalog_flags_overdue_entries_and_the_flawed_parking_table(tmp_path):
    rt = make_runtime(tmp_path / "demo")
    try:
        harvest_demo(rt)
        scored = refresh_quality(rt, today=TODAY)
        assert scored == len(catalog.dataset_names(rt))
        by_title = {}
        for name in catalog.dataset_names(rt):
            pkg = catalog.package_show(rt, id_or_name=name, base_url="")
            by_title[pkg["title"]] = pkg["quality"]
        for title in ("公交站点信息", "户政业务办理网点", "养老机构名录"):
            assert "overdue" in flags(by_title[title]), title
        parking = criterion(by_title["公共停车场信息"], "valid-data")
        assert 0 < parking["points"] < parking["max"]
        # the demo has neither duplicates nor tables split by year or district
        raised = {code for quality in by_title.values() for code in flags(quality)}
        assert raised <= {"overdue"}
        closed = by_title["纳税人涉税信息"]
        assert [c["code"] for c in closed["criteria"] if c["applies"]] == ["metadata-complete"]
    finally:
        rt.close()
