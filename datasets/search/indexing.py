"""Keeping the search index in step with the catalog (the database is the system of record).

Each indexed document carries the revision of its dataset; ``sync_index`` adds, replaces or
deletes whatever differs, so after a crash the next sync repairs the index.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from datasets.catalog.packages import search_document
from datasets.models import Dataset
from datasets.runtime import Runtime

VISIBLE_STATES = ("active",)
_BATCH = 500


def sync_index(rt: Runtime, *, dataset_ids: Iterable[str] | None = None) -> int:
    """Bring the index in line with the database; returns the number of documents changed."""
    only = set(dataset_ids) if dataset_ids is not None else None
    with rt.reader() as session:
        query = select(Dataset.id, Dataset.revision, Dataset.state)
        if only is not None:
            query = query.where(Dataset.id.in_(only))
        rows = session.execute(query).all()
    wanted = {row.id: row.revision for row in rows if row.state in VISIBLE_STATES}
    indexed = rt.index.revisions(only)
    stale = [doc_id for doc_id, rev in wanted.items() if indexed.get(doc_id) != rev]
    deletes = [doc_id for doc_id in indexed if doc_id not in wanted]
    changed = rt.index.apply([], deletes) if deletes else 0
    for start in range(0, len(stale), _BATCH):
        batch = stale[start : start + _BATCH]
        with rt.reader() as session:
            datasets = session.scalars(
                select(Dataset)
                .where(Dataset.id.in_(batch))
                .options(
                    selectinload(Dataset.organization),
                    selectinload(Dataset.resources),
                    selectinload(Dataset.tags),
                )
            ).all()
            docs = [search_document(ds) for ds in datasets if ds.state in VISIBLE_STATES]
        changed += rt.index.apply(docs, [], indexed=indexed.keys())
    return changed


def rebuild_index(rt: Runtime) -> int:
    """Drop the index and index every visible dataset again."""
    rt.index.clear()
    return sync_index(rt)
