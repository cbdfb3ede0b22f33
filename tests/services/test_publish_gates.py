"""The publish gates through real harvests of small sources made in tmp_path: a PDF-only, an
empty and a duplicate dataset and a 目录 entry without its 摘要 are held in the quarantine with
what is wrong and what to fix, shown to operators and to their department, never to the
public; a fixed version is published on the next harvest, an unchanged one stays held without
work; an operator cannot release what only the department can fix. Capacity of a dataset with
several tables is every table's rows × columns."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.catalog import services as catalog
from datasets.errors import NotFound, ValidationError
from datasets.models import Dataset, Organization
from datasets.openness import confirmations, curation
from datasets.workflows import queues
from harvester.jobs import JobResult, run_source
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime, own_rows, pdf_bytes, search, write_csv, write_package

OPERATOR = Actor(name="ops", user_id="u-ops", roles=frozenset({"operator"}))
HEALTH = {"name": "江州市卫生健康委员会", "code": "11361000MB0000002N"}
STATIONS = [["站点编码", "站点名称", "所在区县"], ["JZ001", "市监测站", "江南区"]]
DAILY = [
    ["监测日期", "站点编码", "站点名称", "AQI"],
    ["2026-10-01", "JZ001", "市监测站", "52"],
    ["2026-10-02", "JZ001", "市监测站", "61"],
    ["2026-10-03", "JZ001", "市监测站", "47"],
]


def one_file(folder: Path, name: str, filename: str, content: bytes, fmt: str, **props) -> Path:
    """A data package with one file of the given bytes."""
    (folder / name).mkdir(parents=True, exist_ok=True)
    (folder / name / filename).write_bytes(content)
    resources = [{"name": Path(filename).stem, "path": filename, "format": fmt}]
    return write_package(folder, name, resources=resources, **props)


def build(folder: Path) -> None:
    """A good table, a PDF-only report, a header-only table, a 0-byte file, a copy of the good
    table's file, a conditional PDF-only plan of another department and a closed entry."""
    write_package(folder, "bus-lines", title="公交线路信息", rows=own_rows("bus-lines"))
    one_file(
        folder, "budget-report", "report.pdf", pdf_bytes("Budget 2025"), "pdf", title="预算报告"
    )
    one_file(
        folder, "bus-stops", "stops.csv", "站点名称,所在道路\n".encode(), "csv", title="公交站点"
    )
    one_file(folder, "taxi-ranks", "ranks.csv", b"", "csv", title="出租车停靠点")
    copy = folder / "bus-lines-copy"
    copy.mkdir(parents=True)
    shutil.copy(folder / "bus-lines" / "data.csv", copy / "lines.csv")
    write_package(
        folder,
        "bus-lines-copy",
        title="城市公交线路",
        resources=[{"name": "lines", "path": "lines.csv", "format": "csv"}],
    )
    one_file(
        folder,
        "clinic-plans",
        "plans.pdf",
        pdf_bytes("Clinic floor plans"),
        "pdf",
        title="诊所平面图",
        provider=HEALTH,
        openness="有条件开放",
        conditions="仅向医疗卫生科研机构开放",
    )
    write_package(
        folder,
        "key-targets",
        title="重点目标安全防范信息",
        description="",
        openness="不予开放",
        exclusion_rule="security",
        exclusion_basis="《中华人民共和国反恐怖主义法》第三十一条",
        resources=[],
    )


def harvest(rt, folder: Path) -> JobResult:
    add_source(rt, name="src", kind="datapackage", location=str(folder), exist_ok=True)
    result = run_source(rt, get_sources(rt, ["src"])[0])
    assert result.status == "finished", result.message
    return result


def outcomes(result: JobResult) -> dict[str, str]:
    return {identifier: outcome for outcome, identifier, _ in result.changes}


def stored(rt, name: str) -> Dataset:
    with rt.reader() as session:
        ds = session.scalar(select(Dataset).where(Dataset.name == name))
        assert ds is not None, name
        session.expunge(ds)
        return ds


def gates_of(rt, name: str) -> dict[str, dict[str, str]]:
    ds = stored(rt, name)
    assert ds.state == "quarantined", (name, ds.state)
    return {g["code"]: g for g in ds.quarantine["gates"]}


def reviewer(rt, title: str) -> Actor:
    with rt.reader() as session:
        org = session.scalar(select(Organization.id).where(Organization.title == title))
    return Actor(name="rev", user_id="u-rev", roles=frozenset({"reviewer"}), organization_id=org)


