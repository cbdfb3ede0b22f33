"""A tree's manifest: what each of its files is, kept in SQLite beside the tree
(``OUT/trees/<id>.manifest.sqlite``).

One row per file (path, SHA-256, source, URL, size), indexed by source, so that a build asks
for one dataset's files, drops one source or counts the tree without reading the rest: a catalog
of 100,000 datasets has half a million files, whose manifest in one JSON document took seconds
to read and write on every build.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILE_MODE = 0o644
Row = tuple[str, str, str, str, int]  # path, sha256, source, url, size
Listed = tuple[str, str, str, str]  # a dataset's id, department id, topic, openness
# the start of the source of every file made from a dataset: ``dataset:<id>@<revision>``
DATASETS = "dataset:"


def source_prefix(dataset_id: str) -> str:
    """The start of the manifest source of every file made from one dataset."""
    return f"{DATASETS}{dataset_id}@"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, source TEXT NOT NULL, url TEXT NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS files_source ON files (source);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS listed (
    dataset_id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, topic TEXT NOT NULL,
    openness TEXT NOT NULL
);
"""


def prefix_range(prefix: str) -> tuple[str, str]:
    """The sources starting with ``prefix`` are those in [low, high) (an index range)."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass
class Manifest:
    """What a tree holds, in memory (tests, leak checks): path → sha256, source, URL."""

    tree: str
    files: dict[str, dict[str, str]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def by_source(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for path, entry in self.files.items():
            grouped.setdefault(entry["source"], []).append(path)
        return grouped

    def dump(self) -> str:
        """JSON, each source with its files as ``[path, sha256, url]``."""
        grouped: dict[str, list[list[str]]] = {}
        for path, entry in self.files.items():
            grouped.setdefault(entry["source"], []).append([path, entry["sha256"], entry["url"]])
        return json.dumps(
            {"tree": self.tree, **self.info, "sources": grouped},
            ensure_ascii=False,
            separators=(",", ":"),
        )


class ManifestDB:
    """The manifest of one tree on disk. Changes are one transaction until ``commit``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fresh = not path.exists()
        self.db = sqlite3.connect(path, timeout=60, isolation_level="DEFERRED")
        self.db.executescript(_SCHEMA)
        if fresh:
            os.chmod(path, FILE_MODE)

    def close(self) -> None:
        self.db.close()

    def commit(self) -> None:
        self.db.commit()

    def add(self, rows: Iterable[Row]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", rows)

    def sources(self) -> set[str]:
        return {s for (s,) in self.db.execute("SELECT DISTINCT source FROM files")}

    def sources_outside(self, prefix: str) -> set[str]:
        """The sources not starting with ``prefix`` (two index ranges)."""
        low, high = prefix_range(prefix)
        query = "SELECT DISTINCT source FROM files WHERE source < ? OR source >= ?"
        return {s for (s,) in self.db.execute(query, (low, high))}

    def sources_within(self, prefix: str) -> set[str]:
        """The sources starting with ``prefix`` (an index range)."""
        query = "SELECT DISTINCT source FROM files WHERE source >= ? AND source < ?"
        return {s for (s,) in self.db.execute(query, prefix_range(prefix))}

    def files_of(self, source: str) -> list[Row]:
        return self.db.execute("SELECT * FROM files WHERE source = ?", (source,)).fetchall()

    def drop(self, source: str) -> list[str]:
        """Forget ``source``'s files; their paths."""
        paths = [
            p for (p,) in self.db.execute("SELECT path FROM files WHERE source = ?", (source,))
        ]
        self.db.execute("DELETE FROM files WHERE source = ?", (source,))
        return paths

    def drop_prefix(self, prefix: str) -> list[str]:
        """Forget the files of every source starting with ``prefix``; their paths."""
        low, high = prefix_range(prefix)
        where = "FROM files WHERE source >= ? AND source < ?"
        paths = [p for (p,) in self.db.execute(f"SELECT path {where}", (low, high))]
        self.db.execute(f"DELETE {where}", (low, high))
        return paths

    def set_listed(self, rows: Iterable[Listed], *, replace: bool) -> None:
        """How the lists named each dataset when the tree was built (``lists.lists_after``):
        all of them (``replace``), or those changed since."""
        if replace:
            self.db.execute("DELETE FROM listed")
        self.db.executemany("INSERT OR REPLACE INTO listed VALUES (?, ?, ?, ?)", rows)

    def listed(self, ids: Iterable[str]) -> dict[str, Listed]:
        """How the lists named the datasets ``ids`` (those they named), one lookup each."""
        query = "SELECT * FROM listed WHERE dataset_id = ?"
        rows = (self.db.execute(query, (i,)).fetchone() for i in ids)
        return {row[0]: row for row in rows if row is not None}

    def totals(self) -> tuple[int, int]:
        count, size = self.db.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM files"
        ).fetchone()
        return int(count), int(size)

    def info(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM info")}

    def set_info(self, info: dict[str, Any]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO info VALUES (?, ?)",
            [(k, json.dumps(v, ensure_ascii=False)) for k, v in info.items()],
        )

    def load(self, gone: tuple[str, ...] = ()) -> Manifest:
        """All of it in memory, without the sources starting with one of ``gone``."""
        info = self.info()
        files = {
            path: {"sha256": sha256, "source": source, "url": url}
            for path, sha256, source, url, _size in self.db.execute("SELECT * FROM files")
            if not (gone and source.startswith(gone))
        }
        return Manifest(tree=info.pop("tree", ""), files=files, info=info)
