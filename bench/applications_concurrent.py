"""Submit 500 applications for conditional data at once through gunicorn with PostgreSQL;
print throughput and latency, and check every one is stored with a unique reference number.

Each of 500 companies (own account, own API key) files one application over loopback HTTP,
64 at a time, against `gunicorn -w 4 -k gthread --threads 4 portal.wsgi:app` on a fresh
PostgreSQL database holding the demo catalog.

Run: .venv/bin/python -m bench.applications_concurrent [applications] [concurrency]
The server is KAIFANG_BENCH_POSTGRES_URL (default: the local server, database ``test``).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select

from bench.postgres import postgres_database
from datasets.accounts.keys import create_api_key
from datasets.accounts.users import hash_password
from datasets.database import upgrade
from datasets.models import Case, Dataset, User
from datasets.runtime import Runtime
from datasets.settings import load_settings
from demo.register import register_demo_sources
from harvester.jobs import run_harvest
from harvester.sources import get_sources
from tests.factories import credit_code

BODY = {
    "purpose": "城市医疗资源布局研究",
    "scope": "本单位研究团队内部使用",
    "scenario": "按区县统计分布并生成研究报告",
    "security_measures": "等保二级系统，专人专机，访问留痕",
    "period_months": 12,
    "fields": "all",
    "access_mode": "api",
}


def companies(rt: Runtime, count: int) -> list[str]:
    """``count`` company accounts (one password hash shared: scrypt is slow on purpose, and
    this measures submissions, not sign-ups) and an API key each."""
    shared = hash_password(uuid.uuid4().hex)
    with rt.session() as session:
        for n in range(count):
            session.add(
                User(
                    name=f"bench-{n}",
                    display_name=f"江州第{n}数据有限公司",
                    role="company",
                    password_hash=shared,
                    company_name=f"江州第{n}数据有限公司",
                    credit_code=credit_code(n + 1),
                    legal_representative="王五",
                    phone="13800138000",
                )
            )
    return [create_api_key(rt, user_name=f"bench-{n}")["key"] for n in range(count)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited before answering")
        try:
            if request(base, "GET", "/api/3/action/status_show", None, None)[0] == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def request(base: str, method: str, path: str, key: str | None, body: dict | None):  # type: ignore[no-untyped-def]
    """One HTTP request on its own connection: (status, decoded JSON or text)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = key
    try:
        connection.request(method, path, json.dumps(body).encode() if body else None, headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, {"error": raw.decode("utf-8", "replace")[:300]}


def submit(base: str, key: str, dataset: str) -> tuple[int, float, dict]:
    started = time.perf_counter()
    status, answer = request(
        base, "POST", "/api/v1/applications", key, {**BODY, "dataset": dataset}
    )
    return status, time.perf_counter() - started, answer


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    with postgres_database("kaifang_bench") as url, tempfile.TemporaryDirectory() as folder:
        instance = str(Path(folder) / "instance")
        settings = {"instance": instance, "database_url": url}
        rt = Runtime(load_settings(settings, environ={}))
        upgrade(rt)
        register_demo_sources(rt)
        run_harvest(rt, get_sources(rt))
        with rt.reader() as session:
            conditional = list(
                session.scalars(
                    select(Dataset.name).where(
                        Dataset.openness == "conditional", Dataset.state == "active"
                    )
                )
            )
        keys = companies(rt, count)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "KAIFANG_INSTANCE": instance,
            "KAIFANG_DATABASE_URL": url,
            "KAIFANG_RATELIMIT_ENABLED": "false",
            "KAIFANG_LOG_LEVEL": "WARNING",
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        process = subprocess.Popen(
            [
                str(gunicorn),
                "-w",
                "4",
                "-k",
                "gthread",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "portal.wsgi:app",
            ],
            env=env,
        )
        try:
            wait_until_up(base, process)
            started = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                results = list(
                    pool.map(
                        submit,
                        [base] * count,
                        keys,
                        [conditional[n % len(conditional)] for n in range(count)],
                    )
                )
            elapsed = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=30)
        with rt.reader() as session:
            stored = session.scalar(
                select(func.count()).select_from(Case).where(Case.kind == "application")
            )
            distinct = session.scalar(
                select(func.count(func.distinct(Case.reference))).where(Case.kind == "application")
            )
        rt.close()

    created = [r for r in results if r[0] == 201]
    failed = [r for r in results if r[0] != 201]
    latencies = sorted(r[1] for r in results)
    references = {r[2]["reference"] for r in created}
    print(f"applications: {count} submitted, {concurrency} at a time, {len(conditional)} datasets")
    print(f"created: {len(created)} (HTTP 201), failed: {len(failed)}")
    print(f"throughput: {count / elapsed:.1f} applications/s ({elapsed:.2f} s in all)")
    print(
        f"latency: median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    print(f"stored: {stored} applications, {distinct} distinct reference numbers")
    ok = len(created) == count == stored == distinct == len(references)
    print("every application stored with a unique reference number:", "yes" if ok else "NO")
    for status, _, answer in failed[:5]:
        print(f"  HTTP {status}: {answer}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
