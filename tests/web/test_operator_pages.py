"""The operator's quarantine pages: sign-in, findings, masking rules, release, reclassification,
with CSRF on every form and no access for anyone else."""

import re

import pytest

from datasets.accounts.users import create_user
from portal.app import create_app
from tests.conftest import harvest_demo
from tests.factories import make_runtime

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def ops_app(tmp_path_factory):
    rt = make_runtime(tmp_path_factory.mktemp("ops") / "instance")
    harvest_demo(rt)
    create_user(rt, name="ops", role="operator", password=PASSWORD)
    create_user(rt, name="citizen1", role="citizen", password=PASSWORD)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    yield app
    rt.close()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, name):
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf_token": _token(page), "next": "/admin/"},
    )
    assert response.status_code == 302
    return client


def test_anonymous_visitors_are_sent_to_sign_in(ops_app):
    response = ops_app.test_client().get("/admin/quarantine")
    assert response.status_code == 302 and "/login?next=/admin/quarantine" in response.location


def test_wrong_passwords_and_foreign_next_urls_are_refused(ops_app):
    client = ops_app.test_client()
    token = _token(client.get("/login").get_data(as_text=True))
    bad = client.post("/login", data={"name": "ops", "password": "nope", "csrf_token": token})
    assert bad.status_code == 401 and "用户名或密码不正确" in bad.get_data(as_text=True)
    good = client.post(
        "/login",
        data={
            "name": "ops",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert good.location == "/admin/quarantine"  # a foreign next is dropped: the operator's landing


def test_forms_without_a_csrf_token_are_rejected(ops_app):
    client = ops_app.test_client()
    assert client.post("/login", data={"name": "ops", "password": PASSWORD}).status_code == 400


def test_citizens_may_not_open_the_quarantine(ops_app):
    client = _login(ops_app.test_client(), "citizen1")
    assert client.get("/admin/quarantine").status_code == 403


def test_operator_sees_findings_sets_rules_and_releases(ops_app):
    client = _login(ops_app.test_client(), "ops")
    page = client.get("/admin/quarantine").get_data(as_text=True)
    assert "志愿者服务队名单" in page and "手机号码" in page and "****" in page
    name = re.search(r'href="/admin/dataset/([^"]+)">志愿者服务队名单<', page).group(1)
    detail = client.get(f"/admin/dataset/{name}").get_data(as_text=True)
    columns = re.findall(r'name="column" value="([^"]+)"', detail)
    assert "联系电话" in columns and "负责人" in columns
    policies = {"联系电话": "mask-mobile", "负责人": "mask-name"}
    token = _token(detail)
    data = {
        "csrf_token": token,
        "column": columns,
        "policy": [policies.get(c, "") for c in columns],
    }
    assert client.post(f"/admin/dataset/{name}/masking", data=data).status_code == 302
    released = client.post(
        f"/admin/dataset/{name}/release", data={"csrf_token": token}, follow_redirects=True
    )
    assert "已解除隔离并发布" in released.get_data(as_text=True)
    public = ops_app.test_client().get(f"/dataset/{name}").get_data(as_text=True)
    assert "志愿者服务队名单" in public and "****" in public
    history = client.get(f"/admin/dataset/{name}").get_data(as_text=True)
    assert "隔离中" in history and "无条件开放（脱敏后）" in history


def test_reclassification_needs_a_reason_and_is_recorded(ops_app):
    client = _login(ops_app.test_client(), "ops")
    detail = client.get("/admin/dataset/jiangzhou-bus-lines").get_data(as_text=True)
    token = _token(detail)
    missing = client.post(
        "/admin/dataset/jiangzhou-bus-lines/reclassify",
        data={"csrf_token": token, "openness": "closed", "reason": "x"},
    )
    assert missing.status_code == 400 and "不予开放" in missing.get_data(as_text=True)
    done = client.post(
        "/admin/dataset/jiangzhou-bus-lines/reclassify",
        follow_redirects=True,
        data={
            "csrf_token": token,
            "openness": "conditional",
            "reason": "线路数据涉及运营合同，改为有条件开放",
        },
    )
    assert "已重新分类" in done.get_data(as_text=True)
    shown = ops_app.test_client().get("/api/3/action/package_show?id=jiangzhou-bus-lines")
    assert shown.get_json()["result"]["openness"] == "conditional"
