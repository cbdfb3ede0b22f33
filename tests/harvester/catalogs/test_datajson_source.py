"""The ``datajson`` source kind (Project Open Data v1.1) on the ckanext-datajson and
datagov-harvester samples, through the real pipeline. Every request goes to a loopback file
server; outside hosts are blocked and any attempt to reach one fails the test."""

import json
import shutil

import pytest
from sqlalchemy import select

from datasets.errors import SourceError
from datasets.models import Dataset, HarvestObject, Resource
from harvester.datajson import DataJsonSource
from harvester.jobs import job_objects, run_source
from harvester.sources import add_source, get_sources
from tests.factories import search
from tests.harvester.fileserver import (
    errored,
    harvest_catalog,
    shown_package,
    stored_dataset,
)

# sample → (added, errored) with no downloads from outside hosts; the ones marked dry are
# only planned (every check runs, nothing is published), to keep the test quick
SAMPLES = {
    "ckanext-datajson-samples/ny.data.json": (1, 0),
    "ckanext-datajson-samples/arm.data.json": (3, 0),
    "ckanext-datajson-samples/usda.gov.data.json": (3, 0, "dry"),
    "ckanext-datajson-samples/large-spatial.data.json": (1, 0),
    "ckanext-datajson-samples/collection-1-parent-2-children.data.json": (3, 0, "dry"),
    "ckanext-datajson-samples/numerical-title.data.json": (1, 0),
    "ckanext-datajson-samples/reserved-title.data.json": (1, 0),
    "ckanext-datajson-samples/missing-catalog.data.json": (1, 1, "dry"),  # an empty {} entry
    "ckanext-datajson-samples/missing-identifier-title.data.json": (1, 2),
    "datagov-harvester/dcatus_no_identifier.json": (0, 1),
    "datagov-harvester/missing_title.json": (0, 1),
    "datagov-harvester/dcatus_same_title.json": (2, 0),  # two identifiers, two entries
    "datagov-harvester/dcatus_bad_license_uri.json": (1, 0),  # licence text kept as a title
    "datagov-harvester/dcatus_multiple_invalid.json": (1, 0, "dry"),  # bad URL not downloaded
}


@pytest.fixture
def pod(realdata):
    return realdata / "project-open-data"


def _harvest(rt, name, location, config=None, **kw):
    return harvest_catalog(rt, "datajson", name, location, config, **kw)


_errors, _dataset, _package = errored, stored_dataset, shown_package


def _entry(identifier, title="公交线路", **extra):
    return {
        "identifier": identifier,
        "title": title,
        "description": f"{title}，江州市交通运输局发布。",
        "keyword": ["公交"],
        "modified": "2026-10-31",
        "publisher": {"name": "江州市交通运输局"},
        "accessLevel": "public",
        **extra,
    }


def test_agency_samples_and_invalid_cases(rt, pod):
    errors = {}
    for n, (name, expected) in enumerate(SAMPLES.items()):
        result = _harvest(rt, f"pod{n}", pod / name, dry_run="dry" in expected)
        errors[name] = _errors(rt, result)
        counts = (result.counts["added"], result.counts["errored"])
        assert result.status == "finished" and counts == expected[:2], (name, errors[name])

    ny = _package(rt, "https://data.ny.gov/api/views/22ew-dxez")
    assert ny["title"].startswith("State of New York Mortgage Agency (SONYMA) Loans")
    assert ny["organization"]["title"] == "State of New York"
    assert {"mortgage", "rental assistance", "sonyma"} <= {t["name"] for t in ny["tags"]}
    assert (ny["issued"], ny["modified"]) == ("2016-07-21", "2019-06-10")
    assert ny["url"] == "https://data.ny.gov/d/22ew-dxez" and ny["resources"] == []
    ny_row = _dataset(rt, "https://data.ny.gov/api/views/22ew-dxez")
    assert ny_row.unnormalised["theme"] == "Economic Development"  # not one of our topics
    assert len(ny_row.unnormalised["未下载资源"]) == 4  # data.ny.gov is not a download host

    arm = _dataset(rt, "ncepgfsbrwpprof")
    org = _package(rt, "ncepgfsbrwpprof")["organization"]["title"]
    assert org == "Atmospheric Radiation Measurement Data Center"
    assert arm.unnormalised["上级机构"].endswith("< U.S. Government")
    assert arm.modified.isoformat() == "2019-06-27"  # "2019-06-27 12:41:27"
    assert arm.license_url == "https://project-open-data.cio.gov/unknown-license"
    assert "不是数据文件" in arm.unnormalised["未下载资源"][0]  # an archive search page
    assert arm.unnormalised["bureauCode"] == "018:001"  # unknown keys kept as text

    spatial = _dataset(rt, "bad-02")  # large-spatial: a 311 KB spatial value
    assert len(spatial.unnormalised["spatial"]) == 500
    assert len(json.dumps(spatial.unnormalised, ensure_ascii=False)) < 2000

    assert _package(rt, "null-spatial")["title"] == "707"  # a numerical title
    assert _package(rt, "bad-01")["title"] == "Search"  # a title CKAN reserves

    missing = errors["ckanext-datajson-samples/missing-identifier-title.data.json"]
    assert missing == {
        "第 1 个数据集（simple test title）": "缺少 identifier",
        "Test-0002": "缺少 title",
    }
    assert list(errors["datagov-harvester/dcatus_no_identifier.json"].values()) == [
        "缺少 identifier"
    ]
    assert list(errors["datagov-harvester/missing_title.json"].values()) == ["缺少 title"]
    with rt.reader() as session:  # entries that cannot even be listed fail at the gather stage
        rows = session.scalars(
            select(HarvestObject).where(
                HarvestObject.message.in_(["缺少 identifier", "缺少 title"])
            )
        ).all()
    assert len(rows) == 5 and {r.stage for r in rows} == {"gather"}
    twins = [_package(rt, i) for i in ("cftc-dc1", "cftc-dc2")]
    assert twins[0]["title"] == twins[1]["title"] == "Commitment of Traders"
    assert twins[0]["name"] != twins[1]["name"]
    assert _dataset(rt, "cftc-dc1").unnormalised["modified"] == "R/P1W"  # not a date

    licence = _dataset(
        rt, "https://www.arcgis.com/home/item.html?id=99731bb0369848169d98f31ce83fb0e2"
    )
    assert licence.license_title.startswith("OPEN DATA TERMS OF USE AGREEMENT")
    assert licence.license_url is None and licence.unnormalised["license"].startswith("<p")
    assert "<span" not in licence.notes  # HTML descriptions become text


