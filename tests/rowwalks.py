"""Keyset paging walked page by page against the order computed here, on any database: a
table with many nulls and repeated values, so pages start inside runs of equal values, on a
null, and where the nulls give way to the values (the two segments of ``query._after``)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cmp_to_key
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from datasets.rows.query import RowQuery, bind, fetch, make_token
from datasets.rows.store import ID, create_indexes, drop_table, table_of

FIELDS = [
    {"id": "金额", "type": "float8", "column": "c0"},
    {"id": "区县", "type": "text", "column": "c1"},
    {"id": "日期", "type": "date", "column": "c2"},
]
SORTS: list[tuple[tuple[str, bool], ...]] = [
    (),
    (("金额", False),),
    (("金额", True),),
    (("日期", True), ("金额", False)),
    (("区县", False), ("日期", True)),
]


def _rows(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    out = []
    for n in range(1, count + 1):
        amount = None if rng.random() < 0.35 else float(rng.randrange(6))
        day = None if rng.random() < 0.3 else date(2026, 1, 1) + timedelta(days=rng.randrange(4))
        out.append({ID: n, "c0": amount, "c1": rng.choice("甲乙丙"), "c2": day})
    return out


def _compare(keys: list[tuple[str, bool]]) -> Any:
    column = {f["id"]: f["column"] for f in FIELDS} | {ID: ID}

    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for name, desc in keys:
            x, y = a[column[name]], b[column[name]]
            if x == y:
                continue
            # nulls first going up, last going down
            order = -1 if x is None else 1 if y is None else (-1 if x < y else 1)
            return -order if desc else order
        return 0

    return cmp_to_key(compare)


def walk_every_order(engine: Engine, name: str = "rows_walks", count: int = 61) -> None:
    """Each order of ``SORTS``, 4 rows a page: the pages follow one another exactly."""
    dialect = engine.dialect.name
    table = table_of(name, FIELDS, dialect)
    data = _rows(count)
    with engine.begin() as connection:
        drop_table(connection, name)
        table.create(connection)
        connection.execute(table.insert(), data)
        create_indexes(connection, table, FIELDS)
    try:
        with Session(engine) as session:
            for sort in SORTS:
                first = bind(RowQuery(sort=sort, limit=1), name, FIELDS, dialect)
                expected = [r[ID] for r in sorted(data, key=_compare(first.sort_keys))]
                assert _walk(session, name, sort, dialect) == expected, sort
    finally:
        with engine.begin() as connection:
            drop_table(connection, name)


def _walk(session: Session, name: str, sort: tuple[tuple[str, bool], ...], dialect: str) -> list:
    walked: list[int] = []
    after = None
    while True:
        bound = bind(RowQuery(sort=sort, limit=4, after=after), name, FIELDS, dialect)
        page = fetch(session, bound)
        walked += [r[0] for r in page]
        if len(page) < 4:
            return walked
        after = make_token(bound.sort_keys, dict(zip(bound.names, page[-1], strict=True)))
