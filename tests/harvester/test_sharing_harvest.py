"""共享属性 from every kind of source: the three types with their conditions, ways and basis are
kept; anything else, and 不予共享 without basis, is a clear per-object harvest error."""

from sqlalchemy import select

from datasets.catalog import services as catalog
from datasets.models import Dataset
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources
from tests.factories import write_csv, write_package
from tests.harvester.test_export_source import HEADERS, _row


def _run(rt, name, kind, folder):
    add_source(rt, name=name, kind=kind, location=str(folder), exist_ok=True)
    return run_source(rt, get_sources(rt, [name])[0])


def _errors(result):
    return {i: message for outcome, i, message in result.changes if outcome == "errored"}


def _rows(line: str) -> list[list[str]]:
    return [["线路名称", "起点站", "终点站", "票价"], [line, "火车站", "江南大道", "1"]]


def test_packages_keep_sharing_attributes_and_bad_ones_are_per_object_errors(rt, tmp_path):
    write_package(
        tmp_path,
        "shared",
        title="公交线路信息",
        rows=_rows("1路"),
        openness="无条件开放",
        share_type="有条件共享",
        share_conditions="仅向交通、公安部门提供",
        share_method="系统对接（查询服务）",
    )
    write_package(tmp_path, "casual", title="公交站点", rows=_rows("2路"), share_type="随便共享")
    write_package(tmp_path, "no-basis", title="公交场站", rows=_rows("3路"), share_type="不予共享")
    write_package(
        tmp_path,
        "basis",
        title="公交车辆",
        rows=_rows("4路"),
        share_type="不予共享类",
        share_basis="《反恐怖主义法》第三十一条",
    )
    result = _run(rt, "pkgs", "datapackage", tmp_path)
    assert result.status == "finished"
    assert (result.counts["added"], result.counts["errored"]) == (2, 2)
    errors = _errors(result)
    assert "共享属性“随便共享”无效" in errors["casual"]
    assert "无条件共享、有条件共享、不予共享" in errors["casual"]
    assert "国发〔2016〕51号 第十条" in errors["no-basis"]
    pkg = catalog.package_show(rt, id_or_name="shared", base_url="")
    assert pkg["share_type"] == "有条件共享"
    assert pkg["share_conditions"] == "仅向交通、公安部门提供"
    assert pkg["share_method"] == "系统对接（查询服务）" and pkg["share_basis"] is None
    with rt.reader() as session:
        stored = session.scalar(select(Dataset).where(Dataset.name == "basis"))
        assert (stored.share_type, stored.share_basis) == ("不予共享", "《反恐怖主义法》第三十一条")
        assert session.scalar(select(Dataset).where(Dataset.name == "casual")) is None


def test_department_exports_read_the_sharing_columns(rt, tmp_path):
    write_csv(tmp_path / "hospitals.csv", [["机构名称"], ["江州市中医院"]])
    headers = [*HEADERS, "共享属性", "共享条件", "共享方式", "不予共享依据"]
    rows = [
        headers,
        [*_row(), "有条件共享", "仅向医保部门提供", "数据下发接口", ""],
        [*_row(信息资源名称="乱填的目录", 信息资源代码="JZ-X-9"), "随便共享", "", "", ""],
    ]
    write_csv(tmp_path / "目录.csv", rows)
    result = _run(rt, "wjw", "export", tmp_path)
    assert (result.counts["added"], result.counts["errored"]) == (1, 1)
    assert "共享属性“随便共享”无效" in _errors(result)["JZ-X-9"]
    with rt.reader() as session:
        stored = session.scalar(select(Dataset).where(Dataset.code == "JZ-WJ-0001"))
        assert (stored.share_type, stored.share_conditions, stored.share_method) == (
            "有条件共享",
            "仅向医保部门提供",
            "数据下发接口",
        )
