"""Watching it run, in process: ``/healthz`` and ``/readyz`` with a working instance, a database
that is down, Redis configured but down and storage that cannot be written; the Prometheus
metrics (counters that move, bounded labels, the database's figures, who may read them); the
request id; the JSON log lines. ``tests/cli/test_serve_metrics.py`` runs gunicorn's workers."""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
from datetime import date

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from datasets.models import Case
from portal.app import create_app
from portal.observe import logs
from portal.publish.pages import SITE_PAGES, render
from tests.factories import make_runtime
from tests.nginx import free_port
from tests.services.test_grant_scopes import BODY, HEADER, NAME
from tests.web.test_grant_scopes_web import call, granted, resource_url, world  # noqa: F401

ELSEWHERE = {"REMOTE_ADDR": "203.0.113.7"}
PASSWORD = "s3cret-pw-9f2"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def scrape(app, **kw) -> dict:  # type: ignore[no-untyped-def]
    response = app.test_client().get("/metrics", **kw)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain")
    return samples(response.get_data(as_text=True))


@pytest.fixture
def rt(tmp_path):  # type: ignore[no-untyped-def]
    runtime = make_runtime(tmp_path / "instance")
    yield runtime
    runtime.close()


def app_for(rt, **overrides):  # type: ignore[no-untyped-def]
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False, **overrides})
    app.config.update(TESTING=True)
    return app


def test_healthz_answers_while_the_database_is_down_and_sets_no_cookie(rt):
    down = f"postgresql+psycopg://kaifang:{PASSWORD}@127.0.0.1:{free_port()}/kaifang"
    app = app_for(rt, database_url=down)
    client = app.test_client()
    client.set_cookie("session", "not-a-valid-session")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"process": {"status": "ok", "reason": "进程正在应答"}},
    }
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert len(response.headers["X-Request-ID"]) == 32
    assert client.head("/healthz").get_data() == b""
    refused = client.post("/healthz")
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"


def test_readyz_of_a_working_instance_names_every_check(rt):
    response = app_for(rt).test_client().get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["status"] == "ok"
    assert list(answer["checks"]) == ["database", "storage", "search"]  # no Redis configured
    reasons = {name: check["reason"] for name, check in answer["checks"].items()}
    assert reasons == {
        "database": "可以连接，数据库版本为最新",
        "storage": "实例目录可写可读",
        "search": "全文检索可用",
    }
    assert all(check["status"] == "ok" for check in answer["checks"].values())
    assert "Set-Cookie" not in response.headers
    assert list(rt.paths.staging.glob(".readyz-*")) == []  # the probe file is gone


def test_readyz_with_the_database_down_answers_503_quickly_and_names_no_secret(rt):
    port = free_port()
    app = app_for(rt, database_url=f"postgresql+psycopg://kaifang:{PASSWORD}@127.0.0.1:{port}/x")
    started = time.monotonic()
    response = app.test_client().get("/readyz")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == {**checks["database"], "status": "failed"}
    assert checks["database"]["reason"] == "无法在 2 秒内连接数据库"
    assert checks["search"]["status"] == "failed"
    assert checks["storage"]["status"] == "ok"
    body = response.get_data(as_text=True)
    assert PASSWORD not in body and "kaifang:" not in body and str(port) not in body


def test_readyz_with_an_uninitialised_sqlite_database_says_to_run_init(tmp_path):
    app = create_app({"instance": str(tmp_path / "empty"), "ratelimit_enabled": False})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    reason = response.get_json()["checks"]["database"]["reason"]
    assert reason == "数据库文件不存在：请先运行 kaifang init"
    assert not (tmp_path / "empty" / "kaifang.db").exists()  # the probe made no empty database


