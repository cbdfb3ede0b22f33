"""The ``ckan`` source kind against a loopback CKAN serving real portals' package dicts.

Everything goes through the real pipeline: add_source → run_source → catalog and the harvest
objects table. No test reaches an outside host: resource URLs are rewritten to the loopback
server (tests/harvester/ckan_server.py).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from datasets.catalog import services as catalog
from datasets.errors import NotFound, ValidationError
from datasets.models import Dataset, HarvestJob, HarvestSource
from datasets.runtime import Runtime
from harvester.ckan import OVERLAP
from harvester.ckan_package import resource_format, update_cycle
from harvester.jobs import JobResult, job_objects, run_source
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime, write_package
from tests.harvester.ckan_server import CkanServer, real_packages

ROWS = "3"


@pytest.fixture
def server() -> Iterator[CkanServer]:
    ckan = CkanServer().start()
    yield ckan
    ckan.stop()


@pytest.fixture
def full_portal(server: CkanServer) -> CkanServer:
    """The loopback portal serving all 15 real packages."""
    for package in real_packages():
        server.add(package)
    return server


# a smaller portal keeps the file fast: 7 packages are still three pages of ROWS
SMALL = (1, 3, 8, 9, 10, 11, 14)
CHANGED = "ef9b971f-8c65-44c8-8e68-33a373c2c43a"  # programas-editais-de-iniciacao-cientifica
DELETED = "cc35ecca-cd8b-41b3-8156-52423d0bfcbb"  # contratos-ifg


@pytest.fixture
def portal(server: CkanServer) -> CkanServer:
    """The loopback portal serving 7 of the real packages (from all four portals)."""
    packages = real_packages()
    for n in SMALL:
        server.add(packages[n])
    return server


def _runtime(tmp_path: Path, **overrides: Any) -> Runtime:
    settings = {"harvest_retries": 0, "harvest_timeout": 5, "harvest_workers": 1, **overrides}
    return make_runtime(tmp_path / "instance", **settings)


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime = _runtime(tmp_path, withdraw_grace_days=0)
    yield runtime
    runtime.close()


def _harvest(rt: Runtime, url: str, **config: str) -> JobResult:
    add_source(
        rt, name="portal", kind="ckan", location=url, config={"rows": ROWS, **config}, exist_ok=True
    )
    return run_source(rt, get_sources(rt, ["portal"])[0])


def _mark_complete(rt: Runtime, result: JobResult) -> None:
    """After a complete run the source remembers when it started (jobs.py does this; the test
    only fills it in if the job runner does not)."""
    assert result.status == "finished"
    with rt.session() as session:
        source = session.scalar(select(HarvestSource).where(HarvestSource.name == "portal"))
        if source.last_complete_at is None:
            source.last_complete_at = session.get(HarvestJob, result.job_id).started_at


def _outcomes(rt: Runtime, result: JobResult) -> dict[str, dict[str, Any]]:
    return {o["identifier"]: o for o in job_objects(rt, result.job_id)}


def _datasets(rt: Runtime) -> dict[str, Dataset]:
    with rt.reader() as session:
        rows = session.scalars(select(Dataset)).all()
        return {d.source_identifier: d for d in rows}


def _served_files(pkg: dict[str, Any]) -> list[str]:
    return [r["url"].rsplit("/", 1)[-1] for r in pkg["resources"] if "/files/" in r["url"]]


def test_full_harvest_pages_through_all_packages_and_downloads_their_files(tmp_path, full_portal):
    portal = full_portal
    rt = _runtime(tmp_path)
    result = _harvest(rt, portal.url)

    assert result.status == "finished", result.message
    assert result.counts["added"] == 15 and result.counts["errored"] == 0, result.changes
    assert portal.search_params("start") == ["0", "3", "6", "9", "12"]
    assert set(portal.search_params("sort")) == {"id asc"}
    assert set(portal.search_params("q")) == {"*:*"}
    assert not any(portal.search_params("fq"))  # the first run asks for everything
    expected_files = [f for pkg in portal.packages.values() for f in _served_files(pkg)]
    assert len(expected_files) >= 15
    assert all(portal.hits[f"/files/{name}"] == 1 for name in expected_files)
    assert not any(path.startswith("/pages/") for path in portal.hits)  # links are not fetched

    # a Brazilian package: mapped fields, and its CSV downloads byte-identical
    pkg = catalog.package_show(rt, id_or_name="comprasnet-contratos", base_url="")
    assert pkg["title"] == "Compras.gov.br Contratos"
    assert pkg["organization"]["title"] == "Ministério da Economia - ME"
    assert (pkg["issued"], pkg["modified"]) == ("2021-09-13", "2023-01-29")
    served = portal.packages["51dac7f3-c3c3-4db6-acfa-d38e2d505479"]
    csv = next(r for r in served["resources"] if "/files/" in r["url"])
    stored = next(r for r in pkg["resources"] if r["name"] == csv["name"])
    assert stored["format"] == "CSV"
    download = catalog.resource_download(rt, dataset=pkg["name"], resource_id=stored["id"])
    assert download.path.read_bytes() == portal.files[csv["url"].rsplit("/", 1)[-1]]
    datasets = _datasets(rt)
    assert any("没有可下载" in line for line in datasets[served["id"]].unnormalised["未下载资源"])

    taxigov = catalog.package_show(rt, id_or_name="corridas-do-taxigov", base_url="")
    assert "taxigov" in [t["name"] for t in taxigov["tags"]]
    assert taxigov["license_id"] == "other-pd" and taxigov["resources"] == []
    stored_taxigov = datasets["33520fa2-a68f-485f-8d36-9cb08633a561"]
    assert stored_taxigov.source_url == f"{portal.url}/dataset/corridas-do-taxigov"
    assert any("HTML" in line for line in stored_taxigov.unnormalised["未下载资源"])
    assert stored_taxigov.unnormalised["extras"]["Frequência de atualização"] == "diária"
    # HDX: a group outside our topics is kept, its frequency (every 90 days) is mapped
    hdx = datasets["f5d0ab3b-5549-486e-a619-1fc5702237f7"]
    assert hdx.topic is None and hdx.unnormalised["topic"] == "Zimbabwe"
    assert hdx.update_cycle == "每季"
    # demo.ckan.org: no organization → the maintainer; no maintainer either → the source
    plants = catalog.package_show(rt, id_or_name="100-validated-species-of-plants", base_url="")
    assert plants["organization"]["title"] == "TKKIM"
    hk = catalog.package_show(
        rt, id_or_name="1617in10-regulation-of-sale-of-overseas-properties-20170426-c", base_url=""
    )
    assert hk["organization"]["title"] == "portal" and hk["resources"] == []
    sdb = catalog.package_show(
        rt, id_or_name="2016-regione-asia-est-oceania-classi-di-eta", base_url=""
    )
    assert sdb["organization"]["title"] == "SDB"
    # the kind's download folder is gone after the job
    assert not list(rt.paths.staging.glob("ckan-*"))
    rt.close()


def test_unchanged_reharvest_downloads_no_file_and_reports_all_unchanged(rt, portal):
    first = _harvest(rt, portal.url)
    _mark_complete(rt, first)
    downloads = portal.file_requests()

    second = _harvest(rt, portal.url)

    assert second.status == "finished", second.message
    assert second.counts["unchanged"] == 7 and sum(second.counts.values()) == 7
    assert portal.file_requests() == downloads


def test_incremental_run_asks_for_changes_only_and_withdraws_deleted_packages(rt, portal):
    first = _harvest(rt, portal.url)
    _mark_complete(rt, first)
    with rt.reader() as session:
        since = session.scalar(select(HarvestSource.last_complete_at))
    searches = len(portal.searches)
    changed_id, deleted_id = CHANGED, DELETED
    portal.touch(changed_id, title="Programas e editais de iniciação científica (revisado)")
    del portal.packages[deleted_id]
    downloads = portal.file_requests()

    second = _harvest(rt, portal.url)

    assert second.status == "finished", second.message
    outcomes = _outcomes(rt, second)
    assert outcomes[changed_id]["outcome"] == "updated"
    assert outcomes[deleted_id]["outcome"] == "withdrawn"
    assert second.counts["unchanged"] == 5 and second.counts["errored"] == 0
    # the changed query carried the date filter; the id listing did not, and asked for ids
    new = portal.searches[searches:]
    dated = [s for s in new if "metadata_modified:[" in s.get("fq", "")]
    assert dated and all(s.get("fl") != "id" for s in dated)
    stamp = dated[0]["fq"].split("[", 1)[1].split(" ", 1)[0]
    assert stamp == (since - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")  # CKAN's UTC format
    assert all("metadata_modified" not in s.get("fq", "") for s in new if s.get("fl") == "id")
    assert portal.hits["/api/3/action/package_show"] == 0
    # only the changed package's files were downloaded again
    changed_files = _served_files(portal.packages[changed_id])
    assert portal.file_requests() - downloads == len(changed_files)
    shown = catalog.package_show(
        rt, id_or_name="programas-editais-de-iniciacao-cientifica", base_url=""
    )
    assert shown["title"].endswith("(revisado)")
    with pytest.raises(NotFound):
        catalog.package_show(rt, id_or_name="contratos-ifg", base_url="")


def test_package_that_failed_is_read_again_on_the_next_incremental_run(rt, portal):
    failing = portal.packages[DELETED]
    name = _served_files(failing)[0]
    content = portal.files.pop(name)  # its file answers 404
    first = _harvest(rt, portal.url)
    assert _outcomes(rt, first)[failing["id"]]["outcome"] == "unmirrored"
    assert "HTTP 404" in _outcomes(rt, first)[failing["id"]]["message"]
    _mark_complete(rt, first)
    portal.files[name] = content  # fixed at the source, but the package itself is unchanged

    second = _harvest(rt, portal.url)

    outcomes = _outcomes(rt, second)
    assert outcomes[failing["id"]]["outcome"] == "updated"  # the link became the file
    shown = catalog.package_show(rt, id_or_name=outcomes[failing["id"]]["dataset_id"], base_url="")
    assert all(r["mirrored"] and r["unmirrored"] is None for r in shown["resources"])
    assert portal.hits["/api/3/action/package_show"] == 1
    assert second.counts["unchanged"] == 6


def test_a_page_answering_500_is_an_errored_object_and_nothing_is_withdrawn(rt, portal):
    first = _harvest(rt, portal.url)
    _mark_complete(rt, first)
    del portal.packages[DELETED]  # would be withdrawn …
    portal.fail_pages[3] = -1  # … but the second page of the id listing always fails

    second = _harvest(rt, portal.url)

    assert second.status == "finished", second.message
    errors = [o for o in job_objects(rt, second.job_id) if o["outcome"] == "errored"]
    assert [o["identifier"] for o in errors] == ["package_search fl=id start=3"]
    assert errors[0]["stage"] == "gather" and "HTTP 500" in errors[0]["message"]
    assert second.counts["withdrawn"] == 0
    assert _datasets(rt)[DELETED].state == "active"


def test_a_500_is_retried_and_a_page_that_keeps_failing_is_skipped(tmp_path, portal):
    rt = _runtime(tmp_path, harvest_retries=1)
    portal.fail_pages[3] = 2  # the second page fails, and so does its retry
    portal.fail_pages[6] = 1  # the third page fails once, then answers

    result = _harvest(rt, portal.url)

    assert result.status == "finished", result.message
    assert result.counts["added"] == 4 and result.counts["errored"] == 1
    [errored] = [o for o in job_objects(rt, result.job_id) if o["outcome"] == "errored"]
    assert errored["identifier"] == "package_search start=3" and errored["stage"] == "gather"
    assert "HTTP 500" in errored["message"] and "\n" not in errored["message"]
    assert portal.search_params("start") == ["0", "3", "3", "6", "6"]
    with rt.reader() as session:  # an incomplete run is no basis for an incremental one
        assert session.scalar(select(HarvestSource.last_complete_at)) is None
    rt.close()


def test_malformed_packages_are_errored_objects_and_the_others_are_added(rt, server):
    for package in real_packages()[:4]:
        server.add(package)
    server.broken = [
        "not a package",
        {"id": "no-title", "title": "", "resources": []},
        {"id": "bad-resources", "title": "Broken", "resources": "none"},
        {**real_packages()[4], "id": "secret-one", "name": "secret-one", "private": True},
    ]

    result = _harvest(rt, server.url)

    assert result.status == "finished"
    assert result.counts["added"] == 4 and result.counts["errored"] == 4
    errors = {
        o["identifier"]: o["message"]
        for o in job_objects(rt, result.job_id)
        if o["outcome"] == "errored"
    }
    assert "不是 JSON 对象" in errors["start=3#1"]  # entry 5 of 8: second on the second page
    assert "缺少 title" in errors["no-title"]
    assert "resources 不是列表" in errors["bad-resources"]
    assert "私有数据集" in errors["secret-one（私有数据集）"]
    assert "secret-one" not in _datasets(rt)


def test_a_source_that_is_down_fails_the_job_with_a_reason(rt):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _harvest(rt, f"http://127.0.0.1:{port}")
    _assert_failed(rt, result, "无法连接")


def test_malformed_json_on_the_first_request_fails_the_job(rt, portal):
    portal.malformed_json = True
    _assert_failed(rt, _harvest(rt, portal.url), "不是有效的 JSON")


def test_an_answer_that_is_not_a_ckan_envelope_fails_the_job(rt, portal):
    portal.not_an_envelope = True
    _assert_failed(rt, _harvest(rt, portal.url), "不是 CKAN Action API 的响应")


def test_a_slow_source_times_out_and_the_job_fails(tmp_path, portal):
    rt = _runtime(tmp_path, harvest_timeout=0.5, harvest_retries=0)
    portal.delay = 3.0
    began = time.monotonic()
    result = _harvest(rt, portal.url)
    assert time.monotonic() - began < 2.5
    _assert_failed(rt, result, "超时")
    rt.close()


def _assert_failed(rt: Runtime, result: JobResult, reason: str) -> None:
    assert result.status == "failed"
    assert reason in result.message and "\n" not in result.message
    with rt.reader() as session:
        job = session.get(HarvestJob, result.job_id)
        assert job.status == "failed" and reason in job.message
    assert not _datasets(rt)


def test_an_oversized_file_is_left_unmirrored_and_its_dataset_published(tmp_path, server):
    rt = _runtime(tmp_path, max_file_bytes=1024 * 1024)
    for package in real_packages()[:6]:
        server.add(package)
    streamed = server.packages["3b8b981c-3e44-4df2-a9f6-2473ee4caf83"]  # siorg
    declared = server.packages["51dac7f3-c3c3-4db6-acfa-d38e2d505479"]  # comprasnet-contratos
    for pkg in (streamed, declared):
        server.big_files[_served_files(pkg)[0]] = 3 * 1024 * 1024
    server.declared.add(_served_files(declared)[0])  # refused on its Content-Length alone

    result = _harvest(rt, server.url)

    assert result.status == "finished"
    assert result.counts["added"] == 4 and result.counts["unmirrored"] == 2
    assert result.counts["errored"] == 0
    for pkg in (streamed, declared):
        outcome = _outcomes(rt, result)[pkg["id"]]
        assert outcome["outcome"] == "unmirrored" and outcome["stage"] == "import"
        assert "超过大小上限" in outcome["message"] and "\n" not in outcome["message"]
        shown = catalog.package_show(rt, id_or_name=outcome["dataset_id"], base_url="")
        big = next(r for r in shown["resources"] if not r["mirrored"])
        assert "超过大小上限" in big["unmirrored"]["reason"] and big["size"] is None
        assert "127.0.0.1" not in big["url"]  # a loopback original is never linked
    assert "3145728 > 1048576" in _outcomes(rt, result)[declared["id"]]["message"]
    assert not list(rt.paths.staging.glob("ckan-*"))
    rt.close()


def test_a_package_declaring_conditional_openness_in_extras_is_conditional(rt, server):
    package = real_packages()[10]  # demo.ckan.org, one CSV
    package["extras"] = [
        *package["extras"],
        {"key": "openness", "value": "有条件开放"},
        {"key": "conditions", "value": "须签署数据使用协议"},
        {"key": "accrualPeriodicity", "value": "http://purl.org/cld/freq/monthly"},
    ]
    server.add(package)

    result = _harvest(rt, server.url)

    assert result.counts["added"] == 1, result.changes
    pkg = catalog.package_show(rt, id_or_name=package["name"], base_url="")
    assert pkg["openness"] == "conditional" and pkg["conditions"] == "须签署数据使用协议"
    assert pkg["update_cycle"] == "每月"
    assert _datasets(rt)[package["id"]].unnormalised["extras"] == {"Anno": "2016"}


def test_one_portal_harvests_another(tmp_path):
    """Portal A (ours, harvested from data packages) is harvested by portal B over its API: the
    conditional dataset stays conditional (its files are restricted, so B lists it without
    data), the closed one keeps its rule and basis, the open one's file arrives intact."""
    from werkzeug.serving import make_server

    from portal.app import create_app
    from tests.factories import BUS_ROWS

    folder = tmp_path / "packages"
    write_package(folder, "bus-lines", openness="无条件开放")
    write_package(
        folder,
        "bus-cards",
        title="公交卡办理记录",
        rows=[["办理网点", "办理日期", "卡类型"], ["火车站服务点", "2026-10-08", "学生卡"]],
        openness="有条件开放",
        conditions="须经申请并签署数据使用协议",
    )
    write_package(
        folder,
        "bus-security",
        title="公交安保部署",
        openness="不予开放",
        exclusion_rule="security",
        exclusion_basis="《中华人民共和国反恐怖主义法》",
        resources=[],
    )
    a = make_runtime(tmp_path / "a")
    add_source(a, name="pkgs", kind="datapackage", location=str(folder))
    assert run_source(a, get_sources(a, ["pkgs"])[0]).counts["added"] == 3
    app = create_app({"instance": str(a.paths.root), "ratelimit_enabled": False})
    asked: list[str] = []

    def recording(environ, start_response):  # type: ignore[no-untyped-def]
        asked.append(environ.get("QUERY_STRING", ""))
        return app(environ, start_response)

    httpd = make_server("127.0.0.1", 0, recording, threaded=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}).start()
    b = _runtime(tmp_path / "b")
    try:
        result = _harvest(b, f"http://127.0.0.1:{httpd.server_port}/")
        _mark_complete(b, result)
        again = _harvest(b, f"http://127.0.0.1:{httpd.server_port}/")
    finally:
        httpd.shutdown()
        httpd.server_close()

    # our API answers the queries CKAN harvesters send: id order, and on the second run only
    # the changes since the first (with fl=id to list what still exists)
    assert any("sort=id+asc" in q for q in asked)
    assert not any("sort=name+asc" in q for q in asked)
    second = asked[len(asked) // 2 :]
    assert any("metadata_modified" in q for q in second) and any("fl=id" in q for q in second)
    assert again.status == "finished" and again.counts["unchanged"] == 3, again.changes
    assert result.status == "finished", result.message
    assert result.counts["added"] == 3 and result.counts["errored"] == 0, result.changes
    cards = catalog.package_show(b, id_or_name="bus-cards", base_url="")
    assert cards["openness"] == "conditional"
    assert cards["conditions"] == "须经申请并签署数据使用协议"
    assert cards["organization"]["title"] == "江州市交通运输局"
    assert cards["organization"]["code"] == "11361000MB0000001P"
    assert cards["topic"] == "交通运输" and cards["update_cycle"] == "每月"
    assert cards["resources"] == []  # A answers 403 for them: B lists the entry without data
    [stored] = [d for d in _datasets(b).values() if d.name == "bus-cards"]
    assert any("受限" in line for line in stored.unnormalised["未下载资源"])
    security = catalog.package_show(b, id_or_name="bus-security", base_url="")
    assert security["openness"] == "closed" and security["exclusion_rule"] == "security"
    lines = catalog.package_show(b, id_or_name="bus-lines", base_url="")
    assert lines["openness"] == "unconditional"
    download = catalog.resource_download(
        b, dataset="bus-lines", resource_id=lines["resources"][0]["id"]
    )
    original = catalog.package_show(a, id_or_name="bus-lines", base_url="")
    source_file = catalog.resource_download(
        a, dataset="bus-lines", resource_id=original["resources"][0]["id"]
    )
    assert download.path.read_bytes() == source_file.path.read_bytes()
    assert [c["name"] for c in lines["columns"]] == BUS_ROWS[0]
    a.close()
    b.close()


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https://data.example.gov.cn/", "https://data.example.gov.cn"),
        ("http://127.0.0.1:5000/ckan/api/3/action", "http://127.0.0.1:5000/ckan"),
        ("https://demo.ckan.org/api/3", "https://demo.ckan.org"),
    ],
)
def test_location_must_be_an_http_url_and_is_normalised(rt, location, expected):
    source = add_source(rt, name="portal", kind="ckan", location=location)
    assert source["location"] == expected


