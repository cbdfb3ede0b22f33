"""CKAN's DataStore actions over the row store: ``datastore_search``, ``datastore_info`` and
``datastore_search_sql``, with CKAN's parameters and answers, so ckanapi and other CKAN clients
work unchanged. ``datastore_search_sql`` is off unless the operator turns it on: how it is
guarded is said in ``datasets.rows.sql``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from datasets.errors import ValidationError
from datasets.rows import services as rows
from datasets.rows import sql as row_sql
from datasets.rows.query import MAX_LIMIT, Filter, RowQuery, page_filters
from datasets.rows.store import ID
from portal.api.ckan import Params, _bool, action
from portal.app import get_runtime
from portal.auth import current_actor
from portal.usage import count

FORMATS = ("objects", "lists", "csv", "tsv")
MAX_FIELDS = 500
MAX_TEXT = 1_000


def _invalid(name: str, message: str) -> ValidationError:
    return ValidationError(message, {name: [message]})


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON


def _json_or(value: Any, name: str) -> Any:
    """A parameter a GET query string carries as JSON text (filters, q as a dict, fields)."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise _invalid(name, f"{name} 不是有效的 JSON") from None
    return value


def _names(value: Any, name: str) -> list[str]:
    """A list of field names: a JSON list, a list, or text separated by commas."""
    value = _json_or(value, name)
    if value in (None, ""):
        return []
    if isinstance(value, str):
        items: list[Any] = [v.strip() for v in value.split(",")]
    elif isinstance(value, list):
        items = value
    else:
        raise _invalid(name, f"{name} 须为字段名列表")
    if len(items) > MAX_FIELDS or not all(isinstance(v, str) and v for v in items):
        raise _invalid(name, f"{name} 须为不超过 {MAX_FIELDS} 个字段名的列表")
    return [str(v).strip() for v in items]


def _sort(value: Any) -> tuple[tuple[str, bool], ...]:
    out = []
    for item in _names(value, "sort"):
        words = item.rsplit(" ", 1)
        if len(words) == 2 and words[1].lower() in ("asc", "desc"):
            out.append((words[0].strip().strip('"'), words[1].lower() == "desc"))
        else:
            out.append((item.strip('"'), False))
    return tuple(out)


def _number(params: Params, name: str, default: int, maximum: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool):
        raise _invalid(name, f"{name} 须为整数")
    try:
        number = int(str(value).strip()) if value not in (None, "") else default
    except ValueError:
        raise _invalid(name, f"{name} 须为整数") from None
    if not 0 <= number <= maximum:
        raise _invalid(name, f"{name} 须在 0 到 {maximum} 之间")
    return number


def _words(value: Any) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """CKAN's ``q``: text (every word somewhere) or {field: text}."""
    value = _json_or(value, "q")
    if value in (None, ""):
        return (), ()
    if isinstance(value, dict):
        pairs = tuple((str(k), str(v)[:MAX_TEXT]) for k, v in value.items() if v not in (None, ""))
        return (), pairs
    if not isinstance(value, str | int | float):
        raise _invalid("q", "q 须为文本或 {字段: 文本}")
    return tuple(str(value)[:MAX_TEXT].split()), ()


def search_query(params: Params) -> RowQuery:
    """``datastore_search``'s parameters as a row query."""
    filters = _json_or(params.get("filters") or {}, "filters")
    if not isinstance(filters, dict):
        raise _invalid("filters", "filters 须为 {字段: 值} 形式的 JSON 对象")
    words, field_words = _words(params.get("q"))
    checked: list[Filter] = page_filters(filters)
    return RowQuery(
        fields=tuple(_names(params.get("fields"), "fields")),
        filters=tuple(checked),
        words=words,
        field_words=field_words,
        sort=_sort(params.get("sort")),
        limit=_number(params, "limit", 100, MAX_LIMIT),
        offset=_number(params, "offset", 0, 10**9),
        distinct=_bool(params, "distinct", False),
    )


def _resource_id(params: Params) -> str:
    value = params.get("resource_id") or params.get("id")
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise _invalid("resource_id", "缺少 resource_id")
    return value.strip()


def _ckan_type(code: str, name: str) -> str:
    return "int" if name == ID else code


def _records(page: rows.RowsPage, records_format: str) -> Any:
    names = [f["id"] for f in page.fields]
    if records_format == "objects":
        return [dict(zip(names, r, strict=True)) for r in page.records]
    if records_format == "lists":
        return page.records
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t" if records_format == "tsv" else ",")
    writer.writerows(["" if v is None else v for v in r] for r in page.records)
    return buffer.getvalue()


@action
def datastore_search(params: Params) -> dict[str, Any]:
    """查询数据表的行（CKAN DataStore）。

    参数：resource_id（必填）；q（全文，或 {字段: 文本}）；filters（{字段: 值或值列表}）；
    fields；sort（如 "字段 desc"）；limit（≤ 32000，默认 100）；offset；distinct；
    include_total（默认 true）；records_format（objects、lists、csv、tsv）。
    """
    resource_id = _resource_id(params)
    records_format = str(params.get("records_format") or "objects")
    include_total = _bool(params, "include_total", True)
    query: Callable[[], RowQuery] = lambda: _checked_query(params, records_format)  # noqa: E731
    page = rows.query_rows(
        get_runtime(), resource_id, query, actor=current_actor(), include_total=include_total
    )
    count("api", resource_id=page.resource_id)
    base = {k: _link_value(v) for k, v in params.items() if k != "offset"}
    link = "/api/3/action/datastore_search?"
    result: dict[str, Any] = {
        "include_total": include_total,
        "resource_id": page.resource_id,
        "fields": [{"id": f["id"], "type": _ckan_type(f["type"], f["id"])} for f in page.fields],
        "records_format": records_format,
        "records": _records(page, records_format),
        "limit": page.limit,
        "_links": {
            "start": link + urlencode(base),
            "next": link + urlencode({**base, "offset": page.offset + page.limit}),
        },
    }
    if page.offset:
        result["offset"] = page.offset
    if include_total:
        result["total"] = page.total
        result["total_was_estimated"] = False
    return result


def _link_value(value: Any) -> str:
    """A parameter as a query string carries it (lists and objects as JSON)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)


def _checked_query(params: Params, records_format: str) -> RowQuery:
    if records_format not in FORMATS:
        raise _invalid("records_format", "records_format 须为 " + "、".join(FORMATS))
    return search_query(params)


@action
def datastore_info(params: Params) -> dict[str, Any]:
    """数据表的字段与行数（CKAN DataStore）。参数：id 或 resource_id（必填）。"""
    info = rows.table_info(get_runtime(), _resource_id(params), actor=current_actor())
    return {
        "meta": {"id": info["resource_id"], "count": info["total"], "table_type": "BASE TABLE"},
        "fields": [
            {"id": f["id"], "type": f["type"], "schema": {"native_type": f["type"]}}
            for f in info["fields"]
        ],
    }


@action
def datastore_search_sql(params: Params) -> dict[str, Any]:
    """用一条只读 SELECT 语句查询公开数据表（CKAN DataStore；须运营方开启）。

    参数：sql（必填）。表名为资源 id（加双引号），列名为字段名；至多返回 32000 行，
    超出时 records_truncated 为 true；语句有时间限制。
    """
    answer = row_sql.search_sql(get_runtime(), params.get("sql"))
    result: dict[str, Any] = {
        "sql": params.get("sql"),
        "fields": answer.fields,
        "records": [
            {f["id"]: v for f, v in zip(answer.fields, r, strict=True)} for r in answer.records
        ],
    }
    if answer.truncated:
        result["records_truncated"] = True
    return result
