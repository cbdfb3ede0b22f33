"""The public services' lists as each kind of user sees them: a department's queue (工作台),
the bureau's dashboard (复核与督办) and a requester's own cases, each row with where the case
stands and how much time is left. Everything here only reads.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts import permissions as may
from datasets.accounts.permissions import Actor
from datasets.errors import NotAuthorized, ValidationError
from datasets.models import Case, Dataset, Grant, Organization
from datasets.notify.notices import case_link
from datasets.openness.curation import quarantined
from datasets.runtime import Runtime
from datasets.workdays import WorkCalendar, calendar_for, shanghai_date
from datasets.workflows import cases as c
from datasets.workflows import grant_usage, grants
from datasets.workflows.inputs.opening import CATEGORIES, CONCLUSIONS
from datasets.workflows.machine import BUREAU, DEPARTMENT, MACHINES, OBJECTION, REVIEW

RECENT_DECISIONS = 20
# the kinds of case a department's queue can be narrowed to (objections are the bureau's)
QUEUE_KINDS = {kind: m.label for kind, m in MACHINES.items() if kind != OBJECTION.kind}
OPEN_GRANTS = ("active", "suspended")


def _today() -> date:
    return shanghai_date(c.now_utc())


def _days_left(cal: WorkCalendar, today: date, due_on: date | None) -> int | None:
    """Working days until the deadline: positive ahead of it, 0 on the day, negative (or 0 over
    a weekend) once it has passed; None while the clock is paused."""
    if due_on is None:
        return None
    if due_on >= today:
        return cal.between(today, due_on)
    return -cal.between(due_on, today)


def _queue_order(item: dict[str, Any]) -> tuple:
    """Open before closed; those waiting for the handler with a running clock first, by
    deadline (so overdue ones lead); then paused ones and those waiting for the requester;
    ties by receipt."""
    dated = item["awaiting_handler"] and item["due_on"] is not None
    return (item["closed"], not dated, item["due_on"] or "", item["received_at"])


def _case_item(
    case: Case,
    *,
    cal: WorkCalendar,
    today: date,
    datasets: dict[str, Dataset],
    orgs: dict[str, Organization],
) -> dict[str, Any]:
    """One row of a queue: what the case is, where it stands and how much time is left."""
    machine = MACHINES[case.kind]
    dataset = datasets.get(case.dataset_id or "")
    org = orgs.get(case.organization_id or "")
    closed = case.status in machine.final
    waiting = c.awaits_handler(case)
    return {
        "id": case.id,
        "reference": case.reference,
        "kind": case.kind,
        "kind_label": machine.label,
        "status": case.status,
        "status_label": machine.states.get(case.status, case.status),
        "closed": closed,
        "handler": case.handler,
        "department": {"name": org.name, "title": org.title} if org else None,
        "dataset": {"name": dataset.name, "title": dataset.title} if dataset else None,
        "dataset_title": dataset.title if dataset else None,
        "received_at": case.received_at.isoformat(),
        "received_on": str(case.received_on),
        "due_on": str(case.due_on) if case.due_on else None,
        "due_provisional": bool(case.due_provisional),
        "clock_paused": case.due_on is None and case.paused_remaining is not None,
        "paused_remaining": case.paused_remaining,
        "awaiting_handler": waiting,
        "overdue": c.is_overdue(case, today),
        "days_left": _days_left(cal, today, case.due_on) if waiting else None,
        "outcome": case.outcome,
        "outcome_label": _outcome_label(machine.states, case.outcome),
        "decided_on": str(case.decided_on) if case.decided_on else None,
        "decided_on_time": case.decided_on_time,
        "link": case_link(case),
    }


def _items(rt: Runtime, session: Session, cases: list[Case]) -> list[dict[str, Any]]:
    """Queue rows for ``cases`` (their datasets and departments loaded in two queries)."""
    cal, today = calendar_for(rt), _today()
    dataset_ids = {k.dataset_id for k in cases if k.dataset_id}
    org_ids = {k.organization_id for k in cases if k.organization_id}
    datasets = {
        d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_(dataset_ids)))
    }
    orgs = {
        o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
    }
    return [_case_item(k, cal=cal, today=today, datasets=datasets, orgs=orgs) for k in cases]


def _grant_row(session: Session, grant: Grant) -> dict[str, Any]:
    out = grants.grant_dict(session, grant)
    out["link"] = f"/services/grants/{grant.id}"
    out["report_overdue"] = bool(grant.report_due_on and grant.report_due_on < _today())
    return out


# -- the department's queue (工作台) ---------------------------------------------------------


def department_queue(
    rt: Runtime, actor: Actor, *, include_closed: bool = False, kind: str | None = None
) -> dict[str, Any]:
    """Every case the reviewer's department must act on, earliest deadline first (so overdue
    ones lead; paused ones follow the dated ones), the department's live grants, and its
    quarantined datasets: why each is held (the scanner's findings, masked examples only, and
    the files waiting for the department's confirmation, 人工确认, with their reasons)."""
    c.require_signed_in(actor)
    if not may.can_use_workspace(actor):
        raise NotAuthorized("工作台仅供数据提供部门的审核人员使用")
    if kind is not None and kind not in MACHINES:
        raise ValidationError(f"未知的事项类型 {kind}", {"kind": list(MACHINES)})
    with rt.reader() as session:
        org = session.get(Organization, actor.organization_id)
        query = select(Case).where(
            Case.organization_id == actor.organization_id, Case.handler == DEPARTMENT
        )
        if not include_closed:
            query = query.where(Case.closed_at.is_(None))
        if kind is not None:
            query = query.where(Case.kind == kind)
        items = sorted(_items(rt, session, list(session.scalars(query))), key=_queue_order)
        live = session.scalars(
            select(Grant)
            .join(Dataset, Dataset.id == Grant.dataset_id)
            .where(Dataset.organization_id == actor.organization_id, Grant.status.in_(OPEN_GRANTS))
            .order_by(Grant.expires_on)
        ).all()
        open_items = [i for i in items if not i["closed"]]
        quarantine = quarantined(session, actor=actor, organization_id=actor.organization_id)
        return {
            "department": {"name": org.name, "title": org.title} if org else None,
            "today": str(_today()),
            "cases": items,
            "counts": {
                "open": len(open_items),
                "overdue": sum(1 for i in open_items if i["overdue"]),
                "paused": sum(1 for i in open_items if i["clock_paused"]),
            },
            "grants": [_grant_row(session, g) for g in live],
            "overdue_reports": grant_usage.overdue_report_grants(
                session, _today(), actor.organization_id
            ),
            "quarantine": quarantine,
            "held_files": sum(len(q["held"]) for q in quarantine),
        }


# -- the bureau's dashboard (复核与督办) -----------------------------------------------------


def _bureau_group(rt: Runtime) -> dict[str, str]:
    return {"name": "bureau", "title": rt.settings.supervisor_name}


def bureau_dashboard(rt: Runtime, actor: Actor) -> dict[str, Any]:
    """What the supervising bureau watches: its own open 复核 cases by deadline, every overdue
    case grouped by who must act (each department, and the bureau itself), the latest
    decisions, and how many cases each department has open."""
    c.require_signed_in(actor)
    if not may.can_supervise(actor):
        raise NotAuthorized("复核与督办仅供主管部门使用")
    with rt.reader() as session:
        open_cases = list(session.scalars(select(Case).where(Case.closed_at.is_(None))))
        items = sorted(_items(rt, session, open_cases), key=_queue_order)
        objection_rows = [i for i in items if i["kind"] == OBJECTION.kind]

        overdue: dict[str, dict[str, Any]] = {}
        per_department: dict[str, dict[str, Any]] = {}
        for item in items:
            if item["handler"] == BUREAU:
                group = _bureau_group(rt)
            else:
                group = item["department"] or {"name": "", "title": "（未指定部门）"}
            if item["overdue"]:
                entry = overdue.setdefault(group["name"], {"department": group, "items": []})
                entry["items"].append(item)
            if item["handler"] == DEPARTMENT:
                counts = per_department.setdefault(
                    group["name"],
                    {"department": group, "open": 0, "overdue": 0, "paused": 0, "by_kind": {}},
                )
                counts["open"] += 1
                counts["overdue"] += int(item["overdue"])
                counts["paused"] += int(item["clock_paused"])
                counts["by_kind"][item["kind_label"]] = (
                    counts["by_kind"].get(item["kind_label"], 0) + 1
                )
        overdue_groups = [{**g, "count": len(g["items"])} for g in overdue.values()]
        overdue_groups.sort(key=lambda g: (-g["count"], g["department"]["title"]))

        decided = list(
            session.scalars(
                select(Case)
                .where(Case.decided_at.is_not(None))
                .order_by(Case.decided_at.desc())
                .limit(RECENT_DECISIONS)
            )
        )
        recent = _items(rt, session, decided)
        return {
            "today": str(_today()),
            "objections": objection_rows,
            "reviews": [i for i in items if i["kind"] == REVIEW.kind],
            "overdue": overdue_groups,
            "overdue_count": sum(g["count"] for g in overdue_groups),
            "recent_decisions": recent,
            "overdue_reports": grant_usage.overdue_report_grants(session, _today()),
            "departments": sorted(
                per_department.values(), key=lambda d: (-d["open"], d["department"]["title"])
            ),
        }


# -- the requester's own cases ---------------------------------------------------------------


def my_cases(rt: Runtime, actor: Actor) -> dict[str, Any]:
    """The caller's own cases of every kind, newest first, and their grants."""
    c.require_signed_in(actor)
    with rt.reader() as session:
        own = list(
            session.scalars(
                select(Case)
                .where(Case.requester_id == actor.user_id)
                .order_by(Case.received_at.desc())
            )
        )
        held = session.scalars(
            select(Grant).where(Grant.user_id == actor.user_id).order_by(Grant.signed_at.desc())
        ).all()
        return {
            "cases": _items(rt, session, own),
            "grants": [_grant_row(session, g) for g in held],
        }


def _outcome_label(states: dict[str, str], outcome: str | None) -> str | None:
    """An outcome in Chinese: a state of the case's machine, or an answer's category or an
    assessment's conclusion (an opening request "refused" under a rule …)."""
    if not outcome:
        return None
    return states.get(outcome) or CATEGORIES.get(outcome) or CONCLUSIONS.get(outcome, outcome)
