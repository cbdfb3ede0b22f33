"""Sign-up, the account page with its API keys, API-key authentication and CSRF with keys."""

import re

import pytest

from datasets.accounts.keys import actor_for_api_key, create_api_key
from datasets.accounts.users import create_user
from datasets.models import Organization
from portal.app import create_app
from tests.factories import make_runtime

PASSWORD = "correct horse battery"
TENCENT = "91440300708461136T"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    rt = make_runtime(tmp_path_factory.mktemp("accounts") / "instance")
    with rt.session() as session:
        session.add(Organization(name="jtj", title="江州市交通运输局"))
    create_user(rt, name="ops", role="operator", password=PASSWORD)
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    yield app, rt
    rt.close()


@pytest.fixture
def app(env):
    return env[0]


@pytest.fixture
def rt(env):
    return env[1]


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, name):
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def _company_form(client, **fields):
    token = _token(client.get("/register?role=company").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "role": "company",
        "name": "tencent-sz",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "company_name": "深圳市腾讯计算机系统有限公司",
        "credit_code": TENCENT,
        "legal_representative": "马化腾",
        "phone": "0755-86013388",
        "email": "",
        **fields,
    }
    return client.post("/register", data=data)


# ── sign-up ──────────────────────────────────────────────────────────────────────────────────


def test_the_header_offers_sign_up_and_the_account(app):
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert 'href="/register"' in home and "注册" in home and "我的账户" not in home
    home = _login(client, "zhang").get("/").get_data(as_text=True)
    assert 'href="/account"' in home and "我的账户" in home and 'href="/register"' not in home


def test_the_company_form_asks_for_the_licence_fields(app):
    page = app.test_client().get("/register?role=company").get_data(as_text=True)
    for label in ("企业名称", "统一社会信用代码", "法定代表人", "联系电话", "电子邮箱"):
        assert label in page
    citizen = app.test_client().get("/register").get_data(as_text=True)
    assert "统一社会信用代码" not in citizen and 'name="role" value="citizen"' in citizen
    assert "<script>" not in page and "style=" not in page  # strict CSP: nothing inline


def test_a_bad_credit_code_is_shown_next_to_the_form(app):
    client = app.test_client()
    response = _company_form(client, credit_code="91440300708461136A")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "校验位应为 T，现为 A" in page
    assert 'id="reg-credit_code-error"' in page and 'aria-invalid="true"' in page
    assert 'value="深圳市腾讯计算机系统有限公司"' in page  # what was typed is kept …
    assert PASSWORD not in page  # … except the password
    assert client.get("/account").status_code == 302  # not signed in


