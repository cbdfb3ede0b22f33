"""Production mode: refused without a public address, Secure cookies, the Host checked against
KAIFANG_BASE_URL; links in answers built from KAIFANG_BASE_URL whenever it is set; the embedded
default (``make run``, the tests' apps) unchanged."""

import re

import pytest
from click.testing import CliRunner

from datasets.accounts.users import create_user
from datasets.errors import ConfigError
from datasets.settings import load_settings
from portal.app import create_app
from portal.cli import main
from portal.production import request_host_name
from tests.factories import make_runtime

BASE = "https://data.example.gov.cn"
PASSWORD = "correct horse battery"


def test_production_mode_needs_a_public_address():
    with pytest.raises(ConfigError, match="生产模式.*须设置 KAIFANG_BASE_URL"):
        load_settings(environ={"KAIFANG_PRODUCTION": "1"})
    with pytest.raises(ConfigError, match="须为 https:// 地址"):
        load_settings({"production": True, "base_url": "http://data.example.gov.cn"}, environ={})
    with pytest.raises(ConfigError, match="须为 http:// 或 https:// 开头"):
        load_settings({"base_url": "data.example.gov.cn"}, environ={})
    with pytest.raises(ConfigError, match="ALLOWED_HOSTS 中的 'bad!' 不是主机名或地址"):
        load_settings(
            {"production": True, "base_url": BASE, "allowed_hosts": "10.0.0.5, bad!"},
            environ={},
        )
    local = load_settings({"production": True, "base_url": "http://127.0.0.1:8000"}, environ={})
    assert local.host_names == {"127.0.0.1"}
    settings = load_settings(
        {"production": True, "base_url": BASE + "/", "allowed_hosts": "10.0.0.5,[::1]"},
        environ={},
    )
    assert settings.host_names == {"data.example.gov.cn", "10.0.0.5", "::1"}


def test_a_command_refuses_to_start_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("KAIFANG_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("KAIFANG_PRODUCTION", "1")
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "生产模式（KAIFANG_PRODUCTION=1）须设置 KAIFANG_BASE_URL" in result.output


@pytest.mark.parametrize(
    ("header", "name"),
    [("Data.Example.gov.cn:443", "data.example.gov.cn"), ("[::1]:8000", "::1"), ("x.cn.", "x.cn")],
)
def test_host_names_are_read_without_port(header, name):
    assert request_host_name(header) == name


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    rt = make_runtime(tmp_path_factory.mktemp("production") / "instance")
    create_user(rt, name="prod-user", role="citizen", password=PASSWORD)
    app = create_app(
        {
            "instance": str(rt.paths.root),
            "ratelimit_enabled": False,
            "production": True,
            "base_url": BASE,
            "allowed_hosts": "10.0.0.5",
        }
    )
    app.config.update(TESTING=True)
    yield app
    rt.close()


def test_another_host_gets_400_with_the_address_to_use(production):
    client = production.test_client()
    page = client.get("/", base_url="https://evil.example.com")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "请求的主机名不是本平台的地址" in text and BASE in text and "evil" not in text
    api = client.get("/api/3/action/package_search", base_url="https://evil.example.com")
    assert api.status_code == 400 and "evil" not in api.get_data(as_text=True)
    assert "请通过 https://data.example.gov.cn 访问" in api.get_json()["error"]["message"]
    assert "Set-Cookie" not in page.headers and "Set-Cookie" not in api.headers


def test_the_public_host_and_the_allowed_ones_are_answered(production):
    client = production.test_client()
    assert client.get("/api/3/action/status_show", base_url=BASE).status_code == 200
    assert client.get("/", base_url="http://10.0.0.5:8000").status_code == 200


def test_session_cookies_are_secure(production):
    client = production.test_client()
    login = client.get("/login", base_url=BASE)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.get_data(as_text=True))[1]
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith("__Host-kaifang=")
    assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"))
    assert "Domain" not in cookie
    signed_in = client.post(
        "/login",
        data={"name": "prod-user", "password": PASSWORD, "csrf_token": token},
        base_url=BASE,
        headers={"Referer": BASE + "/login"},  # what a browser sends; checked over HTTPS
    )
    assert signed_in.status_code == 302 and "Secure" in signed_in.headers["Set-Cookie"]
    account = client.get("/account", base_url=BASE)
    assert "prod-user" in account.get_data(as_text=True)
    for answer in (login, signed_in, account):  # browsers keep to HTTPS from then on
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_links_in_answers_come_from_the_base_url_whatever_the_host(demo_rt):
    """Without production mode a forged Host is answered, but no link is built from it."""
    app = create_app(
        {"instance": str(demo_rt.paths.root), "ratelimit_enabled": False, "base_url": BASE}
    )
    client = app.test_client()
    evil = "http://evil.example.com"
    search = client.get("/api/3/action/package_search?rows=50", base_url=evil)
    body = search.get_data(as_text=True)
    urls = [r["url"] for p in search.get_json()["result"]["results"] for r in p["resources"]]
    assert urls and all(url.startswith(BASE + "/") for url in urls)
    assert "evil" not in body
    missing = client.get("/api/3/action/package_show?id=no-such-dataset", base_url=evil)
    assert missing.get_json()["help"].startswith(BASE + "/api/3/action/help_show")
    name = search.get_json()["result"]["results"][0]["name"]
    page = client.get(f"/dataset/{name}", base_url=evil).get_data(as_text=True)
    assert "evil" not in page


def test_the_embedded_default_is_not_production(demo_app):
    assert demo_app.config["SESSION_COOKIE_SECURE"] is False
    assert demo_app.config["SESSION_COOKIE_NAME"] == "session"
    client = demo_app.test_client()
    assert client.get("/", base_url="http://any-host.example:8000").status_code == 200
