"""Register the bundled demo sources (listed in demo/sources/sources.json) as harvest sources.

Run as ``python -m demo.register``; safe to run again (existing identical sources are kept).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from datasets.errors import KaifangError
from datasets.runtime import Runtime
from datasets.settings import load_settings
from harvester.sources import add_source

SOURCES = Path(__file__).resolve().parent / "sources"
REPO = SOURCES.parent.parent


def register_demo_sources(rt: Runtime) -> list[dict]:
    listing = json.loads((SOURCES / "sources.json").read_text(encoding="utf-8"))
    added = []
    for entry in listing:
        location = Path(entry["location"])
        if not location.is_absolute():
            location = REPO / location
        added.append(
            add_source(
                rt,
                name=entry["name"],
                kind=entry["kind"],
                location=str(location),
                title=entry.get("title", ""),
                exist_ok=True,
            )
        )
    return added


def main() -> int:
    try:
        for source in register_demo_sources(Runtime(load_settings())):
            print(f"来源 {source['name']}（{source['kind']}）：{source['title']}")
    except KaifangError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
