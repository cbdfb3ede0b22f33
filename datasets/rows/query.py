"""A query of one row table, typed: which fields, which rows (filters, words), in which order,
which page (an offset, or a keyset token that continues after the last row of the previous
page). ``select_rows`` turns it into SQL with SQLAlchemy's expressions only: field names are
looked up among the table's own, values are bound parameters cast to the column's type.

The filter operators are one table (``OPERATORS``), Datasette's names: ``字段__gt=5``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from datasets.errors import ValidationError
from datasets.rows.store import ID, TEXT, TYPES, FieldType, table_of

MAX_LIMIT = 32_000  # CKAN's datastore_search ceiling
MAX_FILTERS = 50
MAX_VALUE = 1_000  # characters of one filter value
MAX_IN = 500  # values of one __in filter
MAX_WORDS = 20
_TOKEN_MAX = 4_000


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class RowQuery:
    fields: tuple[str, ...] = ()  # () = every field
    hidden: tuple[str, ...] = ()  # fields left out (Datasette's ``_nocol``)
    filters: tuple[Filter, ...] = ()
    words: tuple[str, ...] = ()  # each must occur in some field (CKAN's plain ``q``)
    field_words: tuple[tuple[str, str], ...] = ()  # (field, text): CKAN's ``q`` as a dict
    sort: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    limit: int = 100
    offset: int = 0
    after: str | None = None  # a keyset token from the previous page
    distinct: bool = False


@dataclass(frozen=True)
class Operator:
    title: str
    build: Callable[[Any, Any], ColumnElement[bool]]
    takes: str = "value"  # value | list | none | text


def _text(column: Any) -> Any:
    return cast(column, String)


OPERATORS: dict[str, Operator] = {
    "exact": Operator("等于", lambda c, v: c == v),
    "not": Operator("不等于", lambda c, v: or_(c != v, c.is_(None))),
    "gt": Operator("大于", lambda c, v: c > v),
    "gte": Operator("大于等于", lambda c, v: c >= v),
    "lt": Operator("小于", lambda c, v: c < v),
    "lte": Operator("小于等于", lambda c, v: c <= v),
    "contains": Operator("包含", lambda c, v: _text(c).contains(v, autoescape=True), takes="text"),
    "startswith": Operator(
        "开头是", lambda c, v: _text(c).startswith(v, autoescape=True), takes="text"
    ),
    "endswith": Operator(
        "结尾是", lambda c, v: _text(c).endswith(v, autoescape=True), takes="text"
    ),
    "in": Operator("属于", lambda c, v: c.in_(v), takes="list"),
    "notin": Operator("不属于", lambda c, v: or_(c.not_in(v), c.is_(None)), takes="list"),
    "isnull": Operator("为空", lambda c, v: c.is_(None), takes="none"),
    "notnull": Operator("不为空", lambda c, v: c.is_not(None), takes="none"),
    "isblank": Operator("为空或空白", lambda c, v: or_(c.is_(None), _text(c) == ""), takes="none"),
    "notblank": Operator("非空白", lambda c, v: and_(c.is_not(None), _text(c) != ""), takes="none"),
}


@dataclass(frozen=True)
class Bound:
    """A query bound to one table: the SQL of its page, of its total, and how to read a row."""

    page: Select[Any]
    total: Select[Any] | None  # None when the table's own row count is the total
    names: list[str]  # the output fields, ``_id`` first
    types: list[str]
    sort_keys: list[tuple[str, bool]]  # the page's full order, ``_id`` last
    limit: int
    tail: Select[Any] | None = None  # the rows after the page's segment (see ``_after``)


def fetch(session: Session, bound: Bound) -> list[Any]:
    """The page's rows: its segment first, then, when that came short, the next segment."""
    rows = list(session.execute(bound.page).all())
    if bound.tail is not None and len(rows) < bound.limit:
        rows += session.execute(bound.tail.limit(bound.limit - len(rows))).all()
    return rows


def field_types(fields: Sequence[dict[str, Any]]) -> dict[str, FieldType]:
    return {f["id"]: TYPES.get(f["type"], TEXT) for f in fields}


