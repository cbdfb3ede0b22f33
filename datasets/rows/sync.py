"""The row store follows the catalog in the same transaction.

A session made by the runtime notes every dataset it changes (the dataset or one of its files)
and, just before it commits, makes that dataset's row tables what its state asks: each public
tabular file loaded while the dataset is public (active, not suspended), each original of a
conditional dataset loaded apart for its grant holders, and nothing once the dataset is
withdrawn, held, suspended or deleted. A table is loaded again only when its file changed.
Publishing and the row API therefore never disagree, and a crash leaves both or neither.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session, sessionmaker

from datasets.intake.public_root import is_public
from datasets.intake.storage import PRIVATE, PUBLIC, FileStore
from datasets.models import Dataset, Resource, RowTable
from datasets.openness.rules import CONDITIONAL
from datasets.rows.store import create_view, drop_table, drop_view, load_file, new_table_name
from datasets.tables import TABLE_FORMATS, Limits, TableError

log = logging.getLogger(__name__)

PUBLIC_ROWS, ORIGINAL_ROWS = "public", "original"
_NOTED = "rows_pending"
_GONE = "rows_gone"  # table names of datasets deleted in this session


@dataclass(frozen=True)
class Wanted:
    """A file the row store should hold for a dataset."""

    resource: Resource
    kind: str
    sha256: str
    root: str
    key: str

    @property
    def fmt(self) -> str:
        return Path(self.key).suffix.lower().lstrip(".")


def wanted(dataset: Dataset) -> list[Wanted]:
    """The row tables a dataset's state asks for (none unless it is public)."""
    if not is_public(dataset):
        return []
    out = []
    for res in dataset.resources:
        if res.unmirrored or (res.format or "").lower() not in TABLE_FORMATS:
            continue
        if res.public_key and res.public_sha256:
            out.append(Wanted(res, PUBLIC_ROWS, res.public_sha256, PUBLIC, res.public_key))
        if dataset.openness == CONDITIONAL and res.storage_root == PRIVATE and res.storage_key:
            out.append(Wanted(res, ORIGINAL_ROWS, res.sha256, PRIVATE, res.storage_key))
    return [w for w in out if w.fmt in TABLE_FORMATS]


def watch(sessions: sessionmaker[Session], store: FileStore, limits: Callable[[], Limits]) -> None:
    """Make every session of ``sessions`` keep the row tables of the datasets it changed."""
    event.listen(sessions, "before_flush", _note)
    event.listen(sessions, "before_commit", lambda s: _sync(s, store, limits()))
    event.listen(sessions, "after_rollback", _forget)


def _note(session: Session, _context: Any, _instances: Any) -> None:
    noted: set[Dataset] = session.info.setdefault(_NOTED, set())
    with session.no_autoflush:
        for obj in (*session.new, *session.dirty):
            if isinstance(obj, Dataset):
                noted.add(obj)
            elif isinstance(obj, Resource):
                owner = obj.dataset or session.get(Dataset, obj.dataset_id)
                if owner is not None:
                    noted.add(owner)
        gone = [obj.id for obj in session.deleted if isinstance(obj, Dataset) and obj.id]
        if gone:  # their row_tables rows go with them (cascade): keep what to drop now
            tables = session.execute(
                select(RowTable.table_name, RowTable.resource_id, RowTable.kind).where(
                    RowTable.dataset_id.in_(gone)
                )
            )
            session.info.setdefault(_GONE, set()).update(tuple(t) for t in tables)


def _forget(session: Session) -> None:
    session.info.pop(_NOTED, None)
    session.info.pop(_GONE, None)


def _sync(session: Session, store: FileStore, limits: Limits) -> None:
    session.flush()
    noted: set[Dataset] = session.info.pop(_NOTED, set())
    connection = session.connection()
    for name, resource_id, kind in session.info.pop(_GONE, set()):
        if kind == PUBLIC_ROWS:
            drop_view(connection, resource_id)
        drop_table(connection, name)
    datasets = [d for d in noted if d.id and d in session and not _deleted(session, d)]
    if not datasets:
        return
    held = {
        (t.resource_id, t.kind): t
        for t in session.scalars(
            select(RowTable).where(RowTable.dataset_id.in_([d.id for d in datasets]))
        )
    }
    for dataset in datasets:
        for want in wanted(dataset):
            table = held.pop((want.resource.id, want.kind), None)
            if table is not None and table.sha256 == want.sha256:
                continue
            if table is not None:
                _drop(session, table)
            _load(session, store, dataset, want, limits)
    for table in held.values():
        _drop(session, table)


def _deleted(session: Session, dataset: Dataset) -> bool:
    from sqlalchemy import inspect

    state = inspect(dataset)
    return bool(state.deleted or state.was_deleted)


def _drop(session: Session, table: RowTable) -> None:
    if table.kind == PUBLIC_ROWS:
        drop_view(session.connection(), table.resource_id)
    drop_table(session.connection(), table.table_name)
    session.execute(delete(RowTable).where(RowTable.id == table.id))


def _load(
    session: Session, store: FileStore, dataset: Dataset, want: Wanted, limits: Limits
) -> None:
    """Load one file; a file that cannot be read as a table is left out of the row store
    (said in the log), never a reason to refuse the publication."""
    name = new_table_name()
    path = store.path(want.root, want.key)
    schema = list((want.resource.schema or {}).get("fields") or [])
    try:
        loaded = load_file(session.connection(), name, path, want.fmt, schema, limits=limits)
    except (TableError, OSError) as exc:
        log.warning("文件 %s 未能载入数据接口：%s", want.resource.name, exc)
        return
    if loaded is None:
        return
    session.add(
        RowTable(
            table_name=name,
            dataset_id=dataset.id,
            resource_id=want.resource.id,
            kind=want.kind,
            sha256=want.sha256,
            fields=loaded.fields,
            row_count=loaded.row_count,
        )
    )
    session.flush()
    if want.kind == PUBLIC_ROWS:
        create_view(session.connection(), want.resource.id, name, loaded.fields)
