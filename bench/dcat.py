"""Serving the whole DCAT catalog as Turtle, page by page, at scale, in bounded memory.

Publishes N realistic datasets (``bench.search_corpus``, through the service layer as
``bench.search_scale`` does: 500 per transaction), serves the instance with gunicorn (1 process,
gthread, 4 threads, as in production) and reads ``/catalog.ttl?page=1`` … up to the last
page (Hydra's ``last``) on one keep-alive connection. Prints the total time, pages per second,
the median and slowest page, the datasets read (all must be there), and the worker's resident
memory after the first 10 pages, after all pages and at its peak (read after every page): a
catalog served a page at a time does not grow with the number of pages.

Run:  .venv/bin/python -m bench.dcat --datasets 100000
Quick: .venv/bin/python -m bench.dcat --datasets 2000
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import search_corpus as load
from bench.search_scale import publish_all
from datasets.database import upgrade
from datasets.runtime import Runtime
from datasets.settings import load_settings

LAST = re.compile(rb"hydra:last <[^>]*\?page=(\d+)>")


def create(instance: str, count: int) -> float:
    """Publish ``count`` datasets; the seconds it took."""
    rt = Runtime(load_settings({"instance": instance}, environ={}))
    upgrade(rt)
    took = publish_all(rt, load.records(count))
    rt.close()
    return took


def read_catalog(port: int, worker: int) -> dict[str, Any]:
    """Every page in order, timed, with the worker's memory after each."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times: list[float] = []
    rss: list[float] = []
    datasets, last, page = 0, 1, 1
    started = time.perf_counter()
    while page <= last:
        began = time.perf_counter()
        status, body = load.get(connection, f"/catalog.ttl?page={page}")
        times.append(time.perf_counter() - began)
        if status != 200:
            raise SystemExit(f"page {page}: HTTP {status}")
        if page == 1:
            found = LAST.search(body)
            last = int(found.group(1)) if found else 1
        datasets += body.count(b" a dcat:Dataset")
        rss.append(load._memory_mb(worker)["rss"])
        page += 1
    total = time.perf_counter() - started
    connection.close()
    return {
        "pages": len(times),
        "datasets": datasets,
        "total_s": total,
        "pages_per_s": len(times) / total,
        "median_ms": statistics.median(times) * 1e3,
        "slowest_ms": max(times) * 1e3,
        "first_page_ms": times[0] * 1e3,
        "rss_after_10_mb": rss[min(9, len(rss) - 1)],
        "rss_after_all_mb": rss[-1],
        "rss_peak_mb": max(rss),
    }


def serve_and_read(instance: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "KAIFANG_INSTANCE": instance,
        "KAIFANG_RATELIMIT_ENABLED": "false",
        "KAIFANG_LOG_LEVEL": "WARNING",
    }
    port = load.free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-w", "1", "-k", "gthread", "--threads", "4"]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "portal.wsgi:app"]
    with load.serve([command], env, [port], "/api/3/action/status_show") as pids:
        (worker,) = pids()
        return read_catalog(port, worker)


def report(count: int, created_s: float, r: dict[str, Any]) -> None:
    print(f"DCAT catalog as Turtle, {count:,} datasets ({os.cpu_count()} cores)")
    print(f"  created in {created_s:.1f} s")
    print(
        f"  {r['pages']} pages, {r['datasets']:,} datasets read in {r['total_s']:.1f} s: "
        f"{r['pages_per_s']:.1f} pages/s; page median {r['median_ms']:.0f} ms, slowest "
        f"{r['slowest_ms']:.0f} ms, first {r['first_page_ms']:.0f} ms"
    )
    print(
        f"  worker RSS: {r['rss_after_10_mb']:.0f} MB after 10 pages, "
        f"{r['rss_after_all_mb']:.0f} MB after all, peak {r['rss_peak_mb']:.0f} MB"
    )
    if r["datasets"] != count:
        raise SystemExit(f"expected {count} datasets in the catalog, read {r['datasets']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        instance = str(Path(folder) / "instance")
        print(f"creating {args.datasets:,} datasets …", flush=True)
        created_s = create(instance, args.datasets)
        print(f"created in {created_s:.1f} s; serving …", flush=True)
        report(args.datasets, created_s, serve_and_read(instance))


if __name__ == "__main__":
    main()
