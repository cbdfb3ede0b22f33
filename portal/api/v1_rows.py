"""The native row API: ``GET /api/v1/resources/<id>/rows`` (JSON, or CSV with ``_format=csv``)
and ``GET /api/v1/resources/<id>/rows/export`` (every matching row, streamed as CSV, CSV for
Excel, JSON, NDJSON or XLSX).

Parameters as Datasette names them: ``字段=值`` or ``字段__操作=值`` (``OPERATORS``: gt, gte,
lt, lte, not, contains, startswith, endswith, in, notin, isnull, notnull, isblank, notblank),
``_search``, ``_sort`` / ``_sort_desc``, ``_size``, ``_col`` / ``_nocol`` (repeatable), and
``_next``: the token of the page after this one (keyset paging: a deep page costs what the first
does). Who may read which table is the services' business (``datasets.rows.services``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from datasets.errors import ValidationError
from datasets.rows import formats
from datasets.rows import services as rows
from datasets.rows.query import MAX_FILTERS, OPERATORS, Filter, RowQuery
from portal.api.edge import MAX_PARAMS
from portal.api.openapi import EXTRA_PATHS, OPTIONAL_KEY, answers, operation
from portal.app import base_url, get_runtime
from portal.auth import current_actor
from portal.errors import no_store
from portal.extensions import limiter
from portal.usage import count

bp = Blueprint("api_v1_rows", __name__, url_prefix="/api/v1")
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)

MAX_SIZE = 1_000  # rows per page of the native API (exports stream every row)
DEFAULT_SIZE = 100
_RESERVED = {"_search", "_sort", "_sort_desc", "_size", "_col", "_nocol", "_next", "_format"}
_RESERVED |= {"_total", "_shape"}


def _invalid(name: str, message: str) -> ValidationError:
    return ValidationError(message, {name: [message]})


def _one(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise _invalid(name, f"参数 {name} 只能给一次")
    return values[0] if values else None


def _size() -> int:
    raw = _one("_size")
    if raw in (None, ""):
        return DEFAULT_SIZE
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_SIZE:
        raise _invalid("_size", f"_size 须为 1 到 {MAX_SIZE} 之间的整数")
    return int(raw)


def _filters() -> list[Filter]:
    """Every parameter that is not one of ``_RESERVED``: ``字段`` or ``字段__操作``."""
    out = []
    for key, values in request.args.lists():
        if key in _RESERVED:
            continue
        name, op = key, "exact"
        if "__" in key:
            head, tail = key.rsplit("__", 1)
            if tail in OPERATORS:
                name, op = head, tail
        out += [Filter(name, op, value) for value in values]
    if len(out) > MAX_FILTERS:
        raise _invalid("filters", f"筛选条件不能多于 {MAX_FILTERS} 个")
    return out


def row_query(*, size: int | None = None) -> RowQuery:
    """The request's parameters as a row query (parsed once access is settled)."""
    sort, sort_desc = _one("_sort"), _one("_sort_desc")
    if sort and sort_desc:
        raise _invalid("_sort", "_sort 与 _sort_desc 只能用一个")
    order = ((sort, False),) if sort else ((sort_desc, True),) if sort_desc else ()
    search = (_one("_search") or "")[:1000]
    return RowQuery(
        fields=tuple(request.args.getlist("_col")),
        hidden=tuple(request.args.getlist("_nocol")),
        filters=tuple(_filters()),
        words=tuple(search.split()),
        sort=order,
        limit=size if size is not None else _size(),
        after=_one("_next") or None,
    )


def _total() -> bool:
    raw = (_one("_total") or "1").lower()
    if raw not in ("0", "1", "true", "false"):
        raise _invalid("_total", "_total 须为 1 或 0")
    return raw in ("1", "true")


def _answer(page: rows.RowsPage) -> dict[str, Any]:
    names = [f["id"] for f in page.fields]
    next_url = None
    if page.next_token:
        args = [(k, v) for k, vs in request.args.lists() for v in vs if k != "_next"]
        next_url = f"{base_url()}{request.path}?{urlencode([*args, ('_next', page.next_token)])}"
    return {
        "resource_id": page.resource_id,
        "fields": page.fields,
        "rows": [dict(zip(names, r, strict=True)) for r in page.records],
        "total": page.total,
        "size": page.limit,
        "next": page.next_token,
        "next_url": next_url,
    }


@bp.get("/resources/<resource_id>/rows")
def resource_rows(resource_id: str) -> ResponseReturnValue:
    """One page of a table's rows, filtered and sorted."""
    fmt = _one("_format") or "json"
    if fmt not in ("json", "csv"):
        raise _invalid("_format", "_format 须为 json 或 csv；整表导出请用 rows/export")
    page = rows.query_rows(
        get_runtime(), resource_id, row_query, actor=current_actor(), include_total=_total()
    )
    count("api", resource_id=page.resource_id)
    if fmt == "csv":
        response = Response(_csv(page), content_type="text/csv; charset=utf-8")
        if page.next_token:
            response.headers["X-Next-Token"] = page.next_token
    else:
        response = jsonify(_answer(page))
    return no_store(response) if page.granted else response


