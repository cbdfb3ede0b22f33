"""What the static build writes and from which revision: the public datasets (active, listed
in search, not suspended by a rights-holder objection), each with a revision token and the
public files anyone may download (read for the datasets a build writes)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datasets.catalog import usage
from datasets.catalog.packages import RESOURCE_PATH
from datasets.models import (
    Dataset,
    Resource,
    SearchEntry,
    SearchPackage,
    UsageCount,
)
from datasets.publish.manifest import Listed, source_prefix
from datasets.runtime import Runtime
from datasets.search.generation import generation

# names nginx may map from a query string (``package_show?id=<name>``) to a file of the tree;
# config/nginx-static.conf.template holds the same expression
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
LATE_DAYS = 2  # days before yesterday whose usage counters a late write may still change
_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class PublicFile:
    url_path: str  # the download URL's path, not quoted
    path: Path  # the public file of the instance


class PublicEntry(NamedTuple):
    """A dataset of the static tree (a tuple: a catalog of 100,000 makes as many per build)."""

    id: str
    name: str
    # the dataset's revision and the id of its stored public package, which every write of the
    # package changes (ids are never reused): a suspension, a file confirmed, a quality score
    revision: str
    organization_id: str
    topic: str
    # the usage figures its page shows (up to yesterday): a day with uses rewrites the page
    usage: str
    # the manifest source of its files: ``dataset:<id>@<revision>`` and ``~<usage>`` if any
    source: str
    files: tuple[PublicFile, ...] = ()

    @property
    def listed(self) -> str:
        """What the lists that name the dataset show of it (not its usage figures)."""
        return f"{self.id}@{self.revision}"


def public_entry(
    dataset_id: str, name: str, revision: str, organization_id: str, topic: str, usage: str
) -> PublicEntry:
    figures = f"~{usage}" if usage else ""
    source = f"{source_prefix(dataset_id)}{revision}{figures}"
    return PublicEntry(dataset_id, name, revision, organization_id, topic, usage, source)


def _public(query):  # type: ignore[no-untyped-def]
    return query.where(Dataset.state == "active", Dataset.suspended_by.is_(None))


# a dataset as the build reads it: public when it has no suspension (a suspended one is still
# listed, with its notice); the state last, for the changes' read (``changed_since``)
_COLUMNS = (
    Dataset.id,
    Dataset.name,
    Dataset.revision,
    SearchPackage.id,
    Dataset.organization_id,
    Dataset.topic,
    Dataset.openness,
    Dataset.suspended_by,
)
# every dataset with a search row
_ENTRIES = (
    select(*_COLUMNS)
    .join(SearchEntry, SearchEntry.dataset_id == Dataset.id)
    .outerjoin(SearchPackage, SearchPackage.doc == SearchEntry.doc)
    .where(Dataset.state == "active")
)


def _entry(row: Sequence[Any], figures: dict[str, str]) -> PublicEntry:
    i, name, revision, package, org, topic = row[:6]
    return public_entry(i, name, f"{revision}-{package}", org, topic or "", figures.get(i, ""))


def _listed(row: Sequence[Any]) -> Listed:
    return (row[0], row[4], row[5] or "", row[6])


def catalog_entries(rt: Runtime) -> tuple[list[PublicEntry], list[Listed]]:
    """Every dataset the static tree holds, ordered by name, without its files (``with_files``
    reads them for the datasets to write), and every dataset the lists name: one query for the
    catalog, whatever its size, read on the connection without the ORM. Sorted here, not by the
    database: asked for the order of names, SQLite reads the table in the name index's order (at
    100,000 datasets, 1.5 s instead of 0.9 s for a read in the table's own order and the sort)."""
    with rt.reader() as session:
        rows = sorted(session.connection().execute(_ENTRIES), key=lambda row: row[1])
        figures = usage_figures(session)
    entries = [_entry(row, figures) for row in rows if row[7] is None]
    return entries, [_listed(row) for row in rows]


def public_entries(rt: Runtime) -> list[PublicEntry]:
    """Every dataset the static tree holds, ordered by name (see ``catalog_entries``)."""
    return catalog_entries(rt)[0]


def public_count(rt: Runtime) -> int:
    """How many datasets the static tree holds (from an index)."""
    with rt.reader() as session:
        return session.scalar(_public(select(func.count()).select_from(Dataset))) or 0


