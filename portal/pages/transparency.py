"""公开透明 (SPEC §8): the public log of decisions and replies, statistics per department, the
开放清单 as CSV, and the audit-log export for the bureau and the operators — pages and
``/api/v1`` JSON over the same services (``datasets.workflows.transparency``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from datasets.accounts.permissions import can_read_audit_log
from datasets.openness.rules import OPENNESS_TITLES
from datasets.workdays import shanghai_date
from datasets.workflows.machine import MACHINES
from datasets.workflows.transparency import audit_log, public_log
from datasets.workflows.transparency.open_list import open_list_csv
from datasets.workflows.transparency.paging import MAX_PAGE_NUMBER
from datasets.workflows.transparency.statistics import statistics
from datasets.workflows.transparency.trends import parse_period
from portal.api import openapi as oa
from portal.api.edge import MAX_PARAM
from portal.app import base_url, get_runtime
from portal.auth import current_actor
from portal.errors import no_store
from portal.extensions import limiter
from portal.pages.stats_charts import stats_charts, top_note

bp = Blueprint("transparency", __name__)
api_bp = Blueprint("transparency_api", __name__, url_prefix="/api/v1")
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(api_bp)
STATS_PER_PAGE = 50  # departments in each table of a page of the statistics


def _csv_response(lines: Iterator[bytes], filename: str, *, private: bool) -> Response:
    response = Response(lines, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return response


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d")


# -- pages -------------------------------------------------------------------------------------


@bp.context_processor
def audit_link() -> dict[str, bool]:
    """Whether the pages link the audit-log export (the same predicate the export asks)."""
    return {"may_read_audit_log": can_read_audit_log(current_actor())}


@bp.get("/transparency")
def decisions() -> ResponseReturnValue:
    kind = request.args.get("kind", "")
    department = request.args.get("department", "")
    result = public_log.decisions(
        get_runtime(),
        kind=kind,
        department=department,
        page=request.args.get("page", 1, type=int) or 1,
        per_page=20,
    )
    args = {k: v for k, v in (("kind", kind), ("department", department)) if v}
    return render_template("transparency/decisions.html", result=result, args=args)


def _period_statistics() -> dict[str, Any]:
    """The statistics of the period the query string names (all time without one)."""
    today = shanghai_date(datetime.now(UTC))
    period = parse_period(request.args, today=today)
    return statistics(get_runtime(), today=today, period=period)


@bp.get("/transparency/stats")
def stats() -> ResponseReturnValue:
    result = _period_statistics()
    today = date.fromisoformat(result["computed_on"])
    args = {k: request.args[k] for k in ("year", "since", "until") if request.args.get(k)}
    departments = result["departments"]
    pages = max(1, -(-len(departments) // STATS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    return render_template(
        "transparency/stats.html",
        stats=result,
        shown=departments[(page - 1) * STATS_PER_PAGE : page * STATS_PER_PAGE],
        page=page,
        pages=pages,
        titles=OPENNESS_TITLES,
        charts=stats_charts(result),
        charts_note=top_note(result),
        years=list(range(today.year, today.year - 6, -1)),
        args=args,
    )


@bp.get("/transparency/open-list.csv")
def open_list() -> ResponseReturnValue:
    lines = open_list_csv(get_runtime(), base_url=base_url())
    return _csv_response(lines, f"open-list-{_stamp()}.csv", private=False)


@bp.get("/admin/audit.csv")
def audit_csv() -> ResponseReturnValue:
    lines = audit_log.audit_csv(
        get_runtime(),
        current_actor(),
        since=request.args.get("since"),
        until=request.args.get("until"),
        action=request.args.get("action"),
    )
    return _csv_response(lines, f"audit-{_stamp()}.csv", private=True)


# -- API ---------------------------------------------------------------------------------------


@api_bp.get("/transparency/decisions")
def api_decisions() -> ResponseReturnValue:
    return jsonify(
        public_log.decisions(
            get_runtime(),
            kind=request.args.get("kind"),
            department=request.args.get("department"),
            page=request.args.get("page", "1"),
            per_page=request.args.get("per_page", "20"),
        )
    )


@api_bp.get("/transparency/stats")
def api_stats() -> ResponseReturnValue:
    return jsonify(_period_statistics())


@api_bp.get("/audit")
def api_audit() -> ResponseReturnValue:
    response = jsonify(
        audit_log.audit_entries(
            get_runtime(),
            current_actor(),
            since=request.args.get("since"),
            until=request.args.get("until"),
            action=request.args.get("action"),
            page=request.args.get("page", "1"),
            per_page=request.args.get("per_page", "100"),
        )
    )
    return no_store(response)


# -- the OpenAPI document -----------------------------------------------------------------------


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string", "maxLength": MAX_PARAM},
    }


STATS_ANSWER = "`departments`（各部门）、`total`（合计）、`trends`（按月）、`popular`（最受欢迎）"


def _period_params() -> list[dict[str, Any]]:
    return [
        _query("year", "统计年度，例如 2026（不可与起止日期同用）"),
        _query("since", "统计起始日期（YYYY-MM-DD，北京时间）"),
        _query("until", "统计截止日期（含当天）"),
    ]


def _paging(most: int) -> list[dict[str, Any]]:
    number = {"type": "integer", "minimum": 1}
    return [
        _query("page", "页码，从 1 开始", **number, maximum=MAX_PAGE_NUMBER),
        _query("per_page", "每页条数", **number, maximum=most),
    ]


def openapi_paths() -> dict[str, Any]:
    tag = "公开透明"
    page = _paging
    return {
        "/api/v1/transparency/decisions": {
            "get": oa.operation(
                "各类已办结事项的公开记录，最新的在前：受理编号、事项类别、部门、数据集、日期、"
                "是否按期、办理结果、所依据的规则和部门的公开答复（不含提出人和个人信息）",
                tag=tag,
                params=[
                    _query("kind", "只看这一类事项", enum=list(MACHINES)),
                    _query("department", "只看这个部门（organization.name）"),
                    *page(public_log.MAX_PAGE),
                ],
                answer=oa.answers(
                    None,
                    "`decisions`（记录）、`count`（总数）、`page`（页码）、`pages`（页数）",
                    400,
                ),
                security=oa.OPTIONAL_KEY,
            )
        },
        "/api/v1/transparency/stats": {
            "get": oa.operation(
                "按部门及合计的统计：按开放属性分列的在用数据集数、机器可读比例、记录数、"
                "逾期未更新数，申请和需求的收件、办结、按期办结、待办、逾期数，复核结果，"
                "数据使用次数（截至昨日）和应用成果数，最受欢迎的数据集和按月趋势",
                tag=tag,
                params=_period_params(),
                answer=oa.answers(None, STATS_ANSWER, 400),
                security=oa.OPTIONAL_KEY,
            )
        },
        "/api/v1/audit": {
            "get": oa.operation(
                "审计日志，最早的在前（仅限主管部门和平台运维人员）。同样内容的 CSV："
                "GET /admin/audit.csv",
                tag=tag,
                params=[
                    _query("since", "起始日期（YYYY-MM-DD，北京时间）或 ISO 8601 时间"),
                    _query("until", "截止日期（含当天）或 ISO 8601 时间"),
                    _query("action", "操作名称，例如 application.decide，或以 * 结尾的前缀"),
                    *page(audit_log.MAX_AUDIT_PAGE),
                ],
                answer=oa.answers(
                    None,
                    "`entries`（日志条目）、`count`（总数）、`page`（页码）、`pages`（页数）",
                    400,
                    401,
                    403,
                ),
                security=oa.KEY,
            )
        },
    }


oa.EXTRA_PATHS.append(openapi_paths)
