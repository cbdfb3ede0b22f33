"""The production stack (PostgreSQL, Redis, gunicorn, nginx with the static tree) under a small
load for half a minute: no error of any kind, and no worker's memory running away.

``bench.load`` at a CI's size: the demo and 200 corpus datasets, 2 gunicorn workers, 40 users
pausing 0.5–2 s, 30 s counted after 5 s of warm-up. The thresholds are generous (a noisy shared
CI machine); the benchmark prints the strict ones.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import load, load_report

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REDIS_URL = "redis://127.0.0.1:6379/13"  # the rate limits of this test alone


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("KAIFANG_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis at {REDIS_URL} unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} unreachable: {exc}")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    load.options(parser)
    return parser.parse_args(
        [
            "--datasets=200",
            "--workers=2",
            "--keys=20",
            "--users=40",
            "--seconds=30",
            "--warmup=5",
            "--think-min=0.5",
            "--think-max=2",
            "--closed-seconds=0",
            f"--redis-url={REDIS_URL}",
        ]
    )


def test_half_a_minute_of_mixed_load_has_no_error_and_flat_memory(fresh_postgres_url, capsys):
    _redis_or_skip()
    args = _args()
    # in a thread of its own: the browser tests' Playwright keeps an event loop running in this
    # one, and the driver starts its own with asyncio.run
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(
            load.run, args, progress=lambda _: None, database_url=fresh_postgres_url
        ).result()
    phase = result["phases"][0]
    load_report.report(result, args)  # the tables, for whoever reads the log
    printed = capsys.readouterr().out

    assert phase.name == "open"
    # 40 users at one action per 0.5–2 s (plus the answer's time): about 750 answers
    assert len(phase.rows) >= 300, printed
    assert load_report.errors(phase.rows) == {}, printed
    by = load_report.latencies(phase.rows)
    for kind in load_report.KINDS:
        assert by.get((kind, "")), f"no {kind} answered\n{printed}"
    assert ("apply", "read it back") in by  # the filed applications were read back
    # most pages come from the static tree: their median is far below the app's
    assert load_report.percentile(by[("page", "dataset page")], 50) < 200, printed
    assert load_report.percentile(by[("page", "")], 95) < 10_000, printed

    first, last = phase.samples[0][1], phase.samples[-1][1]
    workers = last["gunicorn workers"]
    assert len(workers) == 2 and set(workers) == set(first["gunicorn workers"]), printed
    assert all(mb < 800 for mb in workers.values()), printed
    growth = load_report.soak_growth(phase)
    assert growth["gunicorn workers"] < 0.5 and growth["nginx"] < 0.5, printed
    assert result["end"]["postgres backends"], "the database's backends were not found"