def value_of(ftype: FieldType, raw: Any, name: str) -> Any:
    """A filter value in its column's type (400 when it does not fit)."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _invalid(name, f"字段“{name}”的筛选值须为文本或数字")
    text = str(raw)
    if len(text) > MAX_VALUE:
        raise _invalid(name, f"字段“{name}”的筛选值不能超过 {MAX_VALUE} 个字符")
    try:
        return ftype.cast(raw)
    except (ValueError, OverflowError):
        kinds = {"int8": "整数", "float8": "数字", "date": "日期（YYYY-MM-DD）"}
        raise _invalid(
            name, f"字段“{name}”的筛选值须为{kinds.get(ftype.code, '文本')}：{text[:50]}"
        ) from None


def _invalid(name: str, message: str) -> ValidationError:
    return ValidationError(message, {name: [message]})


def bind(query: RowQuery, table_name: str, fields: Sequence[dict[str, Any]], dialect: str) -> Bound:
    """The SQL of ``query`` over a row table; ``ValidationError`` names what is wrong."""
    table = table_of(table_name, fields, dialect)
    types = field_types(fields)
    column = {f["id"]: table.c[f["column"]] for f in fields} | {ID: table.c[ID]}
    types[ID] = TYPES["int8"]
    named = (*query.fields, *query.hidden, *(s for s, _ in query.sort))
    unknown = [n for n in named if n not in column]
    unknown += [f.field for f in query.filters if f.field not in column]
    unknown += [n for n, _ in query.field_words if n not in column]
    if unknown:
        message = "没有这些字段：" + "、".join(dict.fromkeys(unknown))
        raise ValidationError(message, {"fields": [message]})
    names = list(query.fields) or [ID, *(f["id"] for f in fields)]
    names = [n for n in names if n not in query.hidden or n == ID]
    if query.distinct:
        names = [n for n in names if n != ID] or [ID]
    elif ID not in names:
        names = [ID, *names]
    conditions = [_condition(f, column[f.field], types[f.field]) for f in query.filters]
    conditions += _words(query.words, [column[f["id"]] for f in fields])
    conditions += [
        _words((word,), [column[name]])[0]
        for name, text in query.field_words
        for word in text.split()[:MAX_WORDS]
    ]
    where = and_(true(), *conditions)
    sort_keys = list(query.sort)
    if not query.distinct and ID not in [s for s, _ in sort_keys]:
        # ties go the first key's way, so one index of (field, _id) serves either direction
        sort_keys.append((ID, sort_keys[0][1] if sort_keys else False))
    if query.distinct and any(n not in names for n, _ in sort_keys):
        raise _invalid("sort", "去重查询只能按所选字段排序")
    outputs = [column[n].label(f"o{i}") for i, n in enumerate(names)]  # read by position
    page = select(*outputs).where(where)
    if query.distinct:
        page = page.distinct()
    order = [_ordered(column[n], desc) for n, desc in sort_keys]
    if query.distinct and not order:
        order = [_ordered(column[n], False) for n in names]
    base, tail = page, None
    if query.after is not None:
        if query.distinct:
            raise _invalid("_next", "去重查询不支持翻页令牌，请用 offset 翻页")
        head, rest = _after(query.after, sort_keys, column, types)
        if rest is not None and query.offset:  # one read: an offset counts across both
            head = or_(head, rest)
        elif rest is not None:
            tail = base.where(rest).order_by(*order)
        page = page.where(head)
    page = page.order_by(*order).limit(query.limit).offset(query.offset)
    total = None
    if query.distinct:
        total = select(func.count()).select_from(base.subquery())
    elif conditions:
        total = select(func.count()).select_from(select(table.c[ID]).where(where).subquery())
    codes = [types[n].code for n in names]
    return Bound(page, total, names, codes, sort_keys, query.limit, tail)


def _ordered(column: Any, desc: bool) -> Any:
    """Nulls first going up and last going down, the same on every database."""
    return column.desc().nulls_last() if desc else column.asc().nulls_first()


def _condition(f: Filter, column: Any, ftype: FieldType) -> ColumnElement[bool]:
    operator = OPERATORS.get(f.op)
    if operator is None:
        known = "、".join(OPERATORS)
        raise _invalid(f.field, f"不支持的筛选方式“{f.op}”，可用：{known}")
    if operator.takes == "none":
        return operator.build(column, None)
    if operator.takes == "text":
        return operator.build(column, value_of(TEXT, f.value, f.field))
    if operator.takes == "list":
        values = f.value if isinstance(f.value, list | tuple) else _split(f.value)
        if len(values) > MAX_IN:
            raise _invalid(f.field, f"字段“{f.field}”的筛选值不能多于 {MAX_IN} 个")
        return operator.build(column, [value_of(ftype, v, f.field) for v in values])
    return operator.build(column, value_of(ftype, f.value, f.field))


def _split(raw: Any) -> list[Any]:
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                values = json.loads(text)
            except json.JSONDecodeError:
                values = None
            if isinstance(values, list):
                return values
        return [v for v in text.split(",")]
    return [raw]


def _words(words: Sequence[str], columns: Sequence[Any]) -> list[ColumnElement[bool]]:
    """Each word must occur (any case) in one of ``columns``."""
    out = []
    for word in list(words)[:MAX_WORDS]:
        needle = word.lower()[:MAX_VALUE]
        found = [func.lower(_text(c)).contains(needle, autoescape=True) for c in columns]
        out.append(or_(false(), *found))
    return out


def _after(
    token: str,
    keys: Sequence[tuple[str, bool]],
    column: dict[str, Any],
    types: dict[str, FieldType],
) -> tuple[ColumnElement[bool], ColumnElement[bool] | None]:
    """Rows after the one a token names, in the order of ``keys``, as two segments read one
    after the other: the rows whose first key is on the token's side of null (a range an index
    of the first key serves, where one ``OR`` of every case would scan the table from its
    start), and the other side when there is one. Nulls come first going up, last going down."""
    values = read_token(token, keys)
    typed = [
        value_of(types[name], v, name) if v is not None else None
        for (name, _), v in zip(keys, values, strict=True)
    ]
    branches = []
    for i, (name, desc) in enumerate(keys):
        equal = [
            column[n].is_(None) if v is None else column[n] == v
            for (n, _), v in zip(keys[:i], typed[:i], strict=True)
        ]
        c, v = column[name], typed[i]
        if desc:
            further = false() if v is None else or_(c < v, c.is_(None))
        else:
            further = c.is_not(None) if v is None else c > v
        branches.append(and_(*equal, further))
    first, desc = column[keys[0][0]], keys[0][1]
    if typed[0] is None:  # the nulls first; going up, the values after them
        return and_(first.is_(None), or_(*branches)), None if desc else first.is_not(None)
    near = first <= typed[0] if desc else first >= typed[0]
    return and_(near, or_(*branches)), first.is_(None) if desc else None


def make_token(keys: Sequence[tuple[str, bool]], row: dict[str, Any]) -> str:
    """The token of the page after ``row``: its sort values and the order they belong to."""
    values = [_plain(row[name]) for name, _ in keys]
    order = [[name, desc] for name, desc in keys]
    raw = json.dumps([order, values], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def read_token(token: str, keys: Sequence[tuple[str, bool]]) -> list[Any]:
    message = "翻页令牌无效或与当前排序不符，请从第一页重新开始"
    if len(token) > _TOKEN_MAX:
        raise _invalid("_next", message)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        order, values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise _invalid("_next", message) from None
    if order != [[n, d] for n, d in keys] or not isinstance(values, list):
        raise _invalid("_next", message)
    if len(values) != len(keys) or not all(
        v is None or isinstance(v, str | int | float) for v in values
    ):
        raise _invalid("_next", message)
    return values


def plain_value(value: Any) -> Any:
    """A value as JSON carries it (dates as ISO text)."""
    return _plain(value)


def page_filters(raw: dict[str, Any]) -> list[Filter]:
    """CKAN's ``filters`` ({field: value or [values]}) as filters."""
    out = []
    for name, value in raw.items():
        if isinstance(value, list):
            out.append(Filter(str(name), "in", value))
        else:
            out.append(Filter(str(name), "exact", value))
    if len(out) > MAX_FILTERS:
        raise _invalid("filters", f"筛选条件不能多于 {MAX_FILTERS} 个")
    return out
