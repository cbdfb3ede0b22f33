"""The row store: a tabular file as a database table, typed from its Frictionless schema.

Each loaded file is one table named by the catalog (``rows_`` and a random tail; on PostgreSQL
in the ``datastore`` schema, as CKAN's DataStore keeps its tables) with ``_id`` (the row's
number in the file, from 1) and one column ``c0``, ``c1`` … per field, so no name from a file
ever reaches SQL. The field names, their types and their columns are kept in ``row_tables``.

Types come from the schema Frictionless inferred (``TYPES``); a column whose values do not all
fit its type (Frictionless looks at a sample) is loaded as text instead, so no value is lost or
changed: a code such as ``007`` is never read as the number 7.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from datasets.tables import TEXT_FORMATS, Limits, cell_text, is_blank, open_table

SCHEMA = "datastore"  # PostgreSQL's schema of the row tables
VIEW_SCHEMA = "datastore_public"  # PostgreSQL's schema of the public tables' views (SQL)
ID = "_id"
BATCH = 2_000  # rows per insert
INDEXED = 12  # columns indexed per table (the first ones, where people filter most)


class CastFailure(Exception):
    """A value that does not fit its column's type: the column is loaded as text instead."""

    def __init__(self, column: int) -> None:
        super().__init__(column)
        self.column = column


_INTEGER = re.compile(r"[+-]?(0|[1-9][0-9]{0,17})")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    text = str(value).strip()
    if not _INTEGER.fullmatch(text):
        raise ValueError
    return int(text)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        if not _NUMBER.fullmatch(text) or (text.lstrip("+-")[:1] == "0" and text[1:2].isdigit()):
            raise ValueError  # a leading zero is a code, not a number
        number = float(text)
    if not math.isfinite(number):
        raise ValueError
    return number


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise ValueError
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError
    return date.fromisoformat(text)


@dataclass(frozen=True)
class FieldType:
    """A column type of the row store: its name in the API (CKAN's), the database type and the
    cast of a cell (raises ``ValueError`` when the cell does not fit)."""

    code: str
    column: TypeEngine[Any]
    cast: Callable[[Any], Any]
    numeric: bool = False


TEXT = FieldType("text", Text(), cell_text)
TYPES: dict[str, FieldType] = {
    "text": TEXT,
    "int8": FieldType("int8", BigInteger(), _integer, numeric=True),
    "float8": FieldType("float8", Float(), _number, numeric=True),
    "date": FieldType("date", Date(), _date),
}
# Frictionless's inferred types → ours; anything else is text, as written in the file (a
# boolean's words differ from file to file: 是/否, Y/N, true/false)
FROM_FRICTIONLESS = {"integer": "int8", "number": "float8", "date": "date"}


def new_table_name() -> str:
    return f"rows_{secrets.token_hex(8)}"


def field_names(header: Sequence[str]) -> list[str]:
    """The API names of a header's columns: as written, a blank one ``列N``, a repeated one
    numbered, never ``_id``."""
    names: list[str] = []
    for position, raw in enumerate(header, start=1):
        name = (raw or "").strip() or f"列{position}"
        base, n = name, 2
        while name in names or name == ID:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def table_of(name: str, fields: Sequence[dict[str, Any]], dialect: str) -> Table:
    """The SQLAlchemy table of a row table (``fields`` as kept in ``row_tables``); kept per
    process, as a table's fields never change (a new file is a new table)."""
    spec = tuple((f["column"], f["type"]) for f in fields)
    return _table(name, spec, dialect)


