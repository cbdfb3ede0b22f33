"""The audit log, for the supervising bureau and the operators: pages of rows and a CSV export
(itself recorded in the log)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from datasets.accounts.permissions import Actor, can_read_audit_log
from datasets.errors import LoginRequired, NotAuthorized, ValidationError
from datasets.models import AuditEntry
from datasets.runtime import Runtime
from datasets.workdays import SHANGHAI
from datasets.workflows.transparency.csv_export import csv_lines
from datasets.workflows.transparency.paging import page_args, pages

MAX_AUDIT_PAGE = 500
AUDIT_HEADER = ["id", "at", "actor", "action", "object_type", "object_id", "detail"]


def require_auditor(actor: Actor) -> None:
    """Only the supervising bureau and the platform's operators read the audit log."""
    if can_read_audit_log(actor):
        return
    if actor.is_anonymous:
        raise LoginRequired("请先登录")
    raise NotAuthorized("仅主管部门和平台运维人员可以查看和导出审计日志")


def parse_moment(value: Any, field: str, *, end: bool = False) -> datetime | None:
    """A bound of the audit period: a date (a whole day in Asia/Shanghai; ``end`` takes the day
    in) or an ISO 8601 time (without a zone: Asia/Shanghai). Returned in UTC."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end:
                day += timedelta(days=1)
            return datetime.combine(day, time(), SHANGHAI).astimezone(UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{field} 须为日期（YYYY-MM-DD）或 ISO 8601 时间", {field: [f"无法识别：{text}"]}
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    if end:  # the bound itself is in the period; callers compare with "<"
        moment += timedelta(microseconds=1)
    return moment.astimezone(UTC)


def _audit_query(since: Any, until: Any, action: Any) -> Any:
    start = parse_moment(since, "since")
    stop = parse_moment(until, "until", end=True)
    query = select(AuditEntry)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if stop is not None:
        query = query.where(AuditEntry.at < stop)
    if action:
        action = str(action).strip()
        if action.endswith("*"):
            query = query.where(AuditEntry.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AuditEntry.action == action)
    return query


def audit_dict(row: AuditEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at.astimezone(UTC).isoformat(),
        "actor": row.actor,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "detail": row.detail or {},
    }


def audit_entries(
    rt: Runtime,
    actor: Actor,
    *,
    since: Any = None,
    until: Any = None,
    action: Any = None,
    page: Any = 1,
    per_page: Any = 100,
) -> dict[str, Any]:
    """Audit rows in the period (oldest first), a page at a time."""
    require_auditor(actor)
    page, per_page = page_args(page, per_page, MAX_AUDIT_PAGE)
    query = _audit_query(since, until, action)
    with rt.reader() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(AuditEntry.id).offset((page - 1) * per_page).limit(per_page)
        ).all()
        return {
            "entries": [audit_dict(r) for r in rows],
            "count": total,
            "page": page,
            "per_page": per_page,
            "pages": pages(total, per_page),
        }


def audit_csv(
    rt: Runtime, actor: Actor, *, since: Any = None, until: Any = None, action: Any = None
) -> Iterator[bytes]:
    """The audit rows of the period as CSV (UTF-8 with BOM), read in batches while streaming.

    Access and the period are checked at once, before anything is streamed; the export itself is
    recorded in the audit log."""
    require_auditor(actor)
    query = _audit_query(since, until, action)
    with rt.session() as session:
        session.add(
            AuditEntry(
                actor=actor.name,
                action="audit.export",
                object_type="audit",
                object_id="audit_log",
                detail={
                    "since": str(since) if since else None,
                    "until": str(until) if until else None,
                    "action": str(action) if action else None,
                },
            )
        )

    def rows() -> Iterator[list[Any]]:
        with rt.reader() as session:
            for row in session.scalars(
                query.order_by(AuditEntry.id).execution_options(yield_per=1000)
            ):
                yield [
                    row.id,
                    row.at.astimezone(UTC).isoformat(),
                    row.actor,
                    row.action,
                    row.object_type,
                    row.object_id,
                    json.dumps(row.detail or {}, ensure_ascii=False, sort_keys=True),
                ]

    return csv_lines(AUDIT_HEADER, rows())
