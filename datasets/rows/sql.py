"""CKAN's ``datastore_search_sql``: one read-only SELECT over the public tables, off unless the
operator turns it on (``KAIFANG_DATASTORE_SQL``).

Callers name a table by its resource id and its columns by their field names, as on CKAN: each
public table has a view of that shape (``store.create_view``); conditional originals have none.
What guards the rest of the database is the database's own machinery, never a reading of the
SQL text:

- SQLite (the embedded default): a connection of its own, opened read-only, with an authorizer
  that lets a statement read only those views (and their tables through them) and call only the
  functions of ``FUNCTIONS``; a progress handler ends it at the time limit.
- PostgreSQL: a connection as the role named by ``KAIFANG_DATASTORE_SQL_URL``, which may read
  the ``datastore_public`` schema and nothing else (the README gives its grants), in read-only
  transactions with ``statement_timeout``, one statement per call (prepared: the server
  refuses a second).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.engine import make_url

from datasets.errors import NotAuthorized, ValidationError
from datasets.models import RowTable
from datasets.rows.query import MAX_LIMIT
from datasets.rows.store import VIEW_SCHEMA
from datasets.rows.sync import PUBLIC_ROWS
from datasets.runtime import Runtime

MAX_SQL = 20_000  # characters
DISABLED = "本平台未开放 datastore_search_sql；请使用 datastore_search 或 /api/v1 的数据行接口"
# SQLite's functions a query may call: aggregates, text, numbers, dates; nothing that reads
# files, loads code or tells about the database
FUNCTIONS = frozenset(
    {"abs", "avg", "coalesce", "count", "date", "datetime", "group_concat", "hex", "ifnull"}
    | {"iif", "instr", "julianday", "length", "like", "glob", "lower", "ltrim", "max", "min"}
    | {"nullif", "printf", "format", "quote", "replace", "round", "rtrim", "sign", "strftime"}
    | {"substr", "substring", "sum", "time", "total", "trim", "typeof", "unicode", "upper"}
    | {"char", "ceil", "ceiling", "floor", "trunc"}
)
_PG_TYPES = {16: "bool", 20: "int8", 21: "int2", 23: "int4", 700: "float4", 701: "float8"}
_PG_TYPES |= {1700: "numeric", 1082: "date", 1114: "timestamp", 1184: "timestamptz"}


@dataclass(frozen=True)
class SqlResult:
    fields: list[dict[str, str]]  # [{"id", "type"}]
    records: list[list[Any]]
    truncated: bool


def search_sql(rt: Runtime, sql: Any) -> SqlResult:
    """The answer of one SELECT; ``NotAuthorized`` when the setting is off, ``ValidationError``
    for SQL that is not one read of the public tables or does not end within the time limit."""
    if not rt.settings.datastore_sql:
        raise NotAuthorized(DISABLED)
    text = _checked(sql)
    if rt.engine.dialect.name == "sqlite":
        return _sqlite(rt, text)
    return _postgres(rt, text)


def _checked(sql: Any) -> str:
    if not isinstance(sql, str) or not sql.strip():
        raise _invalid("sql 须为一条 SELECT 语句")
    if len(sql) > MAX_SQL or "\x00" in sql:
        raise _invalid(f"sql 不能超过 {MAX_SQL} 个字符，也不能含空字符")
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid("sql 含有无效字符") from None
    return sql


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, {"sql": [message]})


def _public_tables(rt: Runtime) -> dict[str, str]:
    with rt.reader() as session:
        found = session.execute(
            select(RowTable.resource_id, RowTable.table_name).where(RowTable.kind == PUBLIC_ROWS)
        )
        return {resource_id: name for resource_id, name in found}


def _sqlite(rt: Runtime, sql: str) -> SqlResult:
    views = _public_tables(rt)
    path = make_url(rt.settings.resolved_database_url).database or ""
    connection = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=5)
    try:
        connection.set_authorizer(_authorizer(set(views), set(views.values())))
        deadline = time.monotonic() + rt.settings.datastore_sql_timeout_ms / 1000
        connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 5_000)
        try:
            cursor = connection.execute(sql)
            rows = cursor.fetchmany(MAX_LIMIT + 1)
        except sqlite3.Warning:  # Python 3.11's word for a second statement
            raise _invalid("sql 只能是一条语句") from None
        except sqlite3.DatabaseError as exc:
            raise _invalid(_sqlite_reason(str(exc))) from None
        names = [d[0] for d in cursor.description or []]
    finally:
        connection.close()
    return _result(names, [_sqlite_type(rows, i) for i in range(len(names))], rows)


def _authorizer(views: set[str], tables: set[str]) -> Callable[..., int]:
    def check(action: int, arg1: str | None, arg2: str | None, _db: Any, _view: Any) -> int:
        if action == sqlite3.SQLITE_SELECT:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            if arg1 in views or arg1 in tables:  # a public table read through its view
                return sqlite3.SQLITE_OK
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in FUNCTIONS:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    return check


def _sqlite_reason(message: str) -> str:
    if "one statement" in message:
        return "sql 只能是一条语句"
    if "interrupted" in message:
        return "查询超过时间限制，请缩小范围或使用 datastore_search"
    if "not authorized" in message or "prohibited" in message:
        return "sql 只能读取公开数据表（以资源 id 为表名），只能调用常用函数"
    if "no such table" in message:
        return "没有这张数据表：表名须为公开数据资源的 id，并加双引号"
    return f"sql 有误：{message[:200]}"


def _sqlite_type(rows: Sequence[Sequence[Any]], i: int) -> str:
    values = [r[i] for r in rows if r[i] is not None]
    if values and all(isinstance(v, int) for v in values):
        return "int8"
    if values and all(isinstance(v, int | float) for v in values):
        return "float8"
    return "text"


@lru_cache(maxsize=4)
def _reader_engine(url: str, timeout_ms: int) -> Engine:
    options = f"-c statement_timeout={timeout_ms} -c default_transaction_read_only=on"
    options += f" -c search_path={VIEW_SCHEMA}"
    return create_engine(url, pool_pre_ping=True, connect_args={"options": options})


def _postgres(rt: Runtime, sql: str) -> SqlResult:
    import psycopg

    engine = _reader_engine(rt.settings.datastore_sql_url, rt.settings.datastore_sql_timeout_ms)
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        try:
            with raw.cursor() as cursor:  # type: ignore[union-attr]
                # no parameters (nothing in it is a placeholder); prepared, so that a second
                # statement is refused by the server
                cursor.execute(sql.encode(), prepare=True)
                rows = cursor.fetchmany(MAX_LIMIT + 1)
                described = list(cursor.description or [])
        except psycopg.errors.QueryCanceled:
            raise _invalid("查询超过时间限制，请缩小范围或使用 datastore_search") from None
        except psycopg.errors.InsufficientPrivilege:
            raise _invalid("sql 只能读取公开数据表（以资源 id 为表名）") from None
        except psycopg.Error as exc:
            raise _invalid(f"sql 有误：{str(exc).splitlines()[0][:200]}") from None
        finally:
            raw.rollback()  # type: ignore[union-attr]
    names = [d.name for d in described]
    return _result(names, [_PG_TYPES.get(d.type_code, "text") for d in described], rows)


def _result(names: list[str], types: list[str], rows: Sequence[Sequence[Any]]) -> SqlResult:
    records = [[_plain(v) for v in r] for r in rows[:MAX_LIMIT]]
    fields = [{"id": n, "type": t} for n, t in zip(names, types, strict=True)]
    return SqlResult(fields, records, len(rows) > MAX_LIMIT)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
