"""``kaifang serve --workers 4`` with the limits in Redis: the four workers spend one budget, so a
client gets the limit (and a little slack at most), not four times it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from uuid import uuid4

import pytest
import redis

from tests.cli.test_serve_slow_clients import free_port
from tests.factories import make_runtime
from tests.web.test_rate_limits import REDIS

LIMIT = 30


def status(port: int, path: str) -> int:
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


@pytest.mark.slow
def test_four_workers_share_one_budget(tmp_path):
    instance = tmp_path / "instance"
    make_runtime(instance).close()
    prefix = f"kaifang-test-{uuid4().hex[:12]}"
    port = free_port()
    env = {
        **os.environ,
        "KAIFANG_INSTANCE": str(instance),
        "KAIFANG_RATELIMIT_ENABLED": "1",
        "KAIFANG_RATELIMIT_STORAGE_URI": REDIS,
        "KAIFANG_RATELIMIT_KEY_PREFIX": prefix,
        "KAIFANG_RATELIMIT_DEFAULT": f"{LIMIT} per minute",
    }
    kaifang = os.path.join(os.path.dirname(sys.executable), "kaifang")
    command = [kaifang, "serve", "--port", str(port), "--workers", "4"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:  # the developers' page: the pages' budget, not the API's
            try:
                if status(port, "/api") == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.3)
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(
                pool.map(lambda _: status(port, "/api/3/action/site_read"), range(LIMIT * 4))
            )
        assert set(answers) <= {200, 429}
        passed = answers.count(200)
        assert LIMIT <= passed <= LIMIT + 2, passed  # not up to 4 × LIMIT
    finally:
        process.terminate()
        process.wait(timeout=60)
        store = redis.Redis.from_url(REDIS)
        for key in store.scan_iter(match=f"{prefix}*"):
            store.delete(key)