@pytest.mark.parametrize("when_down", ["serve", "refuse"])
def test_readyz_with_redis_configured_but_down(rt, when_down):
    """Down, the queue's Redis and (KAIFANG_RATELIMIT_STORAGE_DOWN=serve) the limits' leave the
    portal serving: degraded, still ready (a front server reading /readyz would otherwise take
    every node out at once); with ``refuse`` the limited requests get 503, so it is not ready."""
    port = free_port()
    down = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    app = app_for(
        rt,
        ratelimit_storage_uri=down,
        redis_url=f"redis://127.0.0.1:{port}/1",
        ratelimit_storage_down=when_down,
    )
    response = app.test_client().get("/readyz")
    answer = response.get_json()
    checks = answer["checks"]
    assert list(checks) == ["database", "redis_ratelimit", "redis_queue", "storage", "search"]
    assert checks["redis_queue"]["status"] == "degraded"
    assert (
        checks["redis_queue"]["reason"]
        == "无法在 2 秒内连接 Redis（门户照常服务，暂时无法排队采集任务）"
    )
    if when_down == "serve":
        assert (response.status_code, answer["status"]) == (200, "degraded")
        assert checks["redis_ratelimit"]["status"] == "degraded"
        assert "限流暂由各进程分别计数" in checks["redis_ratelimit"]["reason"]
    else:
        assert (response.status_code, answer["status"]) == (503, "failed")
        assert checks["redis_ratelimit"]["status"] == "failed"
        assert checks["redis_ratelimit"]["reason"] == "无法在 2 秒内连接 Redis"
    assert checks["database"]["status"] == "ok"
    body = response.get_data(as_text=True)
    assert PASSWORD not in body and str(port) not in body


def test_readyz_with_redis_up(rt, redis_url):  # type: ignore[no-untyped-def]
    response = app_for(rt, redis_url=redis_url).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis_queue"] == {
        **response.get_json()["checks"]["redis_queue"],
        "status": "ok",
        "reason": "可以连接",
    }


def test_readyz_with_storage_that_cannot_be_written(rt):
    shutil.rmtree(rt.paths.staging, ignore_errors=True)
    rt.paths.staging.write_text("a file where the staging folder belongs")
    response = app_for(rt).test_client().get("/readyz")
    assert response.status_code == 503
    storage = response.get_json()["checks"]["storage"]
    assert storage["status"] == "failed" and storage["reason"] == "实例目录不可写或不可读"


def test_probes_are_never_rate_limited(rt):
    app = app_for(rt, ratelimit_enabled=True, ratelimit_default="2 per minute")
    client = app.test_client()
    codes = [client.get("/api/3/action/status_show").status_code for _ in range(5)]
    assert 429 in codes  # the limit holds for the API …
    for url in ("/healthz", "/readyz", "/metrics") * 3:  # … never for the probes
        assert client.get(url).status_code == 200, url
    app_for(rt)  # the limiter is one object for every app: off again for the tests after


def test_the_static_build_never_holds_the_probes(rt):
    app = app_for(rt)
    for url in ("/healthz", "/readyz", "/metrics"):
        assert url not in SITE_PAGES
        assert render(app, url, "http://localhost") is None  # no-store: left to the app


def test_requests_are_counted_by_url_rule_and_unknown_paths_add_no_series(rt):
    app = app_for(rt)
    client = app.test_client()
    before = scrape(app)
    route = "/dataset/<name>"
    for n in range(3):
        assert client.get(f"/dataset/no-such-dataset-{n}").status_code == 404
    strays = [f"/stray-{uuid.uuid4().hex}" for _ in range(5)]
    for path in strays:
        assert client.get(path).status_code == 404
    client.get("/api/3/action/status_show")
    after = scrape(app)
    counted = "kaifang_http_requests_total"
    assert value(after, counted, method="GET", route=route, status="404") == (
        value(before, counted, method="GET", route=route, status="404") + 3
    )
    assert value(after, counted, method="GET", route="unmatched", status="404") == (
        value(before, counted, method="GET", route="unmatched", status="404") + 5
    )
    rule = "/api/3/action/<action>"
    assert value(after, counted, method="GET", route=rule, status="200") >= 1
    timed = "kaifang_http_request_duration_seconds_count"
    assert value(after, timed, method="GET", route=route) >= 3
    labels = {dict(key)["route"] for name, key in after if name == counted}
    assert not any("stray-" in r or "no-such-dataset" in r for r in labels)
    new = {key for key in after if key[0] == counted} - {key for key in before if key[0] == counted}
    assert len(new) <= 4  # the 404s of the rule, unmatched, status_show and the first scrape


