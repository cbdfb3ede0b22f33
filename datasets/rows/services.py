"""The row API's services: who may read which row table, and the rows of a query.

A public table (open data, the masked copy of de-identified data) is read by anyone while its
dataset is public. A conditional dataset's original is read only by the holder of a grant on it
whose scope is confirmed, and only the granted fields under a partial grant; every such read is
logged with the number of rows it returned. Who is asking is decided before the query is read:
``query`` is a callable, parsed only once access is settled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from datasets.accounts import permissions as may
from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.catalog.packages import resource_title, served_name
from datasets.errors import NotAuthorized, NotFound, ValidationError
from datasets.models import Grant, Resource, RowTable
from datasets.openness.rules import CONDITIONAL
from datasets.rows.query import Bound, RowQuery, bind, fetch, make_token, plain_value
from datasets.rows.store import ID
from datasets.rows.sync import ORIGINAL_ROWS, PUBLIC_ROWS
from datasets.runtime import Runtime
from datasets.tables import TABLE_FORMATS
from datasets.workdays import shanghai_date
from datasets.workflows import scopes

EXPORT_BATCH = 5_000  # rows per read of a streamed export


@dataclass(frozen=True)
class Access:
    """A row table one caller may read, with the fields they may see."""

    resource_id: str
    dataset_name: str
    resource_name: str
    table_name: str
    fields: list[dict[str, Any]]
    row_count: int
    kind: str
    grant_id: str | None = None
    served_as: str = ""  # the name its file is served under, without extension
    resource_title: str = ""  # the name people read (``packages.resource_title``)


@dataclass(frozen=True)
class RowsPage:
    resource_id: str
    fields: list[dict[str, str]]  # [{"id", "type"}] of the records' values, in order
    records: list[list[Any]]
    total: int | None
    next_token: str | None  # continues after the last record (None on the last page)
    limit: int
    offset: int
    granted: bool  # a grant holder's original: never to be cached by anyone else


def _table(session: Session, actor: Actor, resource_id: str) -> tuple[Resource, RowTable | None]:
    row = session.scalar(select(Resource).where(Resource.id == resource_id))
    if row is None or not may.can_see_dataset(actor, state=row.dataset.state):
        raise NotFound("未找到该资源")
    dataset = row.dataset
    if dataset.suspended_by is not None:
        raise NotAuthorized(may.SUSPENSION_NOTICE)
    tables = {
        t.kind: t for t in session.scalars(select(RowTable).where(RowTable.resource_id == row.id))
    }
    return row, tables.get(PUBLIC_ROWS) or tables.get(ORIGINAL_ROWS)


def _refuse_without_table(row: Resource) -> NotFound | NotAuthorized:
    if row.dataset.openness == CONDITIONAL:
        return NotAuthorized("该数据为有条件开放数据，须经申请并签署数据使用协议后方可获取")
    if row.dataset.state != "active" or row.dataset.openness != "unconditional":
        return NotAuthorized("该数据不予开放")
    if (row.format or "").lower() not in TABLE_FORMATS or row.unmirrored:
        return NotFound("该资源不是可查询的数据表")
    return NotFound("该资源的数据尚未载入数据接口")


def _granted(
    session: Session, actor: Actor, row: Resource, table: RowTable
) -> tuple[Grant, list[dict[str, Any]]]:
    """The grant that lets ``actor`` read a conditional original, and the fields it covers."""
    from datasets.workflows.grants import scope_mismatch, usable_grant

    grant = None
    if not actor.is_anonymous:
        grant = usable_grant(session, actor, row.dataset, shanghai_date(datetime.now(UTC)))
    if grant is None:
        raise NotAuthorized("该数据为有条件开放数据，须经申请并签署数据使用协议后方可获取")
    if scopes.is_full(grant):
        return grant, list(table.fields)
    granted = list(grant.fields or [])
    by_name = {f["id"]: f for f in table.fields}
    if not granted or any(name not in by_name for name in granted):
        raise scope_mismatch(row.name, grant.reference)
    return grant, [by_name[name] for name in granted]


def _access(session: Session, actor: Actor, resource_id: str) -> Access:
    return _access_of(session, actor, *_table(session, actor, resource_id))


def _access_of(session: Session, actor: Actor, row: Resource, table: RowTable | None) -> Access:
    if table is None:
        raise _refuse_without_table(row)
    grant, fields = None, list(table.fields)
    if table.kind == ORIGINAL_ROWS:
        grant, fields = _granted(session, actor, row, table)
    return Access(
        row.id,
        row.dataset.name,
        row.name,
        table.table_name,
        fields,
        table.row_count,
        table.kind,
        grant.id if grant else None,
        served_name(row.dataset, row)[0].rpartition(".")[0],
        resource_title(row.dataset, row),
    )


def _log(session: Session, actor: Actor, access: Access, rows: int, action: str) -> None:
    from datasets.workflows.grants import log_use

    if access.grant_id is not None:
        log_use(session, actor, access.grant_id, access.resource_id, action, rows)


def table_info(rt: Runtime, resource_id: str, actor: Actor = ANONYMOUS) -> dict[str, Any]:
    """A row table's fields (name and type) and row count, as the caller may see them."""
    with rt.session() as session:
        access = _access(session, actor, resource_id)
    return {
        "resource_id": access.resource_id,
        "dataset": access.dataset_name,
        "name": access.resource_name,
        "title": access.resource_title or access.resource_name,
        "fields": [{"id": f["id"], "type": f["type"]} for f in access.fields],
        "total": access.row_count,
        "kind": access.kind,
    }


