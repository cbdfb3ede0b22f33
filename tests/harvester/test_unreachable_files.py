"""Harvesting catalogs whose files live elsewhere (issue 11): a file that cannot be downloaded
never drops its dataset, slow and dead hosts cannot hold a job, downloads run side by side.

Everything goes over real HTTP on loopback: the catalogs are served by a file server, the files
by hosts that misbehave on purpose (``badhosts``). Outside names never resolve here: the
resolver refuses them (as it does on a machine without Internet access), so the real catalog's
files on dozens of outside hosts are all unreachable.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from datasets.accounts.permissions import Actor
from datasets.catalog import services as catalog
from datasets.models import Dataset, HarvestJob
from harvester.history import job_detail
from harvester.jobs import job_objects, run_source
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime
from tests.harvester.badhosts import BadHost
from tests.harvester.fileserver import FileServer, block_outside_hosts, quick_folder

PUBLISHER = {"name": "江州市交通运输局"}
OPERATOR = Actor("运维", "op", frozenset({"operator"}))


@pytest.fixture(autouse=True)
def outside(monkeypatch):  # type: ignore[no-untyped-def]
    return block_outside_hosts(monkeypatch)


@pytest.fixture
def rt(tmp_path):  # type: ignore[no-untyped-def]
    with quick_folder(tmp_path) as folder:
        runtime = make_runtime(
            folder / "instance",
            harvest_workers=1,
            harvest_timeout=30,
            harvest_download_seconds=2,
            harvest_allowed_networks="127.0.0.1/32",  # the misbehaving hosts are on loopback
        )
        yield runtime
        runtime.close()


@pytest.fixture
def server(tmp_path):  # type: ignore[no-untyped-def]
    with FileServer(tmp_path / "www") as srv:
        yield srv


def harvest(rt, server, entries, name="dj"):  # type: ignore[no-untyped-def]
    location = server.write(f"{name}.json", json.dumps({"dataset": entries}, ensure_ascii=False))
    add_source(rt, name=name, kind="datajson", location=location, config={}, exist_ok=True)
    return run_source(rt, get_sources(rt, [name])[0])


def entry(identifier, *urls, access="public"):  # type: ignore[no-untyped-def]
    return {
        "identifier": identifier,
        "title": f"数据集 {identifier}",
        "description": "江州市交通运输局发布的测试数据。",
        "publisher": PUBLISHER,
        "accessLevel": access,
        "distribution": [
            {"downloadURL": url, "mediaType": "text/csv", "title": f"{identifier}-{n}.csv"}
            for n, url in enumerate(urls)
        ],
    }


def outcomes(rt, result):  # type: ignore[no-untyped-def]
    return {o["identifier"]: o for o in job_objects(rt, result.job_id)}


def package(rt, result, identifier):  # type: ignore[no-untyped-def]
    dataset_id = outcomes(rt, result)[identifier]["dataset_id"]
    return catalog.package_show(rt, id_or_name=dataset_id, base_url="https://data.example.gov.cn")


@pytest.mark.slow
def test_the_real_data_json_publishes_every_dataset_with_its_files_unmirrored(
    rt, server, realdata, outside
):
    source = realdata / "project-open-data" / "datagov-harvester" / "dcatus_with_none.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    location = server.write("philly.json", source.read_bytes())
    add_source(rt, name="philly", kind="datajson", location=location, config={})
    started = time.monotonic()
    result = run_source(rt, get_sources(rt, ["philly"])[0])
    seconds = time.monotonic() - started

    assert result.status == "finished", result.message
    assert seconds < 60, seconds
    published = result.counts["added"] + result.counts["unmirrored"]
    assert published == len(data["dataset"]) == 402 and result.counts["errored"] == 0
    assert result.counts["unmirrored"] > 100  # most entries name files on outside hosts
    assert len(set(outside)) > 20  # the hosts were really tried, and not one by one per file
    assert result.hosts.most_common(1)[0][1] > 10
    with rt.reader() as session:
        assert session.query(Dataset).filter(Dataset.state == "active").count() == 402
    # an unmirrored file of this public catalog links to its public original, marked
    some = next(i for i, o in outcomes(rt, result).items() if o["outcome"] == "unmirrored")
    [first, *_] = [r for r in package(rt, result, some)["resources"] if not r["mirrored"]]
    assert first["url"].startswith("http") and "data.example.gov.cn" not in first["url"]
    assert first["url_type"] is None and first["size"] is None and first["hash"] is None
    assert first["unmirrored"]["reason"] == "无法连接：域名无法解析"
    assert first["unmirrored"]["last_tried"] and first["unmirrored"]["validated"] is False
    # the history counts them per host, as their own outcome
    detail = job_detail(rt, actor=OPERATOR, job_id=result.job_id)
    assert detail["outcomes"]["unmirrored"] == result.counts["unmirrored"]
    assert dict(detail["unmirrored_hosts"]) == dict(result.hosts)


def test_a_drip_and_a_silent_host_end_with_a_reason_within_their_deadline(rt, server):
    with BadHost("drip", interval=0.3) as drip, BadHost("silent") as silent:
        started = time.monotonic()
        result = harvest(
            rt, server, [entry("drip", drip.url("a.csv")), entry("silent", silent.url("b.csv"))]
        )
        seconds = time.monotonic() - started
    assert result.status == "finished", result.message
    assert seconds < 2 * 2 + 3, seconds  # both downloads ran at once, each within 2 s
    found = outcomes(rt, result)
    assert found["drip"]["outcome"] == "unmirrored"
    assert "下载超时：超过 2 秒仍未完成" in found["drip"]["message"]
    assert found["silent"]["outcome"] == "unmirrored"
    assert "下载超时" in found["silent"]["message"]
    [res] = package(rt, result, "silent")["resources"]
    assert res["url"].startswith("https://data.example.gov.cn/dataset/")  # loopback: no link
    assert res["unmirrored"]["reason"] == "下载超时：超过 2 秒仍未完成"


def test_a_dead_host_is_given_up_after_a_few_failures(tmp_path, server):
    with quick_folder(tmp_path) as folder:
        rt = make_runtime(
            folder / "instance",
            harvest_workers=1,
            harvest_timeout=0.5,
            harvest_host_failures=3,
            harvest_host_downloads=1,
            harvest_allowed_networks="127.0.0.1/32",
        )
        with BadHost("silent") as silent:
            entries = [entry(f"d{n}", silent.url(f"{n}.csv")) for n in range(10)]
            started = time.monotonic()
            result = harvest(rt, server, entries)
            seconds = time.monotonic() - started
            tried = silent.connections
        found = outcomes(rt, result).values()
        rt.close()
    assert tried == 3 and seconds < 10, (tried, seconds)
    messages = [o["message"] for o in found if o["outcome"] == "unmirrored"]
    assert len(messages) == 10
    assert sum("本次采集不再尝试" in m for m in messages) == 7
    assert sum("响应超时" in m and "不再尝试" not in m for m in messages) == 3


def test_downloads_run_side_by_side_but_few_at_a_time_per_host(tmp_path, server):
    with quick_folder(tmp_path) as folder:
        rt = make_runtime(
            folder / "instance",
            harvest_workers=1,
            harvest_downloads=8,
            harvest_host_downloads=3,
            harvest_allowed_networks="127.0.0.1/32",
        )
        with BadHost("slow", delay=0.3) as slow:
            entries = [entry(f"d{n}", slow.url(f"{n}.csv")) for n in range(12)]
            started = time.monotonic()
            result = harvest(rt, server, entries)
            seconds = time.monotonic() - started
            most = slow.most_at_once
        rt.close()
    assert result.counts["added"] == 12, result.changes
    assert most == 3  # never more than the per-host limit, and it was reached
    assert seconds < 12 * 0.3, seconds  # one after another would take 3.6 s


def test_retries_only_for_errors_worth_retrying(tmp_path, server):
    with quick_folder(tmp_path) as folder:
        rt = make_runtime(
            folder / "instance", harvest_workers=1, harvest_retries=2, harvest_timeout=2
        )
        server.write("ok.csv", "名称\n公交\n")
        server.statuses["/gone.csv"] = 404
        server.statuses["/busy.csv"] = 503
        result = harvest(
            rt,
            server,
            [entry("gone", server.url("gone.csv")), entry("busy", server.url("busy.csv"))],
        )
        rt.close()
    assert server.count("gone.csv") == 1  # a 404 is final
    assert server.count("busy.csv") == 3  # a 503 may pass: tried again twice
    assert result.counts["unmirrored"] == 2


def test_the_original_url_is_shown_only_for_unconditional_public_addresses(rt, server):
    public = "http://files.jiangzhou.gov.cn/bus.csv"  # a public name (unreachable from here)
    result = harvest(
        rt,
        server,
        [
            entry("open", public),
            entry("conditional", public.replace("bus", "card"), access="restricted public"),
            entry("loopback", server.url("missing.csv")),
        ],
    )
    assert result.counts["unmirrored"] == 3, result.changes
    [opened] = package(rt, result, "open")["resources"]
    assert opened["url"] == public and opened["unmirrored"]["reason"] == "无法连接：域名无法解析"
    [conditional] = package(rt, result, "conditional")["resources"]
    assert "jiangzhou.gov.cn" not in json.dumps(conditional, ensure_ascii=False)
    [loopback] = package(rt, result, "loopback")["resources"]
    assert "127.0.0.1" not in loopback["url"] and "missing.csv" not in loopback["url"]
    assert loopback["unmirrored"]["reason"] == "来源返回 HTTP 404"


def test_the_dataset_page_marks_the_file_and_links_the_public_original(rt, server):
    from portal.app import create_app

    public = "http://files.jiangzhou.gov.cn/bus.csv"
    result = harvest(rt, server, [entry("open", public)])
    name = outcomes(rt, result)["open"]["dataset_id"]
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    page = app.test_client().get(f"/dataset/{name}").get_data(as_text=True)
    assert "未镜像" in page and "未校验" in page and "无法连接：域名无法解析" in page
    assert f'href="{public}"' in page and "前往原始地址" in page
    download = package(rt, result, "open")["resources"][0]["id"]
    answer = app.test_client().get(f"/dataset/{name}/resource/{download}/download/x.csv")
    assert answer.status_code == 404 and "未镜像" in answer.get_data(as_text=True)


def test_a_job_past_its_deadline_stops_and_withdraws_nothing(tmp_path, server):
    with quick_folder(tmp_path) as folder:
        rt = make_runtime(
            folder / "instance",
            harvest_workers=1,
            harvest_timeout=30,
            harvest_download_seconds=30,
            harvest_job_minutes=0.03,  # 1.8 s
            harvest_allowed_networks="127.0.0.1/32",
        )
        with BadHost("drip", interval=0.2) as drip:
            entries = [entry(f"d{n}", drip.url(f"{n}.csv")) for n in range(40)]
            started = time.monotonic()
            result = harvest(rt, server, entries)
            seconds = time.monotonic() - started
        with rt.reader() as session:
            job = session.get(HarvestJob, result.job_id)
            assert job is not None and job.status == "failed"
            assert session.scalars(select(Dataset.state)).all().count("withdrawn") == 0
        rt.close()
    assert seconds < 10, seconds
    assert "超过时限" in result.message and "本次不撤回任何条目" in result.message
    taken = result.counts["unmirrored"] + result.counts["added"]
    assert taken < 40
    assert any("时限" in m for _, _, m in result.changes)


def test_a_new_version_that_cannot_be_downloaded_keeps_the_mirrored_one(rt, server):
    server.write("bus.csv", "线路,站数\n1路,20\n")
    first = harvest(rt, server, [entry("bus", server.url("bus.csv"))])
    assert first.counts["added"] == 1, first.changes
    before = package(rt, first, "bus")
    server.statuses["/bus.csv"] = 404
    changed = entry("bus", server.url("bus.csv"))
    changed["modified"] = "2026-12-01"  # a new version: its file is downloaded again

    second = harvest(rt, server, [changed])

    found = outcomes(rt, second)["bus"]
    assert found["outcome"] == "unmirrored" and "保留已镜像的上一版本" in found["message"]
    after = package(rt, second, "bus")
    assert after["resources"] == before["resources"]  # the mirrored file is still served
    assert after["resources"][0]["mirrored"] and after["resources"][0]["size"]
    del server.statuses["/bus.csv"]
    third = harvest(rt, server, [changed])  # tried again, and this time it comes
    assert outcomes(rt, third)["bus"]["outcome"] == "updated"
