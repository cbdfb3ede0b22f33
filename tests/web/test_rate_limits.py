"""Rate limits in one process against a real Redis (``KAIFANG_TEST_LIMITS_REDIS``, a database of
its own and a key prefix per test): who a request counts against (the API key, else the
address, read from X-Forwarded-For only behind a trusted proxy), the budgets of costly
requests, the headers and the 429 answers, and Redis going away and coming back."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import time
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis

from datasets.accounts.keys import create_api_key
from datasets.accounts.users import create_user
from datasets.errors import ConfigError
from portal import limit_storage
from portal.app import create_app
from portal.limits import key_budget
from portal.proxies import TrustedProxies, client_address, trusted_networks
from tests.factories import LIMITS_REDIS as REDIS
from tests.factories import make_runtime, serving
from tests.nginx import free_port
from tests.nginx import nginx as real_nginx

API = "/api/3/action/site_read"
V1 = "/api/v1/agreement"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    instance = tmp_path_factory.mktemp("limits") / "instance"
    rt = make_runtime(instance)
    create_user(rt, name="zhang", role="citizen", password="correct horse battery")
    key = create_api_key(rt, user_name="zhang")["key"]
    rt.close()
    return instance, key


def app_with(world: tuple[Path, str], prefix: str, **settings: Any) -> Any:
    values = {"ratelimit_storage_uri": REDIS, "ratelimit_key_prefix": prefix, **settings}
    return create_app({"instance": str(world[0]), **values})


def statuses(client: Any, path: str, times: int, **kwargs: Any) -> list[int]:
    return [client.get(path, **kwargs).status_code for _ in range(times)]


# -- the client's address -------------------------------------------------------------------


def test_the_forwarded_address_counts_only_from_a_trusted_peer():
    trusted = trusted_networks("10.0.0.0/8, 192.168.1.1")
    # an untrusted peer: its header is ignored, whatever it says
    assert client_address("203.0.113.9", ["198.51.100.1"], trusted) == "203.0.113.9"
    # a trusted peer: the rightmost hop that is not trusted
    assert client_address("10.0.0.2", ["198.51.100.1, 198.51.100.7"], trusted) == "198.51.100.7"
    assert client_address("10.0.0.2", ["198.51.100.7, 192.168.1.1"], trusted) == "198.51.100.7"
    # a hop that is no address ends the walk at the last trusted one
    assert client_address("10.0.0.2", ["198.51.100.7, junk"], trusted) == "10.0.0.2"
    assert client_address("10.0.0.2", [], trusted) == "10.0.0.2"
    # none trusted (the default): the peer, always; IPv4-mapped IPv6 is the IPv4 address
    assert client_address("203.0.113.9", ["198.51.100.1"], ()) == "203.0.113.9"
    assert client_address("::ffff:203.0.113.9", [], ()) == "203.0.113.9"
    assert client_address("10.0.0.2", ["[2001:db8::1]:4711"], trusted) == "2001:db8::1"
    with pytest.raises(ConfigError, match="KAIFANG_TRUSTED_PROXIES"):
        trusted_networks("10.0.0.0/8, nginx.internal")


def test_the_resolved_address_is_what_the_rest_of_the_app_sees():
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    wrapped = TrustedProxies(app, trusted_networks("127.0.0.1"))
    environ = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.7"}
    wrapped(environ, lambda *a: None)
    # REMOTE_ADDR is what request.remote_addr, the access log and the limits read
    assert seen["REMOTE_ADDR"] == "198.51.100.7" and seen["kaifang.peer_addr"] == "127.0.0.1"


def test_citizens_behind_the_trusted_proxy_have_budgets_of_their_own(world, prefix):
    app = app_with(world, prefix, ratelimit_default="3 per minute", trusted_proxies="10.0.0.0/8")
    client = app.test_client()

    def via(peer: str, forwarded: str | None, times: int) -> list[int]:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        return statuses(client, API, times, environ_base={"REMOTE_ADDR": peer}, headers=headers)

    # a spoofed header from an untrusted peer: every request counts against the peer
    assert via("203.0.113.9", "198.51.100.1", 2) + via("203.0.113.9", "198.51.100.2", 2) == [
        200,
        200,
        200,
        429,
    ]
    # behind the proxy: each citizen its own budget, whatever it wrote left of its address
    assert via("10.0.0.2", "1.1.1.1, 198.51.100.7", 4) == [200, 200, 200, 429]
    assert via("10.0.0.2", "198.51.100.8", 3) == [200, 200, 200]
    assert via("10.0.0.2", "198.51.100.99, 198.51.100.7", 1) == [429]  # no escape by prepending
    # the proxy's own budget is untouched by its citizens
    assert via("10.0.0.2", None, 3) == [200, 200, 200]


def _get_from(source: str, url: str, forwarded: str) -> int:
    """GET ``url`` from the local address ``source`` (127.0.0.x), sending X-Forwarded-For."""
    parts = urlsplit(url)
    connection = HTTPConnection(parts.hostname, parts.port, timeout=30, source_address=(source, 0))
    try:
        connection.request("GET", parts.path, headers={"X-Forwarded-For": forwarded})
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def test_behind_the_shipped_nginx_each_citizen_counts_for_itself(world, prefix, tmp_path):
    # nginx on 127.0.0.1 is the trusted proxy; citizens come from 127.0.0.2 and 127.0.0.3
    app = app_with(world, prefix, ratelimit_default="2 per minute", trusted_proxies="127.0.0.1")
    static = tmp_path / "static"
    static.mkdir()
    with (
        serving(app) as upstream,
        real_nginx(
            tmp_path / "nginx",
            port=free_port(),
            static_root=static,
            app_url=upstream,
            files_dir=tmp_path,
        ) as front,
    ):
        url = front + API
        first = [_get_from("127.0.0.2", url, f"198.51.100.{i}") for i in range(3)]
        assert first == [200, 200, 429]  # what the citizen writes itself is not believed
        assert [_get_from("127.0.0.3", url, "127.0.0.2") for _ in range(2)] == [200, 200]


# -- API keys ----------------------------------------------------------------------------------


def test_an_api_key_has_its_own_budget_and_a_made_up_one_none(world, prefix):
    app = app_with(world, prefix, ratelimit_default="3 per minute")
    client = app.test_client()
    key = world[1]
    keyed = {"headers": {"Authorization": key}}
    assert statuses(client, API, 4, **keyed) == [200, 200, 200, 429]
    assert statuses(client, API, 2) == [200, 200]  # the address's budget is another
    made_up = {"headers": {"X-CKAN-API-Key": "kf_" + "A" * 43}}
    assert statuses(client, API, 2, **made_up) == [200, 429]  # counted against the address
    names = [k.decode() for k in redis.Redis.from_url(REDIS).scan_iter(match=f"{prefix}*")]
    assert names and not [n for n in names if key in n or key[3:20] in n]
    assert any(key_budget(key) in n for n in names)  # only the key's hash names its budget


# -- headers and answers ------------------------------------------------------------------------


def test_api_answers_carry_the_budget_and_a_429_says_when_to_come_back(world, prefix):
    app = app_with(world, prefix, ratelimit_default="2 per minute")
    client = app.test_client()
    first = client.get(V1)
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert int(first.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert "Retry-After" not in first.headers  # only a refusal says when to come back
    assert client.get(V1).headers["X-RateLimit-Remaining"] == "0"
    refused = client.get(V1)
    assert refused.status_code == 429 and refused.headers["X-RateLimit-Remaining"] == "0"
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 60
    body = refused.get_json()
    assert body["success"] is False and "help" not in body  # /api/v1's one error shape
    error = body["error"]
    assert error["__type"] == "Rate Limit Error"
    assert error["message"] == f"访问过于频繁，请 {wait} 秒后再试（此类请求的限额为每分钟 2 次）"
    assert error["retry_after"] == wait and error["limit"] == "每分钟 2 次"
    ckan = statuses(client, API, 3)[-1:]  # CKAN's address has its own budget, same answer shape
    answer = client.get(API)
    assert ckan == [429] and answer.get_json()["help"].endswith("help_show?name=site_read")
    assert answer.get_json()["error"]["__type"] == "Rate Limit Error"


def test_searching_has_a_tighter_budget_shared_by_the_page_and_the_api(world, prefix):
    app = app_with(world, prefix, ratelimit_search="2 per minute")
    client = app.test_client()
    assert statuses(client, "/search?q=公交", 2) == [200, 200]
    page = client.get("/search?q=公交")
    text = page.get_data(as_text=True)
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert "访问过于频繁" in text and "此类请求的限额为每分钟 2 次" in text
    assert 'lang="zh' in text and "Too Many Requests" not in text
    api = client.get("/api/3/action/package_search?rows=1")
    assert api.status_code == 429 and api.headers["X-RateLimit-Limit"] == "2"
    assert client.get("/rules").status_code == 200  # browsing goes on
    other = client.get(API)
    assert other.status_code == 200 and other.headers["X-RateLimit-Limit"] == "600"


def test_a_wrong_limit_setting_stops_the_app_with_its_name(world):
    with pytest.raises(ConfigError, match="KAIFANG_RATELIMIT_SEARCH"):
        create_app({"instance": str(world[0]), "ratelimit_search": "sixty a minute"})
    with pytest.raises(ConfigError, match="KAIFANG_RATELIMIT_STORAGE_DOWN"):
        create_app({"instance": str(world[0]), "ratelimit_storage_down": "panic"})


def test_an_app_with_limits_off_stays_off_beside_one_with_limits(world, prefix):
    off = create_app({"instance": str(world[0]), "ratelimit_enabled": False})
    on = app_with(world, prefix, ratelimit_default="1 per minute")
    assert statuses(on.test_client(), API, 2) == [200, 429]
    assert statuses(off.test_client(), API, 3) == [200, 200, 200]
    assert "X-RateLimit-Limit" not in off.test_client().get(API).headers


# -- Redis going away ---------------------------------------------------------------------------


def start_redis(port: int, folder: Path) -> subprocess.Popen:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen(
        [*command, "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            if redis.Redis(port=port, socket_connect_timeout=1).ping():
                return process
        except redis.RedisError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_with_redis_down_the_portal_keeps_serving_and_comes_back(
    world, tmp_path, caplog, monkeypatch
):
    monkeypatch.setattr(limit_storage, "RETRY_EVERY", 0.3)
    port = free_port()
    server = start_redis(port, tmp_path)
    uri = f"redis://127.0.0.1:{port}/0"
    app = create_app(
        {"instance": str(world[0]), "ratelimit_storage_uri": uri, "ratelimit_default": "3/minute"}
    )
    client = app.test_client()
    caplog.set_level(logging.INFO, logger="portal.limits")
    try:
        assert statuses(client, API, 4) == [200, 200, 200, 429]  # counted in Redis
        server.terminate()
        server.wait(timeout=20)
        down = statuses(client, API, 5)
        # each process counts in its memory meanwhile: served, and still limited
        assert down == [200, 200, 200, 429, 429]
        logged = errors_logged(caplog)
        assert len(logged) == 1, logged  # loud, but once, not on every request
        assert "访问频率限制的存储" in logged[0] and f"127.0.0.1:{port}" in logged[0]
        server = start_redis(port, tmp_path)
        time.sleep(0.4)
        assert statuses(client, API, 2) == [200, 200]  # back in the (empty) Redis
        assert redis.Redis(port=port).dbsize() > 0
        assert any("已恢复" in r.getMessage() for r in caplog.records)
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_with_redis_down_and_refuse_set_limited_requests_get_503(world, caplog):
    uri = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = create_app(
        {
            "instance": str(world[0]),
            "ratelimit_storage_uri": uri,
            "ratelimit_storage_down": "refuse",
        }
    )
    client = app.test_client()
    api = client.get(V1)
    assert api.status_code == 503 and int(api.headers["Retry-After"]) >= 1
    error = json.loads(api.get_data())["error"]
    assert (
        error["__type"] == "Service Unavailable" and "访问频率计数服务无法连接" in error["message"]
    )
    page = client.get("/rules")
    assert page.status_code == 503 and "服务暂时不可用" in page.get_data(as_text=True)
    assert len(errors_logged(caplog)) == 1


def test_the_statistics_page_spends_the_budget_of_whole_catalog_lists(world, prefix):
    """Every department's figures are summed on each request: it counts as an export."""
    app = app_with(world, prefix, ratelimit_exports="2 per minute")
    client = app.test_client()
    assert statuses(client, "/transparency/stats", 2) == [200, 200]
    spent = client.get("/transparency/open-list.csv")
    assert spent.status_code == 429 and "Retry-After" in spent.headers
    assert client.get("/transparency").status_code == 200  # the other pages go on
