"""gunicorn's workers and the metrics: ``kaifang serve --workers 2``, and a gunicorn of one's own
with ``-c python:portal.gunicorn_conf``, sum every worker's counts in ``/metrics`` (prometheus-
client's multiprocess mode), keep those of a killed worker and mark it dead, empty the folder of
an earlier run's files as they start, and with ``KAIFANG_LOG_FORMAT=json`` write nothing on
standard error but JSON lines, the access lines carrying the request id passed in."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest

from tests.cli.test_serve_slow_clients import free_port
from tests.factories import make_runtime
from tests.web.test_health_metrics import samples, value

BIN = Path(sys.executable).parent
RULE = "/api/3/action/<action>"


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def wait_for(check, what: str, seconds: float = 120):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.3)
    pytest.fail(f"not within {seconds} s: {what}")


def counted(port: int) -> float:
    status, text = get(port, "/metrics")
    assert status == 200, text
    return value(
        samples(text), "kaifang_http_requests_total", method="GET", route=RULE, status="200"
    )


def command(how: str, port: int) -> list[str]:
    if how == "kaifang serve":
        return [str(BIN / "kaifang"), "serve", "--port", str(port), "--workers", "2"]
    return [
        *(str(BIN / "gunicorn"), "-c", "python:portal.gunicorn_conf", "--preload"),
        *("-w", "2", "-k", "gthread", "--threads", "2", "-b", f"127.0.0.1:{port}"),
        "portal.wsgi:app",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["kaifang serve", "gunicorn -c python:portal.gunicorn_conf"])
def test_metrics_sum_every_worker_and_keep_a_killed_ones_counts(tmp_path, how):
    instance = tmp_path / "instance"
    make_runtime(instance).close()
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"an earlier run's file")
    port = free_port()
    env = {
        **os.environ,
        "KAIFANG_INSTANCE": str(instance),
        "KAIFANG_RATELIMIT_ENABLED": "0",
        "KAIFANG_LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command(how, port), env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
        try:
            wait_for(lambda: get(port, "/healthz")[0] == 200, "the server answers")
            assert not (folder / "counter_999999.db").exists()  # emptied as it started
            workers = wait_for(lambda: len(children(process.pid)) == 2, "two workers")
            for n in range(10):
                status, _ = get(port, "/api/3/action/status_show", {"X-Request-ID": f"probe-{n}"})
                assert status == 200
            # whichever worker answers the scrape, it sums both
            assert [counted(port) for _ in range(6)] == [10.0] * 6

            killed = min(children(process.pid))
            os.kill(killed, signal.SIGKILL)
            wait_for(lambda: killed not in children(process.pid), "the killed worker gone")
            wait_for(lambda: len(children(process.pid)) == 2, "a new worker")
            for _ in range(5):
                assert get(port, "/api/3/action/status_show")[0] == 200
            assert [counted(port) for _ in range(6)] == [15.0] * 6  # the dead one's count kept
            assert (folder / f"counter_{killed}.db").exists()
            assert not (folder / f"gauge_livesum_{killed}.db").exists()  # marked dead
            status, text = get(port, "/metrics")
            assert value(samples(text), "kaifang_http_requests_in_progress") == 1.0
        finally:
            process.terminate()
            process.wait(timeout=60)
    assert workers
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [r for r in records if r["logger"] == "portal.access"]
    probe = next(r for r in access if r["request_id"] == "probe-3")
    assert probe["route"] == RULE and probe["status"] == 200 and probe["method"] == "GET"
    assert probe["path"] == "/api/3/action/status_show" and probe["time"].endswith("+08:00")
    assert len({r["request_id"] for r in access}) == len(access)  # one id per request