@pytest.fixture
def env(tmp_path):
    rt = make_runtime(tmp_path / "instance", withdraw_grace_days=0)
    folder = tmp_path / "src"
    build(folder)
    first = harvest(rt, folder)
    yield rt, folder, first
    rt.close()


def test_pdf_only_empty_and_duplicate_datasets_are_held_with_what_to_fix(env):
    rt, _, first = env
    assert first.counts["added"] == 7 and first.counts["errored"] == 0, first.changes
    assert stored(rt, "bus-lines").state == "active"
    assert stored(rt, "key-targets").state == "active"  # listed: a closed entry has no 摘要 to show

    report = gates_of(rt, "budget-report")
    assert list(report) == ["machine-readable"]
    assert report["machine-readable"]["title"] == "缺少机器可读格式"
    assert "仅提供 PDF 格式的文件" in report["machine-readable"]["detail"]
    assert "CSV、XLSX、JSON" in report["machine-readable"]["fix"]
    plans = gates_of(rt, "clinic-plans")  # conditional data needs a table too
    assert list(plans) == ["machine-readable"] and stored(rt, "clinic-plans").openness == (
        "conditional"
    )

    stops = gates_of(rt, "bus-stops")["empty-file"]
    assert stops["detail"] == "数据文件没有数据：stops（只有表头，没有数据行）"
    ranks = gates_of(rt, "taxi-ranks")["empty-file"]
    assert ranks["detail"] == "数据文件没有数据：ranks（0 字节）"
    assert "重新导出" in ranks["fix"]

    copy = gates_of(rt, "bus-lines-copy")
    assert list(copy) == ["duplicate-file"]
    assert copy["duplicate-file"]["detail"] == (
        "lines 与“公交线路信息”（bus-lines）的数据文件完全相同"
    )
    held = stored(rt, "bus-lines-copy").quarantine
    assert "未通过发布检查“与其他数据集文件重复”" in held["reasons"][-2]
    assert held["reasons"][-1] == "暂停发布，待提供部门按提示修正后重新报送"


def test_held_datasets_are_not_public_anywhere(env):
    rt = env[0]
    held = ["budget-report", "bus-stops", "taxi-ranks", "bus-lines-copy", "clinic-plans"]
    listed = set(catalog.dataset_names(rt))
    assert "bus-lines" in listed and not listed & set(held)
    found = {p["name"] for p in search(rt, q="公交", rows=50)["results"]}
    assert found == {"bus-lines"}
    for name in held:
        with pytest.raises(NotFound):
            catalog.package_show(rt, id_or_name=name, base_url="")
        ds = stored(rt, name)
        with rt.reader() as session:
            resources = session.get(Dataset, ds.id).resources
            ids = [r.id for r in resources]
            assert all(r.public_key is None for r in resources)
        for resource_id in ids:
            with pytest.raises(NotFound):
                catalog.resource_download(rt, dataset=name, resource_id=resource_id)


def test_operators_and_the_department_see_the_gates_with_the_fix(env):
    rt = env[0]
    listed = {i["name"]: i for i in curation.quarantine_list(rt, actor=OPERATOR)}
    assert set(listed) == {
        "budget-report",
        "bus-stops",
        "taxi-ranks",
        "bus-lines-copy",
        "clinic-plans",
    }
    [gate] = listed["taxi-ranks"]["gates"]
    assert gate == {
        "code": "empty-file",
        "title": "空文件",
        "detail": "数据文件没有数据：ranks（0 字节）",
        "fix": gate["fix"],
    }
    assert gate["fix"].startswith("从业务系统重新导出")

    transport = queues.department_queue(rt, reviewer(rt, "江州市交通运输局"))
    mine = {i["name"]: [g["code"] for g in i["gates"]] for i in transport["quarantine"]}
    assert mine == {
        "budget-report": ["machine-readable"],
        "bus-stops": ["empty-file"],
        "taxi-ranks": ["empty-file"],
        "bus-lines-copy": ["duplicate-file"],
    }
    health = queues.department_queue(rt, reviewer(rt, HEALTH["name"]))
    assert [i["name"] for i in health["quarantine"]] == ["clinic-plans"]
    assert "CSV" in health["quarantine"][0]["gates"][0]["fix"]