@lru_cache(maxsize=512)
def _table(name: str, spec: tuple[tuple[str, str], ...], dialect: str) -> Table:
    schema = SCHEMA if dialect == "postgresql" else None
    columns = [
        Column(ID, BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        *(Column(column, TYPES.get(kind, TEXT).column) for column, kind in spec),
    ]
    return Table(name, MetaData(schema=schema), *columns)


def drop_table(connection: Connection, name: str) -> None:
    table_of(name, [], connection.dialect.name).drop(connection, checkfirst=True)


def create_view(
    connection: Connection, resource_id: str, name: str, fields: Sequence[dict[str, Any]]
) -> bool:
    """A public table as ``datastore_search_sql`` reads it: a view named by its resource id
    (CKAN's table name) whose columns are the field names; every name quoted by the database's
    own rules. False (nothing made) where the database cannot take the names: PostgreSQL cuts
    a name at 63 bytes, so two long names could meet."""
    dialect = connection.dialect
    if dialect.name == "postgresql" and any(
        len(f["id"].encode()) > 63 or "\x00" in f["id"] for f in fields
    ):
        return False
    table = table_of(name, fields, dialect.name)
    columns = [table.c[ID], *(table.c[f["column"]].label(f["id"]) for f in fields)]
    body = select(*columns).compile(dialect=dialect)
    quote = dialect.identifier_preparer
    view = quote.quote_identifier(resource_id)
    if dialect.name == "postgresql":
        view = f"{quote.quote_identifier(VIEW_SCHEMA)}.{view}"
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(f"CREATE VIEW {view} AS {body}")  # identifiers only
    except DBAPIError:
        return False
    return True


def drop_view(connection: Connection, resource_id: str) -> None:
    quote = connection.dialect.identifier_preparer
    view = quote.quote_identifier(resource_id)
    if connection.dialect.name == "postgresql":
        view = f"{quote.quote_identifier(VIEW_SCHEMA)}.{view}"
    connection.exec_driver_sql(f"DROP VIEW IF EXISTS {view}")


@dataclass(frozen=True)
class Loaded:
    fields: list[dict[str, Any]]  # [{"id", "type", "column"}]
    row_count: int


def load_file(
    connection: Connection,
    name: str,
    path: Path,
    fmt: str,
    schema: Sequence[dict[str, Any]],
    *,
    limits: Limits,
) -> Loaded | None:
    """Load the main table of a stored file into a new table ``name``; None when the file has
    no table. A column whose values do not all fit their type is loaded again as text."""
    demoted: set[int] = set()
    while True:
        try:
            with connection.begin_nested():
                return _load(connection, name, path, fmt, schema, demoted, limits)
        except CastFailure as failure:
            demoted.add(failure.column)


def _load(
    connection: Connection,
    name: str,
    path: Path,
    fmt: str,
    schema: Sequence[dict[str, Any]],
    demoted: set[int],
    limits: Limits,
) -> Loaded | None:
    codec = "utf-8-sig" if fmt in TEXT_FORMATS else None
    with open_table(path, fmt, codec=codec, limits=limits) as table:
        sheet = table.main_sheet()
        if sheet is None:
            return None
        names = field_names(sheet.header)
        declared = [str(f.get("type", "")) for f in schema] if len(schema) == len(names) else []
        types = [
            TEXT
            if i in demoted or not declared
            else TYPES[FROM_FRICTIONLESS.get(declared[i], "text")]
            for i in range(len(names))
        ]
        fields = [
            {"id": n, "type": t.code, "column": f"c{i}"}
            for i, (n, t) in enumerate(zip(names, types, strict=True))
        ]
        target = table_of(name, fields, connection.dialect.name)
        target.create(connection)
        statement = insert(target)
        count = 0
        for batch in _batches(sheet.rows, types):
            rows = [{ID: count + i + 1, **row} for i, row in enumerate(batch)]
            connection.execute(statement, rows)
            count += len(rows)
        create_indexes(connection, target, fields)
        return Loaded(fields, count)


def _batches(rows: Iterator[list[Any]], types: list[FieldType]) -> Iterator[list[dict[str, Any]]]:
    """The non-blank rows as column values, BATCH at a time; raises ``CastFailure`` for the
    first cell that does not fit its column's type."""
    width = len(types)
    batch: list[dict[str, Any]] = []
    for row in rows:
        if is_blank(row):
            continue
        out: dict[str, Any] = {}
        for i in range(width):
            value = row[i] if i < len(row) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                out[f"c{i}"] = None if types[i] is not TEXT else (value or "")
                continue
            try:
                out[f"c{i}"] = types[i].cast(value)
            except (ValueError, OverflowError):
                raise CastFailure(i) from None
        batch.append(out)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def create_indexes(connection: Connection, table: Table, fields: list[dict[str, Any]]) -> None:
    """Indexes for filtering and keyset paging on the first columns: (column, _id), in the
    pages' order (nulls first going up; read backwards going down). SQLite's own order is
    that; PostgreSQL puts nulls last unless told."""
    postgres = connection.dialect.name == "postgresql"
    for f in fields[:INDEXED]:
        key = table.c[f["column"]]
        first = key.asc().nulls_first() if postgres else key
        Index(f"{table.name}_{f['column']}", first, table.c[ID]).create(connection)
