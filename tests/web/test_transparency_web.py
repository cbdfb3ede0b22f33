"""The 公开透明 pages and API, the audit export's access rules, the notices page with its
header count, and e-mail sent in the background after a POST."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest

from datasets.accounts.keys import create_api_key
from portal.app import create_app
from portal.pages.notifications import courier
from tests.services.test_mail import Sink
from tests.services.test_transparency import PASSWORD, PERSONAL, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = build_world(tmp_path_factory.mktemp("transparency-web") / "instance")
    yield built
    built.rt.close()


@pytest.fixture(scope="module")
def app(world):
    app = create_app({"instance": str(world.rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    return app


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, name: str):  # type: ignore[no-untyped-def]
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf_token": _token(page)}
    )
    assert response.status_code == 302
    return client


# -- public pages ------------------------------------------------------------------------------


def test_the_decisions_page_shows_replies_without_personal_data(app, world):
    response = app.test_client().get("/transparency")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for key in ("app1", "app3", "objection", "request"):
        assert world.refs[key] in html
    assert world.refs["app2"] not in html
    assert "同意提供。" in html and "已列入年度开放计划。" in html and "撤销原决定" in html
    assert 'href="/transparency/stats"' in html and "/transparency/open-list.csv" in html
    for personal in PERSONAL:
        assert personal not in html, personal


def test_the_decisions_page_filters_and_links_its_json(app, world):
    client = app.test_client()
    html = client.get("/transparency?kind=objection").get_data(as_text=True)
    assert world.refs["objection"] in html and world.refs["app1"] not in html
    assert "/api/v1/transparency/decisions?kind=objection" in html
    data = client.get(
        f"/api/v1/transparency/decisions?department={world.departments['health']}"
    ).get_json()
    assert {d["reference"] for d in data["decisions"]} == {
        world.refs["app3"],
        world.refs["objection"],
    }
    bad = client.get("/api/v1/transparency/decisions?kind=nonsense")
    assert bad.status_code == 400 and bad.get_json()["success"] is False


def test_every_page_links_to_transparency(app):
    html = app.test_client().get("/").get_data(as_text=True)
    assert 'href="/transparency"' in html and "公开透明" in html


def test_the_statistics_page_and_json(app, world):
    client = app.test_client()
    html = client.get("/transparency/stats").get_data(as_text=True)
    assert "江州市交通运输局" in html and "江州市医疗保障局" in html
    assert "66.7%" in html and "合计" in html
    data = client.get("/api/v1/transparency/stats").get_json()
    rows = {r["department"]["name"]: r for r in data["departments"]}
    assert rows[world.departments["transport"]]["applications"]["overdue"] == 1
    assert data["total"]["objections"]["overturned"] == 1


def test_the_open_list_downloads_as_csv_with_a_bom(app):
    response = app.test_client().get("/transparency/open-list.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    names = {r["数据集标识"] for r in rows}
    assert {"bus-lines", "taxi-permits", "med-aid", "road-plan"} <= names and "tax" not in names
    assert all(r["访问地址"].startswith("http://localhost/dataset/") for r in rows)


# -- the audit export --------------------------------------------------------------------------


def test_the_audit_export_is_refused_to_everyone_but_bureau_and_operators(app):
    anonymous = app.test_client().get("/admin/audit.csv")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert app.test_client().get("/api/v1/audit").status_code == 401
    for name in ("citizen1", "company1", "reviewer-a"):
        client = _login(app.test_client(), name)
        assert client.get("/admin/audit.csv").status_code == 403
        refused = client.get("/api/v1/audit")
        assert refused.status_code == 403 and refused.get_json()["success"] is False


def test_the_bureau_exports_the_audit_log(app, world):
    client = _login(app.test_client(), "bureau1")
    response = client.get("/admin/audit.csv?action=application.*")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["id", "at", "actor", "action", "object_type", "object_id", "detail"]
    assert rows[1:] and all(r[3].startswith("application.") for r in rows[1:])
    assert "审计日志导出" in client.get("/transparency").get_data(as_text=True)
    assert client.get("/admin/audit.csv?since=nonsense").status_code == 400


def test_the_audit_api_pages_with_an_api_key(app, world):
    key = create_api_key(world.rt, user_name="operator1")["key"]
    client = app.test_client()
    response = client.get(
        "/api/v1/audit?action=objection.decide&per_page=1", headers={"Authorization": key}
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["count"] == 1 and data["entries"][0]["actor"] == "bureau1"
    assert data["entries"][0]["detail"]["reference"] == world.refs["objection"]
    citizen = create_api_key(world.rt, user_name="citizen1")["key"]
    assert client.get("/api/v1/audit", headers={"Authorization": citizen}).status_code == 403


# -- notices -----------------------------------------------------------------------------------


def test_notices_page_lists_newest_first_and_marks_all_read(app, world):
    client = _login(app.test_client(), "company1")
    home = client.get("/").get_data(as_text=True)
    count = re.search(r'class="notice-count">(\d+)<', home)
    assert count and int(count.group(1)) >= 3
    page = client.get("/notifications").get_data(as_text=True)
    subjects = re.findall(r'<p class="notice-subject">.*?<a href="[^"]+">([^<]+)</a>', page, re.S)
    assert subjects[0].startswith("复核申请") and "已作出决定" in subjects[-1]
    assert page.count('class="notice is-unread"') == int(count.group(1))

    assert client.post("/notifications/read").status_code == 400  # no CSRF token
    done = client.post("/notifications/read", data={"csrf_token": _token(page)})
    assert done.status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert "is-unread" not in page and "notice-count" not in page
    data = client.get("/api/v1/notifications").get_json()
    assert data["unread"] == 0 and all(n["read"] for n in data["notifications"])


def test_opening_a_notice_marks_it_read_and_follows_its_link(app, world):
    key = create_api_key(world.rt, user_name="reviewer-b")["key"]
    api = app.test_client()
    data = api.get("/api/v1/notifications?unread=1", headers={"Authorization": key}).get_json()
    # the new application, its objection, the ruling: newest first
    assert len(data["notifications"]) == 3, data
    notice = data["notifications"][0]
    assert notice["subject"].startswith("复核决定撤销了申请")
    assert notice["link"] == f"/services/application/{world.ids['app3']}"

    client = _login(app.test_client(), "reviewer-b")
    response = client.get(f"/notifications/{notice['id']}")
    assert response.status_code == 302 and response.location == notice["link"]
    again = api.get("/api/v1/notifications", headers={"Authorization": key}).get_json()
    assert next(n for n in again["notifications"] if n["id"] == notice["id"])["read"] is True
    other = _login(app.test_client(), "company1")
    assert other.get(f"/notifications/{notice['id']}").status_code == 404

    marked = api.post("/api/v1/notifications/read", headers={"Authorization": key})
    assert marked.status_code == 200 and "marked" in marked.get_json()


def test_anonymous_visitors_have_no_notices(app):
    client = app.test_client()
    assert client.get("/notifications").status_code == 302
    assert client.get("/api/v1/notifications").status_code == 401
    assert "notice-count" not in client.get("/").get_data(as_text=True)


def test_a_successful_post_mails_pending_notices_in_the_background(world):
    sink = Sink().start()
    try:
        mail_app = create_app(
            {
                "instance": str(world.rt.paths.root),
                "ratelimit_enabled": False,
                "smtp_host": "127.0.0.1",
                "smtp_port": sink.port,
                "base_url": "https://data.example.gov.cn",
            }
        )
        mail_app.config.update(TESTING=True)
        client = mail_app.test_client()
        assert client.get("/transparency").status_code == 200
        time.sleep(0.2)
        assert sink.messages == []  # GET requests never send
        _login(client, "reviewer-a")  # any successful POST starts the sender
        sink.wait_for(1)
        deadline = time.monotonic() + 10
        while not courier(mail_app).idle() and time.monotonic() < deadline:
            time.sleep(0.05)
        recipients = {to for tos, _ in sink.messages for to in tos}
        assert "reviewer-a@jt.example.gov.cn" in recipients
        assert "boss@example.com" in recipients and "bureau@example.gov.cn" in recipients
        links = [m.get_content() for _, m in sink.messages]
        assert any("https://data.example.gov.cn/services/" in body for body in links)
    finally:
        sink.stop()
