"""Switching the static site back to the tree before the current one."""

from __future__ import annotations

from pathlib import Path

from datasets.publish import sources
from datasets.publish.manifest import DATASETS, source_prefix
from datasets.publish.tree import StaticOut
from datasets.runtime import Runtime


def roll_back(rt: Runtime, out_dir: Path) -> tuple[str, int]:
    """Point ``current`` at the previous tree, without the files of datasets hidden since it was
    built. Returns the tree and the number of files removed."""
    out = StaticOut(out_dir)
    with out.locked():
        tree = out.rollback()
        held = {
            source.split("@", 1)[0].removeprefix(DATASETS)
            for source in out.held_sources()
            if source.startswith(DATASETS)
        }
        gone = held - sources.public_ids(rt)
        removed = out.remove_sources(tuple(source_prefix(i) for i in sorted(gone)))
    return tree, len(removed)
