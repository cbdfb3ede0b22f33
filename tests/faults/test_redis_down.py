"""Redis stopped under load: the tests' own Redis holds the rate limits of both gunicorn workers
(``KAIFANG_RATELIMIT_STORAGE_URI``) and the harvest queue (``KAIFANG_REDIS_URL``) that a
``kaifang worker`` serves.

While it is down the portal keeps serving pages and the API (each process counts the limits
in its own memory, and the outage is logged), and enqueueing a harvest says in one Chinese line
that the queue's Redis cannot be reached. Once it is back, the limits count again, shared by
the workers, and the worker that waited takes the next harvest."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import redis

from harvester.sources import add_source
from portal.limit_storage import RETRY_EVERY
from tests.factories import make_runtime, services_catalog, write_package
from tests.faults.stack import BIN, Gunicorn, OwnRedis, get, wait_for
from tests.harvester.workers import jobs_of

pytestmark = pytest.mark.slow

LIMITED = "/api/3/action/package_search?q=%E5%85%AC%E4%BA%A4"  # 公交
READS = [(LIMITED, '"公交线路信息"'), ("/dataset/bus-lines", "公交线路信息")]
READS += [("/api/v1/agreement", '"version"')]


def _remaining(port: int, count: int) -> list[int]:
    """``X-RateLimit-Remaining`` of ``count`` limited requests, each on a new connection (the
    kernel spreads them over both workers)."""
    out = []
    for _ in range(count):
        answer = get(port, LIMITED)
        assert answer.status == 200, answer.text()[:300]
        out.append(int(answer.headers["x-ratelimit-remaining"]))
    return out


def _serve_for(port: int, seconds: float) -> list[str]:
    """Reads in a loop for ``seconds``; what was wrong with any answer."""
    problems = []
    until = time.monotonic() + seconds
    n = 0
    while time.monotonic() < until:
        path, marker = READS[n % len(READS)]
        n += 1
        try:
            answer = get(port, path, timeout=10)
        except OSError as exc:
            problems.append(f"{path}: no answer ({exc!r})")
            continue
        if answer.status != 200 or marker not in answer.text():
            problems.append(f"{path}: {answer.status} {answer.text()[:200]}")
    return problems


def _enqueue(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "kaifang"), "harvest", "--queue", "bus"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_portal_keeps_serving_while_redis_is_down_and_recovers(
    tmp_path: Path, own_database: str
) -> None:
    own_redis = OwnRedis(tmp_path)
    own_redis.start()
    instance = tmp_path / "instance"
    rt = make_runtime(instance, database_url=own_database)
    services_catalog(rt, tmp_path)
    write_package(tmp_path / "source", "bus-queued", title="公交站点信息")
    add_source(rt, name="bus", kind="datapackage", location=str(tmp_path / "source"))
    env = {
        "KAIFANG_INSTANCE": str(instance),
        "KAIFANG_DATABASE_URL": own_database,
        "KAIFANG_RATELIMIT_STORAGE_URI": own_redis.url(0),
        "KAIFANG_RATELIMIT_DEFAULT": "1000 per minute",
        "KAIFANG_RATELIMIT_SEARCH": "1000 per minute",  # the loops below search often
        "KAIFANG_REDIS_URL": own_redis.url(1),
        "KAIFANG_HARVEST_QUEUE": "faults",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    server = Gunicorn(tmp_path, env)
    worker_log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(BIN / "kaifang"), "worker"],
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        server.start()
        # the limits are shared by both workers through Redis: one count for all
        counted = _remaining(server.port, 8)
        assert counted == sorted(counted, reverse=True) and len(set(counted)) == 8, counted
        assert redis.Redis.from_url(own_redis.url(0)).keys("LIMITS*")

        own_redis.stop()
        problems = _serve_for(server.port, 2.5)
        refused = _enqueue(env)
        assert not problems, f"the portal stopped serving while Redis was down: {problems[:5]}"
        assert refused.returncode == 1 and "无法连接采集队列的 Redis" in refused.stderr
        assert "Traceback" not in refused.stderr, refused.stderr

        own_redis.start()
        # each worker tries Redis again RETRY_EVERY seconds after its last failure
        assert not _serve_for(server.port, RETRY_EVERY + 1.5)
        counted = _remaining(server.port, 4)
        assert counted == sorted(counted, reverse=True) and len(set(counted)) == 4, counted
        queued = _enqueue(env)
        assert queued.returncode == 0 and "已加入队列" in queued.stdout, queued.stderr
        assert worker.poll() is None, "the harvest worker died with Redis"
        done = wait_for(
            lambda: [j for j in jobs_of(rt, "bus") if j.status != "running"],
            "the queued harvest",
            90,
        )
        assert [j.status for j in done] == ["finished"], [j.message for j in done]
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)
        worker_log.close()
        server.stop()
        own_redis.stop()
        rt.close()
