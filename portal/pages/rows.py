"""数据浏览: every row of a table on a page, filtered by column, sorted, paged, with chosen
columns and the current view downloadable. Plain links and forms (no script needed); the page's
parameters are the row API's (``portal.api.v1_rows``), so its JSON twin is the same URL under
``/api/v1``. A grant holder sees the rows of their grant, as the API gives them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from datasets.errors import NotFound, ValidationError
from datasets.rows import formats
from datasets.rows import services as rows
from datasets.rows.query import OPERATORS
from portal.api.v1_rows import row_query
from portal.app import get_runtime
from portal.auth import current_actor
from portal.errors import no_store
from portal.extensions import limiter

bp = Blueprint("rows_pages", __name__)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)

PAGE_SIZE = 50
_KEPT = ("_sort", "_sort_desc", "_search", "_col", "_size")  # carried by the filter form


def _args(*, without: tuple[str, ...] = (), **changes: Any) -> str:
    """The request's parameters with some left out or replaced, as a query string."""
    kept = [
        (k, v)
        for k, values in request.args.lists()
        for v in values
        if k not in without and k not in changes
    ]
    kept += [(k, v) for k, v in changes.items() if v not in (None, "")]
    return urlencode(kept)


def _added_filter() -> str:
    field = request.args.get("_filter_field", "")[:200]
    op = request.args.get("_filter_op", "exact")
    value = request.args.get("_filter_value", "")[:1000]
    form = ("_filter_field", "_filter_op", "_filter_value", "_next")
    kept = [(k, v) for k, vs in request.args.lists() for v in vs if k not in form]
    if field and op in OPERATORS:
        key = field if op == "exact" else f"{field}__{op}"
        kept.append((key, value if OPERATORS[op].takes != "none" else "1"))
    return urlencode(kept)


def _filters() -> list[dict[str, str]]:
    """The filters in the URL, to show them and offer their removal."""
    shown = []
    for key, values in request.args.lists():
        if key.startswith("_"):
            continue
        name, op = key, "exact"
        if "__" in key and key.rsplit("__", 1)[1] in OPERATORS:
            name, op = key.rsplit("__", 1)
        for value in values:
            rest = [(k, v) for k, vs in request.args.lists() for v in vs if (k, v) != (key, value)]
            shown.append(
                {
                    "field": name,
                    "op": OPERATORS[op].title,
                    "value": value,
                    "remove": urlencode([(k, v) for k, v in rest if k != "_next"]),
                }
            )
    return shown


@bp.route("/dataset/<name>/resource/<resource_id>/rows")
def browse(name: str, resource_id: str) -> ResponseReturnValue:
    rt, actor = get_runtime(), current_actor()
    if "_filter_field" in request.args:  # the filter form: its choice becomes 字段__操作=值
        return redirect("?" + _added_filter(), code=303)
    info = rows.table_info(rt, resource_id, actor=actor)
    if info["dataset"] != name:
        raise NotFound("未找到该资源")
    error, page = None, None
    try:
        page = rows.query_rows(
            rt, resource_id, lambda: row_query(size=_size()), actor=actor, include_total=True
        )
    except ValidationError as exc:
        error = exc.message
    model = {
        "name": name,
        "resource_id": resource_id,
        "info": info,
        "page": page,
        "error": error,
        "filters": _filters(),
        "operators": [(code, op.title) for code, op in OPERATORS.items()],
        "sort": request.args.get("_sort"),
        "sort_desc": request.args.get("_sort_desc"),
        "chosen": request.args.getlist("_col"),
        "search": request.args.get("_search", ""),
        "kept": [(k, v) for k, vs in request.args.lists() for v in vs if k in _KEPT],
        "hidden_filters": [
            (k, v) for k, vs in request.args.lists() for v in vs if not k.startswith("_")
        ],
        "args": _args,
        "exports": [
            (
                spec.title,
                f"/api/v1/resources/{resource_id}/rows/export?"
                + _args(without=("_next", "_size"), _format=code),
            )
            for code, spec in formats.FORMATS.items()
        ],
        "json_url": f"/api/v1/resources/{resource_id}/rows?" + _args(),
        "dataset_url": url_for("catalog.dataset", name=name),
    }
    response = make_response(render_template("rows.html", **model), 400 if error else 200)
    return no_store(response) if page is not None and page.granted else response


def _size() -> int:
    raw = request.args.get("_size", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 1000 else PAGE_SIZE