def _csv(page: rows.RowsPage) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f["id"] for f in page.fields])
    writer.writerows(["" if v is None else v for v in r] for r in page.records)
    return buffer.getvalue()


@bp.get("/resources/<resource_id>/rows/export")
def resource_rows_export(resource_id: str) -> ResponseReturnValue:
    """Every row of a table or of a filtered, sorted view, streamed in one of ``FORMATS``."""
    code = _one("_format") or "csv"
    if code not in formats.FORMATS:
        known = "、".join(formats.FORMATS)
        raise _invalid("_format", f"不支持的导出格式“{code[:20]}”，可用：{known}")
    stream = rows.stream_rows(
        get_runtime(), resource_id, lambda: row_query(size=1), actor=current_actor()
    )
    spec = formats.FORMATS[code]
    body: Iterator[bytes] = formats.stream(code, stream.names, stream.rows)
    response = Response(body, content_type=spec.media_type)
    name = formats.export_filename(stream.served_as or stream.resource_name, code)
    response.headers["Content-Disposition"] = formats.attachment_header(name)
    return no_store(response) if stream.granted else response


def _query_params() -> list[dict[str, Any]]:
    def param(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"name": name, "in": "query", "description": description, "schema": schema, **extra}

    operators = "、".join(f"{code}（{op.title}）" for code, op in OPERATORS.items())
    field = {"type": "string", "maxLength": 200}
    fields = {"type": "array", "items": field, "maxItems": MAX_PARAMS}
    return [
        {
            "name": "resource_id",
            "in": "path",
            "required": True,
            "description": "资源 id",
            "schema": {"type": "string", "maxLength": 100},
        },
        param(
            "filters",
            f"按字段筛选：字段=值，或 字段__操作=值；操作：{operators}；in/notin 的值以逗号分隔",
            {"type": "object", "additionalProperties": {"type": "string", "maxLength": 1000}},
            style="form",
            explode=True,
        ),
        param("_search", "全文：每个词都须出现在某个字段中", {"type": "string", "maxLength": 1000}),
        param("_sort", "升序排序的字段", field),
        param("_sort_desc", "降序排序的字段", field),
        param("_size", "每页行数", {"type": "integer", "minimum": 1, "maximum": MAX_SIZE}),
        param(
            "_next", "上一页答复中的 next 令牌（按键翻页）", {"type": "string", "maxLength": 4000}
        ),
        param("_col", "只返回这些字段（可重复）", fields, explode=True),
        param("_nocol", "不返回这些字段（可重复）", fields, explode=True),
    ]


ROWS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "resource_id": {"type": "string"},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "type": {"enum": ["int8", "float8", "date", "text"]},
                },
            },
        },
        "rows": {"type": "array", "items": {"type": "object"}},
        "total": {"type": ["integer", "null"]},
        "size": {"type": "integer"},
        "next": {"type": ["string", "null"], "description": "下一页的令牌；最后一页为 null"},
        "next_url": {"type": ["string", "null"]},
    },
}


def _paths() -> dict[str, Any]:
    page_params = [
        *_query_params(),
        {
            "name": "_format",
            "in": "query",
            "description": "json（默认）或 csv",
            "schema": {"enum": ["json", "csv"]},
        },
        {
            "name": "_total",
            "in": "query",
            "description": "1（默认）计算总行数，0 不计算",
            "schema": {"enum": ["1", "0"]},
        },
    ]
    export_params = [
        *(p for p in _query_params() if p["name"] not in ("_size", "_next")),
        {
            "name": "_format",
            "in": "query",
            "description": "导出格式："
            + "、".join(f"{c}（{f.title}）" for c, f in formats.FORMATS.items()),
            "schema": {"enum": list(formats.FORMATS)},
        },
    ]
    errors = {k: v for k, v in answers(None, "", 400, 403, 404).items() if k != "200"}
    rows_answer = {
        "description": "一页数据行",
        "content": {"application/json": {"schema": ROWS_SCHEMA}},
    }
    export_answer = {
        "description": "全部符合条件的行（流式传输）",
        "content": {
            spec.media_type: {"schema": {"type": "string", "format": "binary"}}
            for spec in formats.FORMATS.values()
        },
    }
    return {
        "/api/v1/resources/{resource_id}/rows": {
            "get": operation(
                "数据表的一页行：按字段筛选、排序、选择字段，按 next 令牌翻页",
                tag="数据行",
                params=page_params,
                answer={"200": rows_answer, **errors},
                security=OPTIONAL_KEY,
            )
        },
        "/api/v1/resources/{resource_id}/rows/export": {
            "get": operation(
                "导出整表或筛选、排序后的全部行（CSV、Excel 适用的 CSV、JSON、NDJSON、XLSX）",
                tag="数据行",
                params=export_params,
                answer={"200": export_answer, **errors},
                security=OPTIONAL_KEY,
            )
        },
    }


EXTRA_PATHS.append(_paths)
