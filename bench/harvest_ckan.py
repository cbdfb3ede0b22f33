"""Harvest a generated CKAN portal of 10,000 datasets over loopback HTTP; print datasets/s for
the full harvest and the time of unchanged re-harvests as a share of it.

Run: .venv/bin/python -m bench.harvest_ckan [datasets]
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import update

from datasets.database import upgrade
from datasets.models import HarvestSource
from datasets.runtime import Runtime
from datasets.settings import load_settings
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources

DEPARTMENTS = [
    "交通运输局",
    "生态环境局",
    "卫生健康委员会",
    "教育局",
    "民政局",
    "市场监督管理局",
    "自然资源和规划局",
    "住房和城乡建设局",
    "文化广电旅游局",
    "气象局",
]
SUBJECTS = [
    "公交线路",
    "空气质量",
    "医疗机构",
    "学校",
    "养老机构",
    "企业登记",
    "停车场",
    "充电桩",
    "旅游景区",
    "气象观测",
]
MODIFIED = "2026-10-01T08:00:00.000000"


def make_packages(count: int, base: str) -> list[dict]:
    packages = []
    for n in range(count):
        dept = DEPARTMENTS[n % len(DEPARTMENTS)]
        subject = SUBJECTS[(n // 7) % len(SUBJECTS)]
        package_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{n}"))
        packages.append(
            {
                "id": package_id,
                "name": f"bench-{n:05d}",
                "title": f"{subject}信息（第{n}号）",
                "notes": f"江州市{dept}发布的{subject}数据，编号 {n}。",
                "state": "active",
                "private": False,
                "metadata_created": MODIFIED,
                "metadata_modified": MODIFIED,
                "license_id": "cc-by",
                "license_title": "CC-BY 4.0",
                "organization": {"name": f"dept-{n % len(DEPARTMENTS)}", "title": f"江州市{dept}"},
                "tags": [{"name": subject}],
                "groups": [],
                "extras": [{"key": "update_cycle", "value": "每月"}],
                "resources": [
                    {
                        "id": f"{package_id}-r",
                        "name": "data",
                        "format": "CSV",
                        "url": f"{base}/files/{n}.csv",
                        "last_modified": MODIFIED,
                    }
                ],
            }
        )
    packages.sort(key=lambda p: p["id"])
    return packages


def serve(packages_ref: list[list[dict]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # type: ignore[no-untyped-def]
            pass

        def do_GET(self):  # type: ignore[no-untyped-def]
            parts = urlsplit(self.path)
            if parts.path.startswith("/files/"):
                n = int(parts.path.rsplit("/", 1)[1].split(".")[0])
                rows = "\n".join(f"{i},站点{n}-{i},江南区,{i * 1.5}" for i in range(20))
                return self._send(f"序号,名称,区县,数值\n{rows}\n".encode(), "text/csv")
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            packages = packages_ref[0]
            if "metadata_modified" in query.get("fq", ""):
                packages = [p for p in packages if p["metadata_modified"] > MODIFIED]
            start, rows = int(query.get("start", 0)), int(query.get("rows", 10))
            page = packages[start : start + rows]
            if query.get("fl") == "id":
                page = [{"id": p["id"]} for p in page]
            body = {
                "help": "",
                "success": True,
                "result": {"count": len(packages), "results": page},
            }
            return self._send(json.dumps(body, ensure_ascii=False).encode(), "application/json")

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def source_server(count: int, *, files: bool = True) -> Iterator[str]:
    """A CKAN portal of ``count`` generated datasets (each with one CSV if ``files``) served by a
    process of its own, as a real source is: the harvester measured shares no interpreter (and
    no GIL) with it. Yields its base URL."""
    context = multiprocessing.get_context("spawn")
    ports: Any = context.Queue()
    process = context.Process(target=_serve_forever, args=(count, files, ports), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{ports.get(timeout=300)}"
    finally:
        process.terminate()
        process.join(30)


def _serve_forever(count: int, files: bool, ports: Any) -> None:
    packages_ref: list[list[dict]] = [[]]
    server = serve(packages_ref)
    packages = make_packages(count, f"http://127.0.0.1:{server.server_port}")
    if not files:
        for package in packages:
            package["resources"] = []
    packages_ref[0] = packages
    ports.put(server.server_port)
    threading.Event().wait()  # until terminated


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with source_server(count) as base, tempfile.TemporaryDirectory() as folder:
        rt = Runtime(load_settings({"instance": str(Path(folder) / "instance")}, environ={}))
        upgrade(rt)
        add_source(rt, name="bench", kind="ckan", location=base, config={"rows": "500"})
        source = get_sources(rt, ["bench"])[0]
        started = time.perf_counter()
        full = run_source(rt, source)
        full_s = time.perf_counter() - started
        started = time.perf_counter()
        incremental = run_source(rt, source)
        incremental_s = time.perf_counter() - started
        with rt.session() as session:  # forget the last good run: read everything again
            session.execute(update(HarvestSource).values(last_complete_at=None))
        started = time.perf_counter()
        reread = run_source(rt, source)
        reread_s = time.perf_counter() - started
        rt.close()
    added = full.counts["added"]
    print(
        f"CKAN source with {count} datasets (one CSV each), loopback HTTP, "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )
    print(
        f"full harvest:                  {full_s:8.1f} s  {added / full_s:6.1f} datasets/s "
        f"(added {added}, errored {full.counts['errored']})"
    )
    print(
        f"unchanged re-harvest (incr.):  {incremental_s:8.1f} s  "
        f"{incremental_s / full_s:6.1%} of the full harvest "
        f"(unchanged {incremental.counts['unchanged']})"
    )
    print(
        f"unchanged re-read of all:      {reread_s:8.1f} s  {reread_s / full_s:6.1%} of the "
        f"full harvest (unchanged {reread.counts['unchanged']}, no file downloaded)"
    )


if __name__ == "__main__":
    main()
