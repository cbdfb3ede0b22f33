"""Checking and rebuilding the search rows.

Every session writes the search rows of the datasets it changes in its own transaction
(``datasets.search.entries``), so rows and datasets agree. ``sync_index`` finds and repairs
any difference all the same (a catalog migrated from an older version, rows written by an older
tokenizer); ``rebuild_index`` writes every row again, after a change of the tokenizer, its
dictionary or the synonym table's folding.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import delete, func, select

from datasets.catalog.packages import PACKAGE_LOADS
from datasets.models import Dataset, SearchEntry, SearchRemoval
from datasets.runtime import Runtime
from datasets.search import analysis
from datasets.search.entries import VISIBLE_STATES, delete_entries, search_row, store_rows
from datasets.settings import Settings

_BATCH = 500
_PARALLEL = 2000  # fewer rows than this are written in this process (starting others costs ~2 s)


def sync_index(rt: Runtime, *, dataset_ids: Iterable[str] | None = None) -> int:
    """Make the search rows match the public datasets; returns the number of rows changed."""
    only = list(set(dataset_ids)) if dataset_ids is not None else None
    with rt.reader() as session:
        wanted_query = select(Dataset.id, Dataset.revision).where(Dataset.state.in_(VISIBLE_STATES))
        indexed_query = select(SearchEntry.dataset_id, SearchEntry.revision)
        if only is not None:
            wanted_query = wanted_query.where(Dataset.id.in_(only))
            indexed_query = indexed_query.where(SearchEntry.dataset_id.in_(only))
        wanted = dict(session.execute(wanted_query).all())
        indexed = dict(session.execute(indexed_query).all())
    stale = [i for i, revision in wanted.items() if indexed.get(i) != revision]
    gone = [i for i in indexed if i not in wanted]
    for start in range(0, len(gone), _BATCH):
        with rt.session() as session:
            delete_entries(session, gone[start : start + _BATCH])
    changed = len(gone) + _write(rt, stale)
    if changed:
        refresh_statistics(rt)
    return changed


def rebuild_index(rt: Runtime, *, processes: int | None = None) -> int:
    """Write every search row again; returns the number of public datasets written."""
    visible = select(Dataset.id).where(Dataset.state.in_(VISIBLE_STATES))
    with rt.reader() as session:
        ids = list(session.scalars(visible))
    with rt.session() as session:
        hidden = select(SearchEntry.dataset_id).where(SearchEntry.dataset_id.not_in(visible))
        delete_entries(session, list(session.scalars(hidden)))
    written = _write(rt, ids, processes)
    refresh_statistics(rt)
    return written


def refresh_statistics(rt: Runtime) -> None:
    """Tell the database's query planner the search tables' shape, so that facets are counted
    entry by entry over the matching set rather than value by value over the catalog (SQLite
    keeps no statistics unless asked; PostgreSQL's autovacuum would get there later)."""
    with rt.engine.begin() as connection:
        # only the latest removal mark tells anything
        latest = select(func.max(SearchRemoval.id)).scalar_subquery()
        connection.execute(delete(SearchRemoval).where(SearchRemoval.id < latest))
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("ANALYZE search_entries")
            connection.exec_driver_sql("ANALYZE search_values")
        else:
            connection.exec_driver_sql("ANALYZE search_entries, search_values")


def _write(rt: Runtime, ids: list[str], processes: int | None = None) -> int:
    """Write the rows of ``ids`` in batches, cut in ``processes`` processes (by default one per
    core, at most four) when there are enough of them."""
    processes = processes or min(4, os.cpu_count() or 1)
    size = max(1, min(_BATCH, -(-len(ids) // processes)))
    chunks = [ids[start : start + size] for start in range(0, len(ids), size)]
    if processes < 2 or len(chunks) < 2 or len(ids) < _PARALLEL:
        return sum(_write_chunk(rt, chunk) for chunk in chunks)
    context = multiprocessing.get_context("spawn")  # no inherited connections or locks
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        return sum(pool.map(_write_in_process, [(rt.settings, c) for c in chunks]))


def _write_in_process(job: tuple[Settings, list[str]]) -> int:
    settings, ids = job
    rt = _process_runtime(settings)
    return _write_chunk(rt, ids)


@functools.cache
def _process_runtime(settings: Settings) -> Runtime:
    analysis.load()
    return Runtime(settings)


def _write_chunk(rt: Runtime, ids: list[str]) -> int:
    """The rows of ``ids`` cut in a read-only session, then written in a short transaction
    (where a dataset changed meanwhile, its own transaction has written its row)."""
    with rt.reader() as session:
        datasets = session.scalars(
            select(Dataset).where(Dataset.id.in_(ids)).options(*PACKAGE_LOADS)
        ).all()
        read = {ds.id: ds.revision for ds in datasets}
        rows = [search_row(ds) for ds in datasets if ds.state in VISIBLE_STATES]
    with rt.session() as session:
        query = select(Dataset.id, Dataset.revision).where(Dataset.id.in_(ids))
        now = {dataset_id: revision for dataset_id, revision in session.execute(query)}
        same = {i for i, revision in read.items() if now.get(i) == revision}
        rows = [row for row in rows if row.entry["dataset_id"] in same]
        return store_rows(session, sorted(same), rows)