def test_an_operator_cannot_release_what_only_the_department_can_fix(env):
    rt = env[0]
    with pytest.raises(ValidationError, match="未通过发布检查，不能解除隔离：空文件"):
        curation.release(rt, name="taxi-ranks", actor=OPERATOR)
    # reclassifying re-checks the gates too: conditional data needs a table as well
    curation.reclassify(
        rt,
        name="budget-report",
        openness="conditional",
        reason="含内部预算，改为有条件开放",
        actor=OPERATOR,
    )
    assert list(gates_of(rt, "budget-report")) == ["machine-readable"]


def test_a_fixed_version_is_published_and_an_unchanged_one_stays_held_without_work(env):
    rt, folder, _ = env
    revisions = {n: stored(rt, n).revision for n in ("budget-report", "bus-stops", "taxi-ranks")}
    again = harvest(rt, folder)
    assert again.counts == {"unchanged": 7}, again.changes
    assert {n: stored(rt, n).revision for n in revisions} == revisions
    assert stored(rt, "taxi-ranks").state == "quarantined"

    # the departments fix their entries: a table beside the report, rows, their own file
    write_csv(folder / "budget-report" / "budget.csv", [["科目", "金额"], ["教育", "120"]])
    write_package(
        folder,
        "budget-report",
        title="预算报告",
        resources=[
            {"name": "report", "path": "report.pdf", "format": "pdf"},
            {"name": "budget", "path": "budget.csv", "format": "csv"},
        ],
    )
    write_csv(folder / "bus-stops" / "stops.csv", [["站点名称", "所在道路"], ["火车站", "站前路"]])
    write_csv(folder / "taxi-ranks" / "ranks.csv", [["停靠点", "泊位"], ["火车站", "12"]])
    write_csv(folder / "bus-lines-copy" / "lines.csv", own_rows("bus-lines-copy"))
    fixed = harvest(rt, folder)
    changed = {"budget-report", "bus-stops", "taxi-ranks", "bus-lines-copy"}
    assert {i for i, o in outcomes(fixed).items() if o == "updated"} == changed
    for name in changed:
        ds = stored(rt, name)
        assert (ds.state, ds.quarantine) == ("active", {}), name
        assert catalog.package_show(rt, id_or_name=name, base_url="")["name"] == name
    assert "bus-stops" in catalog.dataset_names(rt)


def test_a_copy_comes_back_once_the_dataset_it_copied_is_gone(env):
    rt, folder, _ = env
    shutil.rmtree(folder / "bus-lines")
    gone = harvest(rt, folder)  # the copy was checked before the original was withdrawn
    assert outcomes(gone)["bus-lines"] == "withdrawn"
    assert stored(rt, "bus-lines-copy").state == "quarantined"
    back = harvest(rt, folder)  # the copy's source did not change, its original went
    assert outcomes(back)["bus-lines-copy"] == "updated"
    assert stored(rt, "bus-lines-copy").state == "active"


def test_confirming_a_scanned_page_does_not_publish_a_pdf_only_dataset(tmp_path):
    rt = make_runtime(tmp_path / "instance")
    one_file(tmp_path / "src", "scan", "scan.pdf", pdf_bytes(""), "pdf", title="规划批复扫描件")
    harvest(rt, tmp_path / "src")
    [item] = confirmations.held_list(rt, actor=OPERATOR)
    assert [g["code"] for g in item["gates"]] == ["machine-readable"]
    result = confirmations.confirm_file(
        rt, name="scan", resource_id=item["held"][0]["resource_id"], note="", actor=OPERATOR
    )
    assert not result["published"] and result["held"] == []
    assert "未通过发布检查（缺少机器可读格式），待提供部门修正后重新报送" in result["message"]
    assert stored(rt, "scan").state == "quarantined"
    rt.close()