def test_bad_locations_and_configuration_are_refused_without_contacting_anyone(rt):
    with pytest.raises(ValidationError, match="http"):
        add_source(rt, name="p1", kind="ckan", location="/srv/data")
    with pytest.raises(ValidationError, match="rows"):
        add_source(rt, name="p2", kind="ckan", location="http://x.test", config={"rows": "0"})
    with pytest.raises(ValidationError, match="rows"):
        add_source(rt, name="p3", kind="ckan", location="http://x.test", config={"rows": "abc"})
    with pytest.raises(ValidationError, match="不支持配置项"):
        add_source(rt, name="p4", kind="ckan", location="http://x.test", config={"q": "x"})
    source = add_source(
        rt,
        name="p5",
        kind="ckan",
        location="http://x.test",
        config={"rows": " 50 ", "organization": "unesco", "fq": "tags:education"},
    )
    assert source["config"] == {"rows": "50", "organization": "unesco", "fq": "tags:education"}


def test_organization_and_fq_are_sent_to_the_portal(rt, portal):
    result = _harvest(rt, portal.url, organization="ministerio-da-economia-me", fq="+tags:x")
    assert result.status == "finished"
    assert portal.search_params("fq")[0] == '+tags:x +organization:"ministerio-da-economia-me"'
    wanted = [
        p
        for p in portal.packages.values()
        if (p["organization"] or {}).get("name") == "ministerio-da-economia-me"
    ]
    assert result.counts["added"] == len(wanted) == 2  # the server ignores the tags clause


