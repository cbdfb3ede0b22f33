"""Does the harvest rate hold as the catalog grows? Harvest a generated CKAN portal over loopback
HTTP and print the rate (datasets/s) in the first and the last 10% of the datasets.

Run: .venv/bin/python -m bench.harvest_scale [datasets] [--files] [--workers N]

``--files`` gives every dataset one CSV to download, validate and scan (default: metadata
only). The aim: the last 10% at least 80% as fast as the first. The source is served by a
process of its own, as a real portal is by another machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harvest_ckan import source_server
from datasets.database import upgrade
from datasets.runtime import Runtime
from datasets.settings import load_settings
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("datasets", type=int, nargs="?", default=100_000)
    parser.add_argument("--files", action="store_true", help="one CSV per dataset")
    parser.add_argument("--workers", type=int, default=0, help="validation processes")
    args = parser.parse_args()
    stamps: list[float] = []
    with (
        source_server(args.datasets, files=args.files) as base,
        tempfile.TemporaryDirectory() as folder,
    ):
        settings = {"instance": str(Path(folder) / "instance"), "harvest_workers": args.workers}
        rt = Runtime(load_settings(settings, environ={}))
        upgrade(rt)
        add_source(rt, name="bench", kind="ckan", location=base, config={"rows": "1000"})
        source = get_sources(rt, ["bench"])[0]
        started = time.perf_counter()
        result = run_source(
            rt, source, progress=lambda _t, _n, _total: stamps.append(time.perf_counter())
        )
        total_s = time.perf_counter() - started
        rt.close()
    tenth = max(1, len(stamps) // 10)
    first = tenth / (stamps[tenth] - stamps[0])
    last = tenth / (stamps[-1] - stamps[-1 - tenth])
    kind = "one CSV each" if args.files else "metadata only"
    print(
        f"CKAN source with {args.datasets} datasets ({kind}), loopback HTTP, "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )
    print(
        f"whole harvest: {total_s:8.1f} s  {result.counts['added'] / total_s:7.1f} datasets/s "
        f"(added {result.counts['added']}, errored {result.counts['errored']})"
    )
    print(f"first 10%:     {first:7.1f} datasets/s")
    print(f"last 10%:      {last:7.1f} datasets/s  ({last / first:.0%} of the first; aim ≥ 80%)")


if __name__ == "__main__":
    main()
