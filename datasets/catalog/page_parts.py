"""What a dataset page shows besides its package: its usage figures, approved reuses, row tables
and 更新记录. A request reads them in one session; where many pages are rendered together (the
static build's chunks) they are read for all of them at once, one query each (``prefetched``),
and each page takes its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.orm import Session

from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.catalog import activity_list, reuses, usage
from datasets.rows import services as rows
from datasets.runtime import Runtime

Parts = dict[str, Any]  # usage, reuses, row_tables, history: the page template's names
_PREFETCHED: ContextVar[dict[str, Parts] | None] = ContextVar("page_parts", default=None)


def dataset_page_parts(rt: Runtime, dataset_id: str, actor: Actor = ANONYMOUS) -> Parts:
    """The parts of one dataset's page as ``actor`` sees it (the page has checked access)."""
    kept = _PREFETCHED.get()
    if kept is not None and actor.is_anonymous and dataset_id in kept:
        return kept[dataset_id]
    with rt.reader() as session:
        return _read(session, [dataset_id], actor)[dataset_id]


@contextmanager
def prefetched(rt: Runtime, dataset_ids: list[str]) -> Iterator[None]:
    """While the block runs, the pages of ``dataset_ids`` rendered for anonymous visitors take
    their parts from one read of all of them."""
    with rt.reader() as session:
        parts = _read(session, dataset_ids, ANONYMOUS)
    token = _PREFETCHED.set(parts)
    try:
        yield
    finally:
        _PREFETCHED.reset(token)


def _read(session: Session, dataset_ids: list[str], actor: Actor) -> dict[str, Parts]:
    figures = usage.datasets_usage(session, dataset_ids)
    approved = reuses.for_datasets(session, dataset_ids)
    tables = rows.tables_of(session, dataset_ids, actor)
    history = activity_list.histories(session, dataset_ids)
    return {
        i: {
            "usage": figures[i],
            "reuses": approved[i],
            "row_tables": tables[i],
            "history": history[i],
        }
        for i in dataset_ids
    }
