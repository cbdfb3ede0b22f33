import json
from datetime import timedelta

from sqlalchemy import select

from datasets.catalog import services as catalog
from datasets.models import Dataset, HarvestJob, HarvestObject
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime, search, write_package


def _harvest(rt, folder, **kw):
    add_source(rt, name="pkgs", kind="datapackage", location=str(folder), exist_ok=True)
    return run_source(rt, get_sources(rt, ["pkgs"])[0], **kw)


def test_a_folder_of_packages_is_published_with_our_catalog_properties(rt, tmp_path):
    write_package(
        tmp_path,
        "bus-lines",
        keywords=["公交"],
        openness="无条件开放",
        code="JZ-JT-0001",
        issued="2023-05-10",
        modified="2026-10-31",
        temporal={"start": "2023-01-01", "end": "2026-10-31"},
        share_type="无条件共享",
        licenses=[
            {
                "name": "CC-BY-4.0",
                "title": "知识共享署名 4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
            }
        ],
    )
    result = _harvest(rt, tmp_path)
    assert result.status == "finished" and result.counts["added"] == 1
    pkg = catalog.package_show(rt, id_or_name="bus-lines", base_url="")
    assert pkg["code"] == "JZ-JT-0001" and pkg["topic"] == "交通运输"
    assert pkg["update_cycle"] == "每月" and pkg["share_type"] == "无条件共享"
    assert (pkg["issued"], pkg["modified"]) == ("2023-05-10", "2026-10-31")
    assert (pkg["temporal_start"], pkg["temporal_end"]) == ("2023-01-01", "2026-10-31")
    assert pkg["license_id"] == "CC-BY-4.0" and pkg["isopen"] is True
    assert pkg["organization"]["title"] == "江州市交通运输局"
    assert pkg["organization"]["code"] == "11361000MB0000001P"
    assert [c["name"] for c in pkg["columns"]] == ["线路名称", "起点站", "终点站", "票价"]


def test_one_bad_package_never_stops_the_job(rt, tmp_path):
    write_package(tmp_path, "good")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "datapackage.json").write_text("{not json", encoding="utf-8")
    write_package(tmp_path, "escape", resources=[{"name": "x", "path": "../../etc/passwd"}])
    write_package(tmp_path, "missing", resources=[{"name": "x", "path": "nope.csv"}])
    write_package(
        tmp_path,
        "secret",
        openness="不予开放",
        exclusion_rule="state-secret",
        exclusion_basis="《中华人民共和国保守国家秘密法》",
        resources=[],
    )
    result = _harvest(rt, tmp_path)
    assert result.status == "finished"
    assert result.counts["added"] == 1 and result.counts["errored"] == 4
    with rt.reader() as session:
        messages = dict(
            session.execute(
                select(HarvestObject.identifier, HarvestObject.message).where(
                    HarvestObject.outcome == "errored"
                )
            ).all()
        )
    assert "无法解析" in messages["broken"]
    assert "不安全" in messages["escape"]
    assert "不存在" in messages["missing"]
    assert "state-secret" in messages["secret"]


def test_a_missing_source_fails_its_job_cleanly(rt, tmp_path):
    folder = tmp_path / "pkgs"
    write_package(folder, "good")
    add_source(rt, name="pkgs", kind="datapackage", location=str(folder))
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()
    result = run_source(rt, get_sources(rt, ["pkgs"])[0])
    assert result.status == "failed" and "不存在" in result.message
    with rt.reader() as session:
        job = session.scalar(select(HarvestJob))
        assert job.status == "failed" and job.finished_at is not None


def test_removed_packages_are_withdrawn_after_the_grace_period(tmp_path):
    rt = make_runtime(tmp_path / "instance", withdraw_grace_days=0.0001)  # about 9 seconds
    src = tmp_path / "src"
    write_package(src, "a", title="公交线路信息")
    stops = [["站点名称", "所在道路"], ["火车站", "站前路"]]
    write_package(src, "b", title="公交站点信息", rows=stops)
    assert _harvest(rt, src).counts["added"] == 2
    assert _harvest(rt, src).counts["unchanged"] == 2
    (src / "b" / "datapackage.json").unlink()
    first = _harvest(rt, src)
    assert first.counts["withdrawn"] == 0 and "1 个条目已不在来源中" in first.message
    assert search(rt, q="站点")["count"] == 1  # still public during the grace period
    with rt.session() as session:  # let the grace period pass
        for dataset in session.scalars(select(Dataset).where(Dataset.name == "b")):
            dataset.missing_since -= timedelta(days=1)
    second = _harvest(rt, src)
    assert second.counts["withdrawn"] == 1 and second.counts["unchanged"] == 1
    assert search(rt, q="站点")["count"] == 0
    write_package(src, "b", title="公交站点信息", rows=stops)  # it comes back
    assert _harvest(rt, src).counts["updated"] == 1
    assert search(rt, q="站点")["count"] == 1


def test_an_entry_seen_again_within_the_grace_period_is_not_withdrawn(tmp_path):
    rt = make_runtime(tmp_path / "instance", withdraw_grace_days=3)
    src = tmp_path / "src"
    write_package(src, "a")
    _harvest(rt, src)
    descriptor = (src / "a" / "datapackage.json").read_text(encoding="utf-8")
    (src / "a" / "datapackage.json").unlink()
    _harvest(rt, src)
    (src / "a" / "datapackage.json").write_text(descriptor, encoding="utf-8")
    assert _harvest(rt, src).counts["unchanged"] == 1
    with rt.reader() as session:
        assert session.scalar(select(Dataset.missing_since)) is None


def test_dry_run_reports_without_changing_the_catalog(rt, tmp_path):
    write_package(tmp_path, "a")
    result = _harvest(rt, tmp_path, dry_run=True)
    assert result.counts["added"] == 1
    assert catalog.portal_summary(rt)["datasets"] == 0
    assert search(rt, q="")["count"] == 0


def test_a_single_descriptor_path_is_a_source(rt, tmp_path):
    pkg = write_package(tmp_path, "only")
    add_source(rt, name="one", kind="datapackage", location=str(pkg / "datapackage.json"))
    assert run_source(rt, get_sources(rt, ["one"])[0]).counts["added"] == 1


def test_schema_given_as_a_file_is_used_for_validation(rt, tmp_path):
    pkg = write_package(
        tmp_path,
        "parking",
        title="公共停车场信息",
        rows=[["名称", "车位数"], ["江南停车场", "120"], ["临湖停车场", "暂无"]],
    )
    (pkg / "schema.json").write_text(
        json.dumps(
            {"fields": [{"name": "名称", "type": "string"}, {"name": "车位数", "type": "integer"}]}
        )
    )
    descriptor = json.loads((pkg / "datapackage.json").read_text())
    descriptor["resources"][0]["schema"] = "schema.json"
    (pkg / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False))
    _harvest(rt, tmp_path)
    res = catalog.package_show(rt, id_or_name="parking", base_url="")["resources"][0]
    assert res["validation_status"] == "failure"
    assert [e["type"] for e in res["validation_report"]["errors"]] == ["type-error"]
