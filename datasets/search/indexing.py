"""Checking and rebuilding the search rows.

Every session writes the search rows of the datasets it changes in its own transaction
(``datasets.search.entries``), so rows and datasets agree. ``sync_index`` finds and repairs
any difference all the same (a catalog migrated from an older version, rows written by an older
tokenizer); ``rebuild_index`` cuts every row's words again, after a change of the tokenizer, its
dictionary or the synonym table's folding, from the package each row keeps (or, with
``packages``, writes every row whole from its dataset, after a change of what a package holds).
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update

from datasets.catalog.packages import PACKAGE_LOADS
from datasets.models import Dataset, SearchEntry, SearchPackage, SearchRemoval
from datasets.runtime import Runtime
from datasets.search import analysis
from datasets.search.entries import (
    VISIBLE_STATES,
    delete_entries,
    in_commit_order,
    search_row,
    searched_text,
    store_rows,
)
from datasets.settings import Settings

_BATCH = 500
_PARALLEL = 2000  # fewer rows than this are written in this process (starting others costs ~2 s)
_PARALLEL_WORDS = 20_000  # the same for words cut again (~0.3 ms a row: 2 s cut ~7,000 rows)


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


def rebuild_index(rt: Runtime, *, processes: int | None = None, packages: bool = False) -> int:
    """Cut the words of every search row again; returns the number of rows written.

    The words are cut from the package each row keeps, which is what a change of the tokenizer,
    its dictionary or the folding needs; rows missing or older than their dataset are first
    written whole (``sync_index``). ``packages``: write every row whole, its package made again
    from the dataset, after a change of what a package dict holds."""
    if not packages:
        sync_index(rt)
        written = _cut_again(rt, processes)
        refresh_statistics(rt)
        return written
    visible = select(Dataset.id).where(Dataset.state.in_(VISIBLE_STATES))
    with rt.reader() as session:
        ids = list(session.scalars(visible))
    with rt.session() as session:
        hidden = select(SearchEntry.dataset_id).where(SearchEntry.dataset_id.not_in(visible))
        delete_entries(session, list(session.scalars(hidden)))
    written = _write(rt, ids, processes)
    refresh_statistics(rt)
    return written


# the tables whose shape the planner must know (SQLite keeps no statistics unless asked;
# PostgreSQL's autovacuum would get there later): the search tables, so that facets are counted
# entry by entry over the matching set rather than value by value over the catalog; the datasets
# and their files, so that a read of some datasets' files (a static build's chunk) starts from
# those datasets, not from every active one (at 100,000 datasets: 2 ms instead of 110 ms)
_SQLITE_ANALYZE = (
    "ANALYZE search_entries",
    "ANALYZE search_values",
    "ANALYZE datasets",
    "ANALYZE resources",
)
_POSTGRES_ANALYZE = "ANALYZE search_entries, search_values, datasets, resources"


def refresh_statistics(rt: Runtime) -> None:
    """Tell the database's query planner the shape of the tables named above."""
    with rt.engine.begin() as connection:
        # only the latest removal mark tells anything
        latest = select(func.max(SearchRemoval.id)).scalar_subquery()
        connection.execute(delete(SearchRemoval).where(SearchRemoval.id < latest))
        if connection.dialect.name == "sqlite":
            for statement in _SQLITE_ANALYZE:
                connection.exec_driver_sql(statement)
        else:
            connection.exec_driver_sql(_POSTGRES_ANALYZE)


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
    return _write_chunk(_process_runtime(settings), ids)


@functools.cache
def _process_runtime(settings: Settings) -> Runtime:
    analysis.load()
    return Runtime(settings)


def _cut_again(rt: Runtime, processes: int | None) -> int:
    """Every row's words cut again from its package: the packages read in batches, cut in
    ``processes`` processes (no database there) while this one writes what they return."""
    processes = processes or min(4, os.cpu_count() or 1)
    with rt.reader() as session:
        total = session.scalar(select(func.count()).select_from(SearchPackage)) or 0
    batches = _stored_packages(rt)
    if processes < 2 or total < _PARALLEL_WORDS:
        return sum(_write_words(rt, _cut_batch(batch)) for batch in batches)
    written = 0
    context = multiprocessing.get_context("spawn")  # no inherited connections or locks
    with ProcessPoolExecutor(processes, mp_context=context, initializer=analysis.load) as pool:
        pending: deque[Future[list[dict[str, Any]]]] = deque()
        for batch in batches:
            pending.append(pool.submit(_cut_batch, batch))
            if len(pending) > 2 * processes:  # a few batches ahead, not the whole catalog
                written += _write_words(rt, pending.popleft().result())
        while pending:
            written += _write_words(rt, pending.popleft().result())
    return written


def _stored_packages(rt: Runtime) -> Iterator[list[tuple[int, str]]]:
    """The (doc, package) of every search row, _BATCH at a time in the order of ``doc``."""
    last = -1
    while True:
        query = (
            select(SearchPackage.doc, SearchPackage.package)
            .where(SearchPackage.doc > last)
            .order_by(SearchPackage.doc)
            .limit(_BATCH)
        )
        with rt.reader() as session:
            batch = [(doc, package) for doc, package in session.execute(query)]
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def _cut_batch(batch: list[tuple[int, str]]) -> list[dict[str, Any]]:
    return [{"b_doc": doc, **searched_text(json.loads(package))} for doc, package in batch]


def _write_words(rt: Runtime, rows: list[dict[str, Any]]) -> int:
    """Words cut again, written in a short transaction. A row written meanwhile by its dataset's
    transaction is left as that wrote it: a row whose words change gets a new ``doc``. A mark
    tells every process the rows have changed."""
    if not rows:
        return 0
    entries = cast(Table, SearchEntry.__table__)
    statement = update(entries).where(entries.c.doc == bindparam("b_doc"))
    with rt.session() as session:
        in_commit_order(session)
        session.connection().execute(statement, rows)
        session.execute(insert(SearchRemoval).values(removed=0))
    return len(rows)


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
