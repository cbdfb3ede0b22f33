"""What a grant was used for, as its holder, its department and the bureau see it: every access
(download, row API read, export) with its volume in rows or bytes and the totals, the use
reports filed (periodic and end-of-term), and which reports are overdue.

Reports: a periodic use report falls due every ``grant_report_months`` while the grant runs (one
overdue suspends it, ``grants.refresh``); the end-of-term report (期末使用情况报告) is owed once
the grant expired or was revoked, within ``grant_final_report_days``
(``grants.final_report_due``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from datasets.models import Dataset, Grant, GrantAccess, Organization, User, UseReport, utcnow
from datasets.runtime import Runtime
from datasets.workdays import shanghai_date

ACTION_LABELS = {"download": "下载文件", "api": "数据接口查询", "export": "数据接口导出"}
REPORT_KINDS = {"periodic": "定期使用情况报告", "final": "期末使用情况报告"}
LOG_LIMIT = 200
ENDED = ("expired", "revoked")


def overdue_reports(grant: Grant, today: date) -> list[dict[str, str]]:
    """The reports of ``grant`` past their due date: the periodic one while it runs, the
    end-of-term one after it ended."""
    out = []
    running = grant.status in ("active", "suspended")
    if running and grant.report_due_on and grant.report_due_on < today:
        out.append({"kind": "periodic", "due_on": str(grant.report_due_on)})
    if grant.status in ENDED and grant.final_report_due_on and grant.final_report_due_on < today:
        out.append({"kind": "final", "due_on": str(grant.final_report_due_on)})
    return [{**o, "label": REPORT_KINDS[o["kind"]]} for o in out]


def overdue_filter(today: date) -> Any:
    """The SQL condition of a grant with an overdue report (as ``overdue_reports``)."""
    return or_(
        Grant.status.in_(("active", "suspended")) & (Grant.report_due_on < today),
        Grant.status.in_(ENDED) & (Grant.final_report_due_on < today),
    )


def usage(session: Session, grant: Grant, today: date) -> dict[str, Any]:
    """The grant's access log (newest first, at most ``LOG_LIMIT`` rows) with the totals of all
    accesses, its reports, and the reports overdue."""
    log = [
        {
            "at": a.at.isoformat(),
            "action": a.action,
            "action_label": ACTION_LABELS.get(a.action, a.action),
            "resource_id": a.resource_id,
            "rows": a.rows,
            "bytes": a.bytes,
            "by_api_key": a.api_key_id is not None,
        }
        for a in session.scalars(
            select(GrantAccess)
            .where(GrantAccess.grant_id == grant.id)
            .order_by(GrantAccess.id.desc())
            .limit(LOG_LIMIT)
        )
    ]
    count, rows, size = session.execute(
        select(
            func.count(GrantAccess.id),
            func.coalesce(func.sum(GrantAccess.rows), 0),
            func.coalesce(func.sum(GrantAccess.bytes), 0),
        ).where(GrantAccess.grant_id == grant.id)
    ).one()
    reports = [
        {
            "at": r.at.isoformat(),
            "kind": r.kind,
            "kind_label": REPORT_KINDS.get(r.kind, r.kind),
            "text": r.text,
        }
        for r in session.scalars(
            select(UseReport).where(UseReport.grant_id == grant.id).order_by(UseReport.id)
        )
    ]
    overdue = overdue_reports(grant, today)
    return {
        "access_log": log,
        "usage": {"accesses": int(count or 0), "rows": int(rows or 0), "bytes": int(size or 0)},
        "reports": reports,
        "overdue_reports": overdue,
        "report_overdue": any(o["kind"] == "periodic" for o in overdue),
        "final_report_overdue": any(o["kind"] == "final" for o in overdue),
    }


def overdue_report_grants(
    session: Session, today: date, organization_id: str | None = None
) -> list[dict[str, Any]]:
    """Grants with an overdue use report (of one department's datasets, or all), earliest
    due first: where overdue things show up (the workspace, the bureau's dashboard)."""
    query = (
        select(Grant, Dataset.title, Organization.name, Organization.title, User)
        .join(Dataset, Dataset.id == Grant.dataset_id)
        .join(Organization, Organization.id == Dataset.organization_id)
        .join(User, User.id == Grant.user_id)
        .where(overdue_filter(today))
    )
    if organization_id is not None:
        query = query.where(Dataset.organization_id == organization_id)
    out = []
    for grant, title, org_name, org_title, holder in session.execute(query):
        for report in overdue_reports(grant, today):
            out.append(
                {
                    "id": grant.id,
                    "reference": grant.reference,
                    "link": f"/services/grants/{grant.id}",
                    "dataset_title": title,
                    "department": {"name": org_name, "title": org_title},
                    "holder": holder.company_name or holder.display_name,
                    "status": grant.status,
                    "report": report["label"],
                    "kind": report["kind"],
                    "due_on": report["due_on"],
                }
            )
    out.sort(key=lambda r: (r["due_on"], r["reference"]))
    return out


def count_overdue_reports(rt: Runtime) -> int:
    """How many use reports are overdue now, over all grants (for the daily sweep)."""
    today = shanghai_date(utcnow())
    with rt.reader() as session:
        return len(overdue_report_grants(session, today))