def test_the_402_dataset_catalog_with_null_dates(rt, pod, tmp_path):
    source = pod / "datagov-harvester" / "dcatus_with_none.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    assert len(data["dataset"]) == 402
    assert sum(d["modified"] is None for d in data["dataset"]) == 391
    dry = _harvest(rt, "philly", source, dry_run=True)  # every entry checked, none published
    assert dry.status == "finished"
    assert (dry.counts["added"], dry.counts["errored"]) == (402, 0), _errors(rt, dry)

    subset = tmp_path / "subset.json"  # a real harvest of a part of it
    repeating = [d for d in data["dataset"] if d["modified"]][:2]  # all 11 say "R/P1D"
    undated = [d for d in data["dataset"] if d["modified"] is None][:4]
    subset.write_text(json.dumps({**data, "dataset": repeating + undated}), encoding="utf-8")
    result = _harvest(rt, "philly-part", subset)
    assert (result.counts["added"], result.counts["errored"]) == (6, 0), _errors(rt, result)
    first = _dataset(rt, undated[0]["identifier"])
    assert first.modified is None and first.update_cycle is None
    assert _package(rt, first.source_identifier)["organization"]["title"] == "City of Philadelphia"
    assert len(first.unnormalised["未下载资源"]) == len(undated[0]["distribution"])
    daily = _dataset(rt, repeating[0]["identifier"])  # a repeating interval, not a date
    assert (daily.modified, daily.update_cycle) == (None, "每日")
    assert daily.unnormalised["modified"] == "R/P1D"
    found = search(rt, q="Philadelphia", rows=50)
    assert found["count"] >= 1


def test_access_levels_map_to_openness(rt, tmp_path):
    catalog_file = tmp_path / "data.json"
    entries = [
        _entry("open", isPartOf="bus-collection"),
        _entry(
            "cond", "公交刷卡记录", accessLevel="restricted public", rights="须签订数据使用协议"
        ),
        _entry("closed", "公交车辆定位", accessLevel="non-public", rights="涉及公共安全"),
        _entry("ruled", "公交监控", accessLevel="non-public", rights="[security] 涉及公共安全"),
        _entry("odd", "公交调度", accessLevel="secret-ish"),
        _entry("nobody", "无提供方", publisher={"subOrganizationOf": {}}),
    ]
    catalog_file.write_text(json.dumps({"dataset": entries}, ensure_ascii=False), encoding="utf-8")
    result = _harvest(rt, "levels", catalog_file)
    assert (result.counts["added"], result.counts["errored"]) == (3, 3)
    assert _package(rt, "open")["openness"] == "unconditional"
    assert _dataset(rt, "open").related == [
        {"relation": "isPartOf", "identifier": "bus-collection"}
    ]
    cond = _package(rt, "cond")
    assert (cond["openness"], cond["conditions"]) == ("conditional", "须签订数据使用协议")
    # a rule code in brackets before the basis (as our own /data.json writes it) names the rule
    ruled = _package(rt, "ruled")
    assert (ruled["openness"], ruled["exclusion_rule"]) == ("closed", "security")
    assert ruled["exclusion_basis"] == "涉及公共安全"
    errors = _errors(rt, result)
    # non-public names no exclusion rule: the catalog rejects such an entry as invalid
    assert errors["closed"] == "不予开放目录缺少不予开放情形或依据，目录无效"
    assert errors["odd"] == "开放属性无法识别：secret-ish"
    assert errors["nobody"].startswith("缺少提供方")
    with rt.reader() as session:
        assert session.scalar(select(Dataset).where(Dataset.source_identifier == "closed")) is None

    # a department set for the source stands in for a missing publisher
    add_source(
        rt,
        name="levels2",
        kind="datajson",
        location=str(catalog_file),
        config={"provider": "江州市交通运输局"},
    )
    again = run_source(rt, get_sources(rt, ["levels2"])[0])
    assert "nobody" not in _errors(rt, again)