def test_a_server_ignoring_start_stops_paging_with_an_error(rt, portal):
    portal.ignore_start = True

    result = _harvest(rt, portal.url)

    assert result.status == "finished"
    assert result.counts["added"] == 3 and result.counts["withdrawn"] == 0
    errors = [o for o in job_objects(rt, result.job_id) if o["outcome"] == "errored"]
    assert [o["identifier"] for o in errors] == ["package_search start=3"]
    assert "start" in errors[0]["message"]
    assert portal.search_params("start") == ["0", "3"]


@pytest.mark.parametrize(
    ("declared", "cycle"),
    [
        ("每月", "每月"),
        ("monthly", "每月"),
        ("http://purl.org/cld/freq/quarterly", "每季"),
        ("http://publications.europa.eu/resource/authority/frequency/ANNUAL", "每年"),
        ("R/P1D", "每日"),
        ("R/P1W", "每周"),
        ("R/P6M", "每半年"),
        ("90", "每季"),  # HDX: days between updates
        ("-2", "不定期"),  # HDX: as needed
        ("asNeeded", "不定期"),  # ISO 19115 (data.gov.uk)
        ("diária", None),  # Portuguese: kept as unnormalised
    ],
)
def test_declared_frequencies_of_real_portals_map_to_update_cycles(declared, cycle):
    assert update_cycle(declared) == cycle


@pytest.mark.parametrize(
    ("fmt", "media_type", "url", "expected"),
    [
        ("CSV", None, "http://x/a", "csv"),
        ("ZIP+CSV", None, "http://x/a.zip", "zip"),
        ("text/csv", None, "http://x/a", "csv"),
        ("", "application/json", "http://x/a", "json"),
        ("", None, "http://x/dados%20abertos.XLSX", "xlsx"),
        ("", None, "http://www.bgs.ac.uk/", None),
    ],
)
def test_resource_formats_come_from_format_media_type_or_url(fmt, media_type, url, expected):
    assert resource_format(fmt, media_type, url) == expected