def query_rows(
    rt: Runtime,
    resource_id: str,
    query: Callable[[], RowQuery],
    *,
    actor: Actor = ANONYMOUS,
    include_total: bool = True,
) -> RowsPage:
    """One page of a row table's records for ``query`` (parsed once access is settled). A
    public table is read in a read-only session; a grant holder's read is a transaction (the
    grant check may record a change of the grant, and the read is logged)."""
    with rt.reader() as session:
        row, table = _table(session, actor, resource_id)
        if table is not None and table.kind == PUBLIC_ROWS:
            access = _access_of(session, actor, row, table)
            return _page(session, actor, access, query, include_total)
    with rt.session() as session:
        return _page(session, actor, _access(session, actor, resource_id), query, include_total)


def _page(
    session: Session,
    actor: Actor,
    access: Access,
    query: Callable[[], RowQuery],
    include_total: bool,
) -> RowsPage:
    wanted = query()
    bound = bind(wanted, access.table_name, access.fields, session.get_bind().dialect.name)
    result = fetch(session, bound)
    records = [[plain_value(v) for v in r] for r in result]
    total = None
    if include_total:
        total = access.row_count if bound.total is None else session.scalar(bound.total)
    _log(session, actor, access, len(records), "api")
    return RowsPage(
        access.resource_id,
        [{"id": n, "type": t} for n, t in zip(bound.names, bound.types, strict=True)],
        records,
        total,
        _next_token(bound, result, wanted),
        wanted.limit,
        wanted.offset,
        access.grant_id is not None,
    )


def _next_token(bound: Bound, result: Sequence[Any], wanted: RowQuery) -> str | None:
    if wanted.distinct or len(result) < wanted.limit or not result:
        return None
    last = dict(zip(bound.names, result[-1], strict=True))
    if any(name not in last for name, _ in bound.sort_keys):
        return None  # a sort field left out of the output: offsets only
    return make_token(bound.sort_keys, last)


@dataclass(frozen=True)
class RowStream:
    """A whole table or a filtered view, read ``EXPORT_BATCH`` rows at a time."""

    dataset_name: str
    resource_name: str
    names: list[str]
    rows: Iterator[list[Any]]
    granted: bool
    served_as: str = ""  # the file name of the export, without extension


def stream_rows(
    rt: Runtime, resource_id: str, query: Callable[[], RowQuery], *, actor: Actor = ANONYMOUS
) -> RowStream:
    """Every row of ``query`` (its page size ignored), for a streamed export: each batch is
    one short read continuing after the last row of the one before (keyset), so memory stays
    flat and no read holds the database for the whole download."""
    with rt.session() as session:
        access = _access(session, actor, resource_id)
        wanted = replace(query(), limit=EXPORT_BATCH, offset=0)
        if wanted.distinct:
            raise ValidationError("导出不支持去重查询", {"distinct": ["导出不支持去重查询"]})
        bound = bind(wanted, access.table_name, access.fields, session.get_bind().dialect.name)
    names = [n for n in bound.names if n != ID or ID in wanted.fields]
    rows = _batches(rt, access, wanted, names, actor)
    granted = access.grant_id is not None
    return RowStream(
        access.dataset_name, access.resource_name, names, rows, granted, access.served_as
    )


def _batches(
    rt: Runtime, access: Access, wanted: RowQuery, names: list[str], actor: Actor
) -> Iterator[list[Any]]:
    """The rows, batch by batch; a grant holder's export is logged with the rows it sent,
    when it ends or is abandoned."""
    sent = 0
    try:
        while True:
            with rt.reader() as session:
                dialect = session.get_bind().dialect.name
                bound = bind(wanted, access.table_name, access.fields, dialect)
                result = fetch(session, bound)
            for r in result:
                row = dict(zip(bound.names, r, strict=True))
                yield [plain_value(row[n]) for n in names]
                sent += 1
            token = _next_token(bound, result, wanted)
            if token is None:
                return
            wanted = replace(wanted, after=token)
    finally:
        if access.grant_id is not None:
            with rt.session() as session:
                _log(session, actor, access, sent, "export")


_TABLES = select(RowTable).where(
    RowTable.dataset_id.in_(bindparam("ids", expanding=True))
)  # every dataset page reads it: built once


def tables_of(
    session: Session, dataset_ids: list[str], actor: Actor = ANONYMOUS
) -> dict[str, dict[str, dict[str, Any]]]:
    """Dataset id → its row tables by resource id, for its page, many datasets in one query:
    the public ones with their fields and row count; a conditional original only as
    ``{"granted": True}`` to a signed-in caller (whether a grant lets them read it is decided
    when they do; nothing of it is shown here)."""
    found: dict[str, dict[str, dict[str, Any]]] = {i: {} for i in dataset_ids}
    for t in session.scalars(_TABLES, {"ids": dataset_ids}):
        out = found[t.dataset_id]
        if t.kind == PUBLIC_ROWS:
            out[t.resource_id] = {"fields": list(t.fields), "total": t.row_count}
        elif not actor.is_anonymous:
            out.setdefault(t.resource_id, {"granted": True, "fields": [], "total": None})
    return found
