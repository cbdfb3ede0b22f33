"""Harvest the bundled demo sources into an empty instance, then again unchanged; print timings.

Run: .venv/bin/python -m bench.harvest_demo
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from datasets.catalog import services as catalog
from datasets.database import upgrade
from datasets.runtime import Runtime
from datasets.search.query import search_request
from datasets.settings import load_settings
from demo.register import register_demo_sources
from harvester.jobs import run_harvest
from harvester.sources import get_sources


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        rt = Runtime(load_settings({"instance": str(Path(folder) / "instance")}, environ={}))
        upgrade(rt)
        register_demo_sources(rt)
        sources = get_sources(rt)
        started = time.perf_counter()
        first = run_harvest(rt, sources)
        full = time.perf_counter() - started
        started = time.perf_counter()
        run_harvest(rt, sources)
        again = time.perf_counter() - started
        datasets = sum(r.counts["added"] for r in first)
        files = catalog.portal_summary(rt)["open_files"]
        started = time.perf_counter()
        queries = ["公交", "养老", "空气质量", "医疗机构", "学校", "停车场", "企业", "旅游"] * 25
        now = datetime.now(UTC)
        for q in queries:
            wanted = search_request({"q": q, "rows": 20}, now=now, max_rows=1000, default_rows=20)
            catalog.package_search(rt, wanted)
        search = (time.perf_counter() - started) / len(queries)
        rt.close()
    print(
        f"full harvest:      {datasets} datasets in {full:.2f} s ({datasets / full:.1f} datasets/s)"
    )
    print(f"unchanged harvest: {again:.2f} s ({again / full:.0%} of the full harvest)")
    print(f"package_search:    {search * 1000:.1f} ms per query (jieba + the database's index)")
    print(f"public files:      {files}")


if __name__ == "__main__":
    main()
