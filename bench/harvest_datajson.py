"""Harvest the real Project Open Data catalog of OpenDataPhilly (402 datasets, 2,841
distributions on 93 outside hosts) served over loopback HTTP, with the machine's own name
resolution: print the time, the outcomes and the hosts whose files were not mirrored.

Run: .venv/bin/python -m bench.harvest_datajson [catalog.json]
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from datasets.database import upgrade
from datasets.runtime import Runtime
from datasets.settings import load_settings
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources

CATALOG = (
    Path(__file__).resolve().parents[2]
    / "shared/realdata/project-open-data/datagov-harvester/dcatus_with_none.json"
)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    catalog = Path(sys.argv[1]) if len(sys.argv) > 1 else CATALOG
    handler = partial(_Quiet, directory=str(catalog.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    location = f"http://127.0.0.1:{server.server_port}/{catalog.name}"
    with tempfile.TemporaryDirectory() as folder:
        rt = Runtime(load_settings({"instance": str(Path(folder) / "instance")}, environ={}))
        upgrade(rt)
        add_source(rt, name="philly", kind="datajson", location=location, config={})
        started = time.perf_counter()
        result = run_source(rt, get_sources(rt, ["philly"])[0])
        seconds = time.perf_counter() - started
        rt.close()
    server.shutdown()
    counts = result.counts
    print(f"data.json {catalog.name} over loopback HTTP, {datetime.now(UTC):%Y-%m-%d}")
    print(f"harvest:     {seconds:6.1f} s ({result.status})")
    print(
        f"outcomes:    added {counts['added']}, unmirrored {counts['unmirrored']} "
        f"(published with their metadata), errored {counts['errored']}"
    )
    top = ", ".join(f"{host} {n}" for host, n in result.hosts.most_common(5))
    print(f"unmirrored:  {sum(result.hosts.values())} files on {len(result.hosts)} hosts ({top} …)")


if __name__ == "__main__":
    main()