def usage_figures(session: Session, ids: Collection[str] | None = None) -> dict[str, str]:
    """Dataset id → the figures its page shows (all time and recent, up to yesterday), for
    the datasets ever used (or those of ``ids`` used): one grouped read of the daily counters
    each."""
    last = usage.today() - timedelta(days=1)
    totals = usage.by_dataset(session, None, last, ids)
    recent = usage.by_dataset(session, last - timedelta(days=usage.RECENT_DAYS - 1), last, ids)
    return {
        dataset_id: ".".join(str(figures[k]) for k in usage.KINDS)
        + f".{recent.get(dataset_id, {}).get('total', 0)}"
        for dataset_id, figures in totals.items()
    }


def usage_mark(rt: Runtime) -> str:
    """What the usage figures of the pages depend on, cheaply: the last day they count and the
    counters of the days a late write may still change (a web process adds its hits every few
    seconds, so yesterday's counters can still grow after midnight). Read from the day index."""
    last = usage.today() - timedelta(days=1)
    window = UsageCount.day.between(last - timedelta(days=LATE_DAYS), last)
    with rt.reader() as session:
        rows, total = session.execute(
            select(func.count(), func.coalesce(func.sum(UsageCount.count), 0)).where(window)
        ).one()
    return f"{last.isoformat()}:{rows}:{total}"


class Changes(NamedTuple):
    """The datasets whose search rows were written since a generation (or that were asked
    for): those public now, as entries (by name), the ids of the others, and every one of them
    as the lists name it now."""

    public: list[PublicEntry]
    hidden: list[str]
    listed: list[Listed]


_WRITTEN = (
    select(*_COLUMNS, Dataset.state)
    .select_from(SearchPackage)
    .join(SearchEntry, SearchEntry.doc == SearchPackage.doc)
    .join(Dataset, Dataset.id == SearchEntry.dataset_id)
)


def changed_since(rt: Runtime, written: int, ids: Collection[str] = ()) -> Changes:
    """The datasets whose packages were written after package id ``written`` (an index range
    of ``search_packages``: the cost grows with the changes, not with the catalog), and those of
    ``ids``. Package ids are written in commit order (``datasets.search.entries``)."""
    with rt.reader() as session:
        connection = session.connection()
        query = _WRITTEN.where(SearchPackage.id > written)
        rows = {row[0]: row for row in connection.execute(query)}
        asked = sorted(set(ids) - set(rows))
        for start in range(0, len(asked), _IDS_PER_QUERY):
            query = _WRITTEN.where(Dataset.id.in_(asked[start : start + _IDS_PER_QUERY]))
            rows.update((row[0], row) for row in connection.execute(query))
        active = [row for row in rows.values() if row[8] == "active"]
        public = [row for row in active if row[7] is None]
        few = len(public) <= _IDS_PER_QUERY
        figures = usage_figures(session, [row[0] for row in public] if few else None)
    entries = sorted((_entry(row, figures) for row in public), key=lambda e: e.name)
    hidden = sorted(set(rows) - {row[0] for row in public})
    return Changes(entries, hidden, [_listed(row) for row in active])


def with_files(rt: Runtime, entries: list[PublicEntry]) -> list[PublicEntry]:
    """``entries`` with the public files anyone may download, read in one query."""
    ids = [e.id for e in entries]
    with rt.reader() as session:
        resources = session.execute(
            _public(
                select(
                    Resource.dataset_id,
                    Resource.id,
                    Resource.filename,
                    Resource.public_key,
                    Resource.unmirrored,
                )
                .join(Dataset, Dataset.id == Resource.dataset_id)
                .where(Resource.public_key.is_not(None), Resource.dataset_id.in_(ids))
            ).order_by(Resource.position)
        ).all()
    names = {e.id: e.name for e in entries}
    files: dict[str, list[PublicFile]] = {}
    for dataset_id, resource_id, filename, key, unmirrored in resources:
        if unmirrored or not key:
            continue
        url = RESOURCE_PATH.format(
            name=names[dataset_id], resource_id=resource_id, filename=filename
        )
        files.setdefault(dataset_id, []).append(PublicFile(url, rt.store.path("public", key)))
    return [e._replace(files=tuple(files.get(e.id, ()))) for e in entries]


def search_generation(rt: Runtime) -> tuple[int, int]:
    """The search rows' generation (``datasets.search.generation``): every write that shows,
    changes or hides a public dataset changes it."""
    with rt.reader() as session:
        return generation(session)


def public_ids(rt: Runtime) -> set[str]:
    """Ids of the datasets the static tree may hold now."""
    with rt.reader() as session:
        return set(session.scalars(_public(select(Dataset.id))))