def test_several_problems_are_shown_at_once(app):
    response = _company_form(
        app.test_client(),
        name="x",
        credit_code="",
        legal_representative="",
        phone="12345",
        password_confirm="something else",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "两次输入的密码不一致" in page
    response = _company_form(
        app.test_client(), name="x", credit_code="", legal_representative="", phone="12345"
    )
    page = response.get_data(as_text=True)
    for message in (
        "用户名须为",
        "请填写统一社会信用代码",
        "请填写法定代表人",
        "联系电话格式不正确",
    ):
        assert message in page


def test_a_good_company_is_signed_in(app):
    client = app.test_client()
    response = _company_form(client, name="tencent-ok", credit_code=" 9144 0300 7084 6113 6t ")
    assert response.status_code == 302 and response.location == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert "注册成功" in page and "企业用户" in page and TENCENT in page
    again = _company_form(app.test_client(), name="tencent-again")
    assert again.status_code == 400 and "已注册" in again.get_data(as_text=True)


def test_citizens_sign_up_and_roles_cannot_be_chosen(app):
    client = app.test_client()
    token = _token(client.get("/register").get_data(as_text=True))
    data = {"csrf_token": token, "name": "wangwu", "password": PASSWORD}
    forged = client.post(
        "/register", data={**data, "role": "operator", "password_confirm": PASSWORD}
    )
    assert forged.status_code == 302  # an unknown role falls back to a citizen account …
    assert "个人用户" in client.get("/account").get_data(as_text=True)  # … never an operator


# ── the account page and its keys ────────────────────────────────────────────────────────────


def test_the_account_page_needs_sign_in(app):
    response = app.test_client().get("/account")
    assert response.status_code == 302 and "/login?next=/account" in response.location


def test_a_new_key_is_shown_once_and_works(app, rt):
    client = _login(app.test_client(), "zhang")
    page = client.get("/account").get_data(as_text=True)
    assert "还没有 API 密钥" in page
    created = client.post("/account/keys", data={"csrf_token": _token(page), "label": "脚本"})
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    key = re.search(r'id="new-key-value" class="api-key-value" value="(kf_[^"]+)"', html).group(1)
    assert "只显示这一次" in html
    assert actor_for_api_key(rt, key).name == "zhang"
    later = client.get("/account").get_data(as_text=True)
    assert key not in later and key[:10] in later and "脚本" in later  # the prefix only


def test_keys_are_revoked_from_the_account_page(app, rt):
    client = _login(app.test_client(), "zhang")
    key = create_api_key(rt, user_name="zhang", label="待吊销")
    page = client.get("/account").get_data(as_text=True)
    response = client.post(
        f"/account/keys/{key['id']}/revoke",
        data={"csrf_token": _token(page)},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "已吊销 API 密钥" in response.get_data(as_text=True)
    assert actor_for_api_key(rt, key["key"]) is None


def test_someone_elses_key_cannot_be_revoked(app, rt):
    key = create_api_key(rt, user_name="ops")
    client = _login(app.test_client(), "zhang")
    token = _token(client.get("/account").get_data(as_text=True))
    response = client.post(f"/account/keys/{key['id']}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    assert actor_for_api_key(rt, key["key"]) is not None


def test_keys_cannot_manage_keys(app, rt):
    key = create_api_key(rt, user_name="zhang")["key"]
    client = app.test_client()
    assert client.get("/account", headers={"Authorization": key}).status_code == 403
    assert client.post("/account/keys", headers={"Authorization": key}).status_code == 403


# ── API keys on requests ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "headers",
    [
        lambda key: {"Authorization": key},  # what CKAN clients send
        lambda key: {"Authorization": f"Bearer {key}"},
        lambda key: {"X-CKAN-API-Key": key},
    ],
)
def test_a_key_in_a_header_makes_the_caller_known(app, rt, headers):
    key = create_api_key(rt, user_name="ops")["key"]
    client = app.test_client()
    assert client.get("/admin/quarantine").status_code == 302  # anonymous: sign in first
    page = client.get("/admin/quarantine", headers=headers(key))
    assert page.status_code == 200 and "ops" in page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers  # a key starts no session
    status = client.get("/api/3/action/status_show", headers=headers(key))
    assert status.status_code == 200 and status.get_json()["success"] is True


def test_a_citizens_key_opens_no_operator_page(app, rt):
    key = create_api_key(rt, user_name="zhang")["key"]
    assert (
        app.test_client().get("/admin/quarantine", headers={"Authorization": key}).status_code
        == 403
    )


@pytest.mark.parametrize("how", ["unknown", "revoked"])
def test_a_bad_key_reads_as_anonymous_and_is_refused_elsewhere(app, rt, how):
    """CKAN answers public reads with an invalid key as anonymous; anything else is refused."""
    created = create_api_key(rt, user_name="zhang")
    key = created["key"]
    if how == "unknown":
        key = "kf_" + "A" * 43
    else:
        client = _login(app.test_client(), "zhang")
        token = _token(client.get("/account").get_data(as_text=True))
        client.post(f"/account/keys/{created['id']}/revoke", data={"csrf_token": token})
    for method in ("get", "post"):
        response = getattr(app.test_client(), method)(
            "/api/3/action/package_list", headers={"Authorization": key}
        )
        assert response.status_code == 200 and response.get_json()["success"] is True
        assert "Set-Cookie" not in response.headers
    write = app.test_client().post("/api/v1/suggestions", json={}, headers={"X-CKAN-API-Key": key})
    assert write.status_code == 403
    assert write.get_json()["error"]["message"] == "API 密钥无效或已吊销"
    page = app.test_client().get("/", headers={"X-CKAN-API-Key": key})
    assert page.status_code == 403 and "API 密钥无效或已吊销" in page.get_data(as_text=True)


def test_basic_authentication_of_a_proxy_is_not_a_key(app):
    response = app.test_client().get(
        "/api/3/action/status_show", headers={"Authorization": "Basic dXNlcjpwYXNz"}
    )
    assert response.status_code == 200


# ── CSRF ─────────────────────────────────────────────────────────────────────────────────────


def test_form_posts_without_a_token_still_fail(app):
    client = app.test_client()
    assert client.post("/login", data={"name": "zhang", "password": PASSWORD}).status_code == 400
    assert client.post("/register", data={"name": "zhaoliu"}).status_code == 400
    signed_in = _login(app.test_client(), "zhang")
    assert signed_in.post("/account/keys", data={"label": "x"}).status_code == 400
    assert signed_in.post("/logout").status_code == 400


def test_a_post_with_a_valid_key_needs_no_token(app, rt):
    key = create_api_key(rt, user_name="ops")["key"]
    client = app.test_client()
    # an operator form: past CSRF and sign-in, to "no such dataset"
    response = client.post(
        "/admin/dataset/no-such-dataset/release",
        data={"reason": "x"},
        headers={"Authorization": key},
    )
    assert response.status_code == 404
    assert client.post("/logout", headers={"Authorization": key}).status_code == 302
    api = client.post(
        "/api/3/action/package_search", json={"q": "公交"}, headers={"Authorization": key}
    )
    assert api.status_code == 200


def test_a_key_beside_a_session_cookie_still_needs_the_token(app, rt):
    key = create_api_key(rt, user_name="ops")["key"]
    client = _login(app.test_client(), "zhang")  # the browser holds a session cookie
    response = client.post(
        "/admin/dataset/no-such-dataset/release", data={}, headers={"Authorization": key}
    )
    assert response.status_code == 400
