"""Signing in on the web: locks with the time to retry (429, Retry-After), invalid API keys per
address, the same time for unknown names and wrong passwords, signing out ending copied
cookies, changing the password, and the password rules at sign-up."""

import re
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from datasets.accounts.keys import create_api_key
from datasets.accounts.users import create_user
from datasets.models import SignInGuard
from portal.app import create_app
from tests.factories import make_runtime

PASSWORD = "correct horse battery"
COOKIE = "session"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    rt = make_runtime(tmp_path_factory.mktemp("sign-in") / "instance")
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    create_user(rt, name="lisi", role="citizen", password=PASSWORD)
    app = create_app(
        {
            "instance": str(rt.paths.root),
            "ratelimit_enabled": False,
            "sign_in_attempts": 3,
            "api_key_attempts": 2,
        }
    )
    yield app, rt
    rt.close()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _client(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _post_login(client, name, password):
    token = _token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


def _unlock(rt):
    with rt.session() as session:
        session.execute(update(SignInGuard).values(locked_until=datetime.now(UTC) - timedelta(1)))


def test_a_locked_sign_in_says_when_to_retry(env):
    app, rt = env
    client = _client(app, "203.0.113.10")
    for _ in range(3):
        wrong = _post_login(client, "lisi", "not the password")
        assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.get_data(as_text=True)
    locked = _post_login(client, "lisi", PASSWORD)
    page = locked.get_data(as_text=True)
    assert locked.status_code == 429
    assert "登录失败次数过多" in page and re.search(r"请于 \d\d:\d\d:\d\d（约 \d+ 秒后）再试", page)
    assert 1 <= int(locked.headers["Retry-After"]) <= 30
    _unlock(rt)
    signed_in = _post_login(client, "lisi", PASSWORD)  # the lock ended: the owner gets in
    assert signed_in.status_code == 302
    assert "lisi" in client.get("/account").get_data(as_text=True)


def test_invalid_api_keys_get_429_with_retry_after(env):
    app, rt = env
    client = _client(app, "203.0.113.20")
    bad = {"Authorization": "kf_" + "A" * 43}
    good = {"Authorization": create_api_key(rt, user_name="zhang")["key"]}
    for _ in range(2):  # a public read with a bad key is answered as anonymous
        assert client.get("/api/3/action/status_show", headers=bad).status_code == 200
    refused = client.get("/api/3/action/status_show", headers=good)
    body = refused.get_json()
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 30
    assert body["success"] is False and body["error"]["__type"] == "Rate Limit Error"
    assert "无效的 API 密钥过多" in body["error"]["message"]
    v1 = client.get("/api/v1/notifications", headers=bad)
    assert v1.status_code == 429 and "请于" in v1.get_json()["error"]["message"]
    other = _client(app, "198.51.100.20")  # another address is not locked
    assert other.get("/api/v1/notifications", headers=good).status_code == 200
    _unlock(rt)
    assert client.get("/api/v1/notifications", headers=good).status_code == 200


def test_a_copied_cookie_stops_working_after_signing_out(env):
    app, _ = env
    owner = _client(app, "203.0.113.30")
    assert _post_login(owner, "zhang", PASSWORD).status_code == 302
    thief = _client(app, "198.51.100.30")
    thief.set_cookie(COOKIE, owner.get_cookie(COOKIE).value)
    assert "zhang" in thief.get("/account").get_data(as_text=True)
    token = _token(owner.get("/account").get_data(as_text=True))
    assert owner.post("/logout", data={"csrf_token": token}).status_code == 302
    after = thief.get("/account")
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    # and signing in again makes a session that works, the copy still does not
    assert _post_login(owner, "zhang", PASSWORD).status_code == 302
    assert owner.get("/account").status_code == 200
    assert thief.get("/account").status_code == 302


def test_changing_the_password_ends_the_other_sessions(env):
    app, _ = env
    create_user(env[1], name="wang", role="citizen", password=PASSWORD)
    here, elsewhere = _client(app, "203.0.113.40"), _client(app, "203.0.113.41")
    for client in (here, elsewhere):
        assert _post_login(client, "wang", PASSWORD).status_code == 302
    form = here.get("/account/password").get_data(as_text=True)
    assert "当前密码" in form and "不能是常见密码" in form
    token = _token(form)

    def change(current, new, confirm=None):
        data = {
            "csrf_token": token,
            "current_password": current,
            "password": new,
            "password_confirm": confirm or new,
        }
        return here.post("/account/password", data=data)

    wrong = change("not my password", "a fresh secret phrase")
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    common = change(PASSWORD, "iloveyou1314")
    assert common.status_code == 400 and "密码过于常见" in common.get_data(as_text=True)
    mismatch = change(PASSWORD, "a fresh secret phrase", "another one")
    assert "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    done = change(PASSWORD, "a fresh secret phrase")
    assert done.status_code == 302 and done.headers["Location"].endswith("/account")
    assert "密码已修改" in here.get("/account").get_data(as_text=True)
    assert elsewhere.get("/account").status_code == 302  # signed out there
    assert _post_login(elsewhere, "wang", PASSWORD).status_code == 401
    assert _post_login(elsewhere, "wang", "a fresh secret phrase").status_code == 302


def test_sign_up_refuses_weak_passwords_with_the_reason(env):
    app, _ = env
    client = _client(app, "203.0.113.50")
    token = _token(client.get("/register").get_data(as_text=True))
    assert "不能是常见密码" in client.get("/register").get_data(as_text=True)
    for password, reason in (
        ("aaaaaaaaaa", "至少要有 4 个不同的字符"),
        ("password2026", "密码过于常见"),
        ("zhaoliu-secret", "密码不能包含用户名"),
    ):
        data = {
            "csrf_token": token,
            "role": "citizen",
            "name": "zhaoliu",
            "password": password,
            "password_confirm": password,
        }
        refused = client.post("/register", data=data)
        assert refused.status_code == 400 and reason in refused.get_data(as_text=True)


def _median_pair(app, rounds: int) -> tuple[float, float]:
    """Median times of signing in with an unknown name and with a wrong password, taken in
    turn (whatever else the machine does hits both alike)."""
    client = _client(app, "203.0.113.60")
    token = _token(client.get("/login").get_data(as_text=True))
    unknown, wrong = [], []
    for n in range(rounds):
        for name, times in ((f"nobody-{n}", unknown), ("zhang", wrong)):
            data = {"name": name, "password": "not the password", "csrf_token": token}
            start = time.perf_counter()
            assert client.post("/login", data=data).status_code == 401
            times.append(time.perf_counter() - start)
    return statistics.median(unknown), statistics.median(wrong)


@pytest.mark.slow
def test_an_unknown_name_takes_as_long_as_a_wrong_password(tmp_path):
    rt = make_runtime(tmp_path / "instance")
    create_user(rt, name="zhang", role="citizen", password=PASSWORD)
    settings = {"sign_in_attempts": 10_000, "sign_in_address_attempts": 10_000}
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False, **settings})
    try:
        _median_pair(app, 2)  # warm up: the stand-in hash is made once per process
        differences = []
        for _ in range(3):  # a busy machine may spoil one measurement, not three
            unknown, wrong = _median_pair(app, 15)
            differences.append(abs(unknown - wrong) / max(unknown, wrong))
            if differences[-1] < 0.25:
                break
        assert min(differences) < 0.25, differences
    finally:
        rt.close()
