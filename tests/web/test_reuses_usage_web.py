"""应用成果, usage figures and the statistics' charts through the pages and the APIs: a citizen
submits a reuse with the form (CSRF, sign-in, URL checks), an operator approves it, it is
listed, linked from its datasets and counted; views, downloads and API calls are counted per
day without who; the 最受欢迎 sort; the charts of /transparency/stats with their period."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from datasets.accounts.keys import create_api_key
from datasets.catalog import usage
from datasets.models import Dataset, UsageCount
from portal.app import create_app
from tests.factories import csrf_token, sign_in
from tests.services.test_transparency import PASSWORD, PERSONAL, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = build_world(tmp_path_factory.mktemp("reuses-web") / "instance")
    yield built
    built.rt.close()


@pytest.fixture(scope="module")
def app(world):
    settings = {"ratelimit_enabled": False, "usage_flush_seconds": 0}
    app = create_app({"instance": str(world.rt.paths.root), **settings})
    app.config.update(TESTING=True)
    return app


def _form(title: str, **extra: str) -> dict[str, str]:
    return {
        "title": title,
        "type": "visualization",
        "url": "https://viz.example.com/bus",
        "datasets": "bus-lines",
        "description": "## 说明\n\n[公交](https://example.com) <img src=x onerror=alert(1)>",
        "author_name": "数据爱好者",
        **extra,
    }


def _submit(client, title: str, **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/reuses/new?dataset=bus-lines").get_data(as_text=True))
    return client.post("/reuses/new", data={**_form(title, **extra), "csrf_token": token})


def _approve(app, reuse_id: str) -> None:  # type: ignore[no-untyped-def]
    operator = sign_in(app, "operator1", PASSWORD)
    queue = operator.get("/admin/reuses").get_data(as_text=True)
    assert f"/admin/reuses/{reuse_id}/decision" in queue
    done = operator.post(
        f"/admin/reuses/{reuse_id}/decision",
        data={"decision": "approve", "reason": "", "csrf_token": csrf_token(queue)},
    )
    assert done.status_code == 302


def test_submitting_needs_a_sign_in_and_a_csrf_token(app):
    anonymous = app.test_client()
    assert "/login" in anonymous.get("/reuses/new").location
    refused = anonymous.post("/api/v1/reuses", json=_form("匿名提交"))
    assert refused.status_code == 401 and refused.get_json()["success"] is False
    citizen = sign_in(app, "citizen1", PASSWORD)
    forged = citizen.post("/reuses/new", data=_form("伪造的提交"))
    assert forged.status_code == 400
    page = citizen.get("/reuses/new?dataset=bus-lines").get_data(as_text=True)
    assert 'value="bus-lines"' in page and "不显示您的账户信息" in page


def test_a_bad_url_is_refused_on_the_form_with_its_message(app):
    citizen = sign_in(app, "citizen1", PASSWORD)
    for url in ("javascript:alert(1)", "data:text/html,x", "ftp://example.com/a"):
        refused = _submit(citizen, "坏链接", url=url)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400 and "访问地址须为以 http:// 或 https:// 开头" in html
        assert 'aria-invalid="true"' in html and "坏链接" in html  # kept for correction
    assert "坏链接" not in citizen.get("/reuses/mine").get_data(as_text=True)


def test_a_reuse_goes_from_the_form_through_review_to_its_datasets(app, world):
    citizen = sign_in(app, "citizen1", PASSWORD)
    made = _submit(citizen, "公交客流可视化")
    assert made.status_code == 302
    reuse_id = made.location.rsplit("/", 1)[-1]
    mine = citizen.get(made.location).get_data(as_text=True)
    assert "待审核" in mine and "公交客流可视化" in mine
    anonymous = app.test_client()
    assert anonymous.get(f"/reuses/{reuse_id}").status_code == 404
    assert "公交客流可视化" not in anonymous.get("/reuses").get_data(as_text=True)
    assert citizen.get("/admin/reuses").status_code == 403

    _approve(app, reuse_id)
    page = anonymous.get(f"/reuses/{reuse_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "公交客流可视化" in html and "数据爱好者" in html
    assert 'href="https://viz.example.com/bus"' in html and "<h2>说明</h2>" in html
    assert "onerror" not in html and "待审核" not in html
    for personal in (*PERSONAL, "citizen1", world.actors["citizen1"].user_id):
        assert personal not in html, personal
    listed = anonymous.get("/reuses?type=visualization").get_data(as_text=True)
    assert f'href="/reuses/{reuse_id}"' in listed
    dataset = anonymous.get("/dataset/bus-lines").get_data(as_text=True)
    assert f'href="/reuses/{reuse_id}"' in dataset and "公交客流可视化" in dataset
    assert "/reuses/new?dataset=bus-lines" in dataset

    api = anonymous.get("/api/v1/reuses?dataset=bus-lines").get_json()
    found = {r["id"]: r for r in api["reuses"]}
    assert found[reuse_id]["type"] == "visualization"
    assert found[reuse_id]["datasets"][0]["name"] == "bus-lines"
    assert "status" not in found[reuse_id] and "submitter_id" not in found[reuse_id]
    ckan = anonymous.get("/api/3/action/reuse_list?id=bus-lines").get_json()
    assert ckan["success"] and reuse_id in {r["id"] for r in ckan["result"]["reuses"]}
    shown = anonymous.get(f"/api/3/action/reuse_show?id={reuse_id}").get_json()["result"]
    assert shown["title"] == "公交客流可视化"
    stats = anonymous.get("/api/v1/transparency/stats").get_json()
    rows = {r["department"]["name"]: r for r in stats["departments"] if r["department"]}
    assert rows[world.departments["transport"]]["reuses"] >= 1 and stats["total"]["reuses"] >= 1


def test_the_api_submits_and_the_operator_rejects_with_a_reason(app, world):
    client = app.test_client()
    key = create_api_key(world.rt, user_name="company1")["key"]
    made = client.post(
        "/api/v1/reuses",
        json={**_form("企业报告"), "type": "report", "datasets": ["bus-lines"]},
        headers={"Authorization": key},
    )
    assert made.status_code == 201 and made.get_json()["status"] == "pending"
    reuse_id = made.get_json()["id"]
    bad = client.post("/api/v1/reuses", json={"title": "x"}, headers={"Authorization": key})
    assert bad.status_code == 400 and {"type", "url", "datasets"} <= set(bad.get_json()["error"])
    operator = create_api_key(world.rt, user_name="operator1")["key"]
    refused = client.post(
        f"/api/v1/reuses/{reuse_id}/decision",
        json={"decision": "approve"},
        headers={"Authorization": key},
    )
    assert refused.status_code == 403
    queue = client.get("/api/v1/reuses/pending", headers={"Authorization": operator}).get_json()
    assert reuse_id in {r["id"] for r in queue["reuses"]}
    url = f"/api/v1/reuses/{reuse_id}/decision"
    no_reason = client.post(url, json={"decision": "reject"}, headers={"Authorization": operator})
    assert no_reason.status_code == 400 and "理由" in no_reason.get_json()["error"]["message"]
    rejected = client.post(
        url,
        json={"decision": "reject", "reason": "链接无法打开"},
        headers={"Authorization": operator},
    )
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    again = client.post(url, json={"decision": "approve"}, headers={"Authorization": operator})
    assert again.status_code == 409
    mine = client.get("/api/v1/reuses/mine", headers={"Authorization": key}).get_json()
    assert {r["id"]: r["reason"] for r in mine["reuses"]}[reuse_id] == "链接无法打开"
    assert client.get(f"/api/v1/reuses/{reuse_id}").status_code == 404


# -- usage -------------------------------------------------------------------------------------


def _today_counts(world, name: str) -> dict[str, int]:
    with world.rt.reader() as session:
        ds_id = session.scalar(select(Dataset.id).where(Dataset.name == name))
        rows = session.execute(
            select(UsageCount.kind, UsageCount.count).where(
                UsageCount.dataset_id == ds_id, UsageCount.day == usage.today()
            )
        )
        return dict(rows.all())


def test_views_downloads_and_api_calls_are_counted_per_day(app, world):
    client = app.test_client()
    before = _today_counts(world, "bus-lines")
    package = client.get("/api/3/action/package_show?id=bus-lines").get_json()["result"]
    for _ in range(2):
        assert client.get("/dataset/bus-lines").status_code == 200
    client.head("/dataset/bus-lines")  # not a view
    for crawler in (
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    ):  # crawlers are not uses
        assert client.get("/dataset/bus-lines", headers={"User-Agent": crawler}).status_code == 200
    assert client.get("/dataset/no-such-dataset").status_code == 404
    download = package["resources"][0]["url"].split("://", 1)[-1].split("/", 1)[-1]
    assert client.get("/" + download).status_code == 200
    after = _today_counts(world, "bus-lines")
    assert after.get("view", 0) - before.get("view", 0) == 2
    assert after.get("download", 0) - before.get("download", 0) == 1
    assert after.get("api", 0) - before.get("api", 0) == 1
    # counters only: a day, a dataset, a kind, a number
    assert set(UsageCount.__table__.columns.keys()) == {"day", "dataset_id", "kind", "count"}


def test_pages_show_figures_up_to_yesterday_and_search_sorts_by_them(app, world):
    yesterday = usage.today() - timedelta(days=1)
    with world.rt.session() as session:
        ids = dict(session.execute(select(Dataset.name, Dataset.id)).all())
        session.add_all(
            [
                UsageCount(
                    day=yesterday, dataset_id=ids["bus-stops-plan"], kind="view", count=4321
                ),
                UsageCount(day=yesterday, dataset_id=ids["bus-lines"], kind="api", count=12),
            ]
        )
    client = app.test_client()
    page = client.get("/dataset/bus-stops-plan").get_data(as_text=True)
    assert "浏览 <strong>4,321</strong> 次" in page and f"统计至 {yesterday}" in page
    found = client.get("/search?sort=views_recent+desc").get_data(as_text=True)
    names = re.findall(r'href="/dataset/([a-z-]+)"', found)
    assert names.index("bus-stops-plan") < names.index("bus-lines")
    assert re.search(r'<option value="views_recent desc"[^>]*selected[^>]*>最受欢迎', found)
    api = client.get("/api/3/action/package_search?sort=views_recent desc&rows=2").get_json()
    assert [p["name"] for p in api["result"]["results"]] == ["bus-stops-plan", "bus-lines"]
    tracked = client.get("/api/3/action/package_show?id=bus-stops-plan&include_tracking=true")
    summary = tracked.get_json()["result"]["tracking_summary"]
    assert summary["total"] == 4321 and summary["recent"] == 4321


# -- statistics charts -------------------------------------------------------------------------


def test_the_statistics_page_has_accessible_charts_beside_tables(app, world):
    html = app.test_client().get("/transparency/stats").get_data(as_text=True)
    svgs = re.findall(r"<svg [^>]*>.*?</svg>", html, re.S)
    assert len(svgs) == 7
    for svg in svgs:
        labelled = re.search(
            r'aria-labelledby="(chart-[0-9a-f]+-title) (chart-[0-9a-f]+-desc)"', svg
        )
        assert labelled and 'role="img"' in svg
        assert (
            f'<title id="{labelled.group(1)}">' in svg and f'<desc id="{labelled.group(2)}">' in svg
        )
        assert "<script" not in svg and "style=" not in svg
    openness = next(s for s in svgs if "各部门在用数据集数" in s)
    assert re.search(r"江州市交通运输局：无条件开放 \d+，有条件开放 \d+，不予开放 \d+", openness)
    readable = next(s for s in svgs if "机器可读比例" in s)
    assert "66.7%" in readable  # the same figure as the table's
    assert "按月趋势" in html and "最受欢迎的数据集" in html and "按期办结率" in html
    assert "<script" not in html.split("<main", 1)[1]


def test_the_statistics_period_filters_cases_and_is_checked(app):
    client = app.test_client()
    every = client.get("/api/v1/transparency/stats").get_json()
    old = client.get("/api/v1/transparency/stats?year=2020").get_json()
    assert every["total"]["applications"]["received"] == 3
    assert old["total"]["applications"]["received"] == 0 and old["period"]["label"] == "2020年"
    page = client.get("/transparency/stats?since=2020-01-01&until=2020-06-30")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "统计期间 2020-01-01 至 2020-06-30" in html
    assert "2020-06" in html and 'value="2020-01-01"' in html
    for bad in ("year=1999", "since=2020-02-30", "since=2021-01-01&until=2020-01-01"):
        refused = client.get(f"/transparency/stats?{bad}")
        assert refused.status_code == 400, bad
        assert re.search(r"[\u4e00-\u9fff]", refused.get_data(as_text=True))
        assert client.get(f"/api/v1/transparency/stats?{bad}").status_code == 400
