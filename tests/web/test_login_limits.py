"""The budgets of signing in (``KAIFANG_RATELIMIT_LOGIN``) and of registering
(``KAIFANG_RATELIMIT_REGISTER``) against a real Redis, as ``test_rate_limits.py`` tests the
others (``KAIFANG_TEST_LIMITS_REDIS``, a key prefix per test): past its budget, a client's form
POST answers 429 with a Chinese page and ``Retry-After`` before anything of the form runs, while
the client's other pages, the other form and other clients go on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from datasets.accounts.users import create_user
from portal.app import create_app
from tests.factories import LIMITS_REDIS as REDIS
from tests.factories import csrf_token, make_runtime

PASSWORD = "correct horse battery"
NEW_PASSWORD = "Qx7#mountain-river"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("login-limits") / "instance"
    rt = make_runtime(folder)
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    rt.close()
    return folder


def app_with(instance: Path, prefix: str, **settings: Any) -> Any:
    values = {"ratelimit_storage_uri": REDIS, "ratelimit_key_prefix": prefix, **settings}
    return create_app({"instance": str(instance), **values})


def from_address(address: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def sign_in(client: Any, address: str, name: str, password: str) -> Any:
    """The sign-in form POSTed as a browser does (its CSRF token from the form's page)."""
    token = csrf_token(client.get("/login", **from_address(address)).get_data(as_text=True))
    data = {"name": name, "password": password, "csrf_token": token, "next": "/"}
    return client.post("/login", data=data, **from_address(address))


def register(client: Any, address: str, name: str, confirm: str = NEW_PASSWORD) -> Any:
    """The registration form POSTed as a browser does; ``confirm`` other than the password
    makes an invalid form (answered 400)."""
    page = client.get("/register", **from_address(address)).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "role": "citizen",
        "name": name,
        "password": NEW_PASSWORD,
        "password_confirm": confirm,
    }
    return client.post("/register", data=data, **from_address(address))


def assert_refused(answer: Any, limit: str, window: int) -> None:
    """A spent budget's answer: 429, a Chinese page naming the limit, and when to come back."""
    text = answer.get_data(as_text=True)
    assert answer.status_code == 429 and answer.mimetype == "text/html"
    wait = int(answer.headers["Retry-After"])
    assert 1 <= wait <= window
    assert f"访问过于频繁，请 {wait} 秒后再试（此类请求的限额为{limit}）" in text
    assert 'lang="zh' in text and "Too Many Requests" not in text
    assert "请于" not in text  # the limit's answer, not the lock of failed sign-ins
    assert answer.headers["X-RateLimit-Remaining"] == "0"


def test_sign_in_posts_past_their_budget_get_429_before_the_password_is_checked(instance, prefix):
    app = app_with(instance, prefix, ratelimit_login="3 per minute")
    client = app.test_client()
    here = "198.51.100.21"
    tries = [sign_in(client, here, "zhang", "wrong password 1") for _ in range(2)]
    tries.append(sign_in(client, here, "zhang", PASSWORD))
    assert [t.status_code for t in tries] == [401, 401, 302]  # the form works meanwhile
    assert tries[0].headers["X-RateLimit-Limit"] == "3"  # the budget closest to being spent
    refused = sign_in(app.test_client(), here, "zhang", PASSWORD)  # the right password too
    assert_refused(refused, "每分钟 3 次", 60)
    assert refused.headers["X-RateLimit-Limit"] == "3"
    # refused before the form runs: six more wrong passwords would lock the name (5 failures) …
    assert {sign_in(client, here, "zhang", "wrong").status_code for _ in range(6)} == {429}
    # … yet another client signs in with it at once: none of them reached the password check
    assert sign_in(app.test_client(), "198.51.100.22", "zhang", PASSWORD).status_code == 302
    # the client's other pages and forms go on: the budget is the sign-in POST's only
    assert client.get("/login", **from_address(here)).status_code == 200
    assert client.get("/rules", **from_address(here)).status_code == 200
    assert register(app.test_client(), here, "wangwu-login").status_code == 302


def test_registrations_past_their_budget_get_429_and_create_no_account(instance, prefix):
    app = app_with(instance, prefix, ratelimit_register="2 per hour")
    here = "198.51.100.31"
    assert register(app.test_client(), here, "lisi-first").status_code == 302
    mismatch = register(app.test_client(), here, "lisi-second", confirm="another password")
    assert mismatch.status_code == 400  # an invalid form spends the budget as well
    assert mismatch.headers["X-RateLimit-Limit"] == "2"
    refused = register(app.test_client(), here, "lisi-third")
    assert_refused(refused, "每小时 2 次", 3600)
    assert refused.headers["X-RateLimit-Limit"] == "2"
    # the refused form created nothing: the name is free for a client with budget left
    assert register(app.test_client(), "198.51.100.32", "lisi-third").status_code == 302
    # the client's other pages and forms go on: the budget is the registration POST's only
    client = app.test_client()
    assert client.get("/register", **from_address(here)).status_code == 200
    assert client.get("/rules", **from_address(here)).status_code == 200
    assert sign_in(client, here, "lisi-first", NEW_PASSWORD).status_code == 302


def test_each_form_has_its_own_budget_setting(instance, prefix):
    """The two budgets are two settings: spending one leaves the other whole."""
    app = app_with(instance, prefix, ratelimit_login="1 per minute", ratelimit_register="1/hour")
    here = "198.51.100.41"
    assert sign_in(app.test_client(), here, "zhang", "wrong password").status_code == 401
    assert_refused(sign_in(app.test_client(), here, "zhang", PASSWORD), "每分钟 1 次", 60)
    assert register(app.test_client(), here, "zhaoliu-own").status_code == 302
    assert_refused(register(app.test_client(), here, "zhaoliu-more"), "每小时 1 次", 3600)