def test_distribution_downloaded_and_unchanged_harvest_downloads_nothing(rt, pod, server, realdata):
    csv = realdata / "ckanext-xloader-samples" / "mixed_numeric_string_sample.csv"
    shutil.copy(csv, server.root / "rows.csv")
    data = json.loads((pod / "ckanext-datajson-samples" / "ny.data.json").read_text("utf-8"))
    entry = data["dataset"][0]
    entry["distribution"][0]["downloadURL"] = server.url("rows.csv") + "?accessType=DOWNLOAD"
    entry["accrualPeriodicity"] = "R/P1M"
    entry["temporal"] = "2004-01-01/2019-06-10"
    second = _entry("gone", "已删除的文件")
    second["distribution"] = [{"downloadURL": server.url("missing.csv"), "mediaType": "text/csv"}]
    data["dataset"].append(second)
    location = server.write("data.json", json.dumps(data))

    result = _harvest(rt, "ny", location)
    counts = (result.counts["added"], result.counts["unmirrored"], result.counts["errored"])
    assert counts == (1, 1, 0)
    [gone] = [o for o in job_objects(rt, result.job_id) if o["identifier"] == "gone"]
    assert gone["outcome"] == "unmirrored" and "404" in gone["message"]
    assert result.hosts == {"127.0.0.1": 1}
    pkg = _package(rt, "https://data.ny.gov/api/views/22ew-dxez")
    assert pkg["update_cycle"] == "每月"
    assert (pkg["temporal_start"], pkg["temporal_end"]) == ("2004-01-01", "2019-06-10")
    assert [(r["name"], r["format"].lower()) for r in pkg["resources"]] == [("rows.csv", "csv")]
    with rt.reader() as session:
        res = session.scalar(select(Resource).where(Resource.format == "csv"))
        assert rt.store.path(res.storage_root, res.storage_key).read_bytes() == csv.read_bytes()
    assert (
        len(_dataset(rt, "https://data.ny.gov/api/views/22ew-dxez").unnormalised["未下载资源"]) == 3
    )
    assert server.count("rows.csv") == 1
    assert list(rt.paths.staging.glob("datajson-*")) == []  # close() removed the downloads

    again = _harvest(rt, "ny", location)
    assert again.counts["unchanged"] == 1 and again.counts["added"] == 0
    assert again.counts["unmirrored"] == 1  # the file not mirrored is tried again
    assert server.count("rows.csv") == 1 and server.count("data.json") == 2
    assert server.count("missing.csv") == 2

    # the dataset's modified date is part of the files' fingerprint: a new date downloads again
    entry["modified"] = "2019-07-01"
    server.write("data.json", json.dumps(data))
    assert _harvest(rt, "ny", location).counts["updated"] == 1
    assert server.count("rows.csv") == 2


def test_a_bare_list_is_a_catalog_too(rt, tmp_path):
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps([_entry("bare-1")], ensure_ascii=False), encoding="utf-8")
    assert _harvest(rt, "bare", bare).counts["added"] == 1
    assert _package(rt, "bare-1")["organization"]["title"] == "江州市交通运输局"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"dataset": [', "不是有效的 JSON"),
        ('{"datasets": []}', "没有 dataset 列表"),
        ('"just a string"', "没有 dataset 列表"),
    ],
)
def test_unreadable_catalogs_fail_the_job_with_one_line(rt, tmp_path, content, message):
    bad = tmp_path / "data.json"
    bad.write_text(content, encoding="utf-8")
    result = _harvest(rt, "bad", bad)
    assert result.status == "failed" and message in result.message and "\n" not in result.message


def test_locations_are_checked(tmp_path, server):
    with pytest.raises(SourceError):
        DataJsonSource.check_location(str(tmp_path / "nothing.json"))
    assert DataJsonSource.check_location(server.url("data.json")) == server.url("data.json")