def test_an_export_entry_without_a_summary_is_held_with_the_missing_fields(tmp_path):
    folder = tmp_path / "export"
    write_csv(folder / "hospitals.csv", [["机构名称", "床位"], ["江州市人民医院", "1200"]])
    write_csv(folder / "clinics.csv", [["诊所名称", "地址"], ["江南诊所", "江南大道1号"]])
    write_csv(
        folder / "目录.csv",
        [
            ["信息资源名称", "提供方", "摘要", "分类", "更新周期", "发布日期", "数据文件"],
            [
                "医疗机构名录",
                "江州市卫生健康委员会",
                "全市医疗机构",
                "卫生健康",
                "每季",
                "2024-03-05",
                "hospitals.csv",
            ],
            ["诊所名录", "江州市卫生健康委员会", "", "", "", "", "clinics.csv"],
        ],
    )
    rt = make_runtime(tmp_path / "instance")
    add_source(rt, name="wjw", kind="export", location=str(folder))
    result = run_source(rt, get_sources(rt, ["wjw"])[0])
    assert result.counts["added"] == 2 and result.counts["errored"] == 0, result.changes
    with rt.reader() as session:
        states = dict(session.execute(select(Dataset.title, Dataset.state)).all())
        held = session.scalar(select(Dataset).where(Dataset.title == "诊所名录"))
        gates = held.quarantine["gates"]
    assert states == {"医疗机构名录": "active", "诊所名录": "quarantined"}
    [gate] = gates
    assert gate["code"] == "catalog-fields" and gate["title"] == "目录必填项缺失"
    assert gate["detail"] == (
        "缺少摘要（另缺 8 项目录信息，宜一并补全：代码、分类、提供方代码、共享属性、"
        "更新周期、发布日期、最近更新日期、数据时间范围）"
    )
    assert "摘要" in gate["fix"]
    rt.close()


def test_capacity_of_several_tables_is_each_tables_rows_times_columns(tmp_path):
    folder = tmp_path / "src"
    (folder / "air").mkdir(parents=True)
    write_csv(folder / "air" / "stations.csv", STATIONS)
    write_csv(folder / "air" / "daily.csv", DAILY)
    write_package(
        folder,
        "air",
        title="空气质量监测日报",
        resources=[
            {"name": "stations", "path": "stations.csv", "format": "csv"},
            {"name": "daily", "path": "daily.csv", "format": "csv"},
        ],
    )
    rt = make_runtime(tmp_path / "instance")
    harvest(rt, folder)
    pkg = catalog.package_show(rt, id_or_name="air", base_url="", actor=ANONYMOUS)
    assert pkg["record_count"] == 1 + 3 and pkg["capacity"] == 1 * 3 + 3 * 4
    columns = {c["name"]: c.get("resources") for c in pkg["columns"]}
    assert list(columns) == ["站点编码", "站点名称", "所在区县", "监测日期", "AQI"]
    assert columns["站点编码"] == ["stations", "daily"] and columns["AQI"] == ["daily"]
    assert pkg["field_count"] == 5
    rt.close()


def test_a_blank_table_has_no_table_and_an_unreadable_one_is_not_called_empty(tmp_path):
    from datasets.intake.gating import prepared_files
    from datasets.intake.prepare import prepare_file
    from datasets.intake.records import FileRecord

    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\n\n")
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"a,b\n\xff\xfe\xff\n")  # no encoding explains it: held for a person
    staging = tmp_path / "staging"
    prepared = [
        prepare_file(FileRecord(path=p, name=p.stem, format="csv"), staging=staging)
        for p in (blank, broken)
    ]
    link = FileRecord(path=None, name="api", format="csv", source_url="https://example.org/a")
    files = prepared_files(prepared, [link])
    assert [(f.name, f.no_table, f.mirrored) for f in files] == [
        ("blank", True, True),
        ("broken", False, True),
        ("api", False, False),
    ]


def test_what_was_published_before_the_gates_is_checked_on_the_next_harvest(tmp_path, monkeypatch):
    """An instance that published a PDF-only dataset before the gates existed: the intake
    revision in the content hash makes the next harvest import it again, and hold it."""
    from datasets.intake import gating, planning

    folder = tmp_path / "src"
    one_file(folder, "report", "report.pdf", pdf_bytes("Budget 2025"), "pdf", title="预算报告")
    rt = make_runtime(tmp_path / "instance")
    with monkeypatch.context() as before:
        before.setattr(gating, "failed_gates", lambda entry: ())
        before.setattr(planning, "INTAKE_REVISION", planning.INTAKE_REVISION - 1)
        harvest(rt, folder)
        assert stored(rt, "report").state == "active"
        assert harvest(rt, folder).counts == {"unchanged": 1}
    upgraded = harvest(rt, folder)
    assert upgraded.counts == {"updated": 1}
    assert list(gates_of(rt, "report")) == ["machine-readable"]
    assert harvest(rt, folder).counts == {"unchanged": 1}
    rt.close()