def test_metrics_read_the_database_figures_and_count_grant_uses(world):  # noqa: F811
    app, rt = world["app"], world["rt"]
    granted(world, fields=HEADER)
    fields = {"dataset": NAME, "fields": ["区县", "类别"]}
    call(world, "beta", "POST", "/api/v1/applications", {**BODY, **fields}, status=201)
    with rt.session() as session:  # the second application's deadline passed long ago
        session.execute(
            update(Case)
            .where(Case.closed_at.is_(None), Case.decided_at.is_(None))
            .values(due_on=date(2020, 1, 6))
        )
        still_open = list(session.scalars(select(Case.kind).where(Case.closed_at.is_(None))))
    before = scrape(app)
    call(world, "acme", "GET", resource_url(world))
    after = scrape(app)
    uses = "kaifang_grant_accesses_total"
    assert value(after, uses, action="download") == value(before, uses, action="download") + 1
    assert value(after, "kaifang_database_up") == 1
    assert value(after, "kaifang_cases_overdue", kind="application") == 1
    assert value(after, "kaifang_cases_open", kind="application") == 1 == len(still_open)
    assert value(after, "kaifang_grants", status="active") == 1
    assert value(after, "kaifang_harvest_jobs", status="finished") >= 1
    assert value(after, "kaifang_harvest_last_finished_timestamp_seconds") > 1.7e9
    assert value(after, "kaifang_harvest_objects_last_day", outcome="added") >= 1
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert NAME not in text and "江州" not in text and "acme" not in text


def test_metrics_are_for_loopback_or_the_token_only(rt):
    token = "metrics-token-1234567890"
    app = app_for(rt, metrics_token=token)
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # loopback, directly
    refused = client.get("/metrics", environ_overrides=ELSEWHERE)
    assert refused.status_code == 403
    assert "无权读取运行指标" in refused.get_json()["reason"]
    assert "kaifang_http" not in refused.get_data(as_text=True)
    # through a proxy on this host every visitor looks local: not without the token
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"})
    assert proxied.status_code == 403
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/metrics", headers=bearer, environ_overrides=ELSEWHERE).status_code == 200
    wrong = {"Authorization": "Bearer metrics-token-wrong"}
    assert client.get("/metrics", headers=wrong, environ_overrides=ELSEWHERE).status_code == 403
    closed = app_for(rt, metrics_allowed="").test_client()
    assert closed.get("/metrics").status_code == 403
    lan = app_for(rt, metrics_allowed="203.0.113.0/24").test_client()
    assert lan.get("/metrics", environ_overrides=ELSEWHERE).status_code == 200


def test_a_well_formed_request_id_is_kept_and_others_are_replaced(rt):
    client = app_for(rt).test_client()
    kept = client.get("/api/3/action/status_show", headers={"X-Request-ID": "edge-42.a:b_c"})
    assert kept.headers["X-Request-ID"] == "edge-42.a:b_c"
    for bad in ("x" * 129, "含中文", "a b", "<script>"):
        answered = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert answered != bad and len(answered) == 32 and int(answered, 16) >= 0


@pytest.fixture
def json_app(rt):  # type: ignore[no-untyped-def]
    app = app_for(rt, log_format="json")
    yield app
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, logs.JsonHandler)]:
        root.removeHandler(handler)
    logging.captureWarnings(False)


def test_json_log_lines_carry_the_request_id_and_no_query_string(json_app, capsys):
    client = json_app.test_client()
    capsys.readouterr()
    client.get("/search?q=张三13800138000", headers={"X-Request-ID": "req-from-nginx-1"})
    client.post("/login?next=/account", data={"name": "zhang", "password": PASSWORD})
    logging.getLogger("portal.test").warning("一条警告", extra={"request_id": "own-id"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    access = [line for line in lines if line["logger"] == "portal.access"]
    search = next(line for line in access if line["route"] == "/search")
    assert search["request_id"] == "req-from-nginx-1"
    assert search["method"] == "GET" and search["status"] == 200 and search["path"] == "/search"
    assert search["client"] == "127.0.0.1" and search["duration_ms"] > 0
    assert search["level"] == "INFO" and search["message"] == "GET /search 200"
    assert search["time"].endswith("+08:00") and "T" in search["time"]
    login = next(line for line in access if line["route"] == "/login")
    assert login["method"] == "POST" and len(login["request_id"]) == 32
    warning = next(line for line in lines if line["logger"] == "portal.test")
    assert warning["level"] == "WARNING" and warning["request_id"] == "own-id"
    written = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert "张三" not in written and "13800138000" not in written
    assert PASSWORD not in written and "next=" not in written and "zhang" not in written
