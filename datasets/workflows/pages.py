"""The public services as each kind of user sees them: a department's queue (工作台), the
bureau's dashboard (复核与督办), a requester's own cases, and the pages of one application,
objection or grant together with the steps the viewer may take on it now.

Everything here only reads. The steps themselves are the services in ``applications``,
``objections`` and ``grants``, which check again; the ``actions`` listed here only decide which
forms a page offers, so that nobody is shown a button that would be refused.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.catalog.packages import resource_path
from datasets.errors import NotAuthorized, NotFound, ValidationError
from datasets.models import Case, Dataset, Grant, Organization, Resource
from datasets.notify.notices import case_link
from datasets.openness.curation import quarantined
from datasets.openness.rules import CONDITIONAL, RULES_BY_CODE, STATE_SECRET
from datasets.runtime import Runtime
from datasets.workdays import WorkCalendar, calendar_for, shanghai_date
from datasets.workflows import applications, grants, objections, scopes
from datasets.workflows import cases as c
from datasets.workflows.machine import APPLICATION, BUREAU, DEPARTMENT, MACHINES, OBJECTION

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
        "outcome_label": machine.states.get(case.outcome, case.outcome) if case.outcome else None,
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
    if "reviewer" not in actor.roles or not actor.organization_id:
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
    if "bureau" not in actor.roles:
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
            "overdue": overdue_groups,
            "overdue_count": sum(g["count"] for g in overdue_groups),
            "recent_decisions": recent,
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


# -- one case as its viewer sees it, with the steps open to them -----------------------------


def _is_requester(actor: Actor, case: Case) -> bool:
    return not actor.is_anonymous and actor.user_id == case.requester_id


def _is_department(actor: Actor, case: Case) -> bool:
    return "reviewer" in actor.roles and actor.organization_id == case.organization_id


def _application_actions(rt: Runtime, session: Session, actor: Actor, case: Case) -> list[str]:
    """The steps of ``machine.APPLICATION`` this viewer may take now, plus ``object``."""
    status, today, cal = case.status, _today(), calendar_for(rt)
    actions: list[str] = []
    if _is_department(actor, case):
        correction_until = cal.add(case.received_on, rt.settings.days_correction_request).on
        if status == "submitted" and not case.correction_used and today <= correction_until:
            actions.append("request_correction")
        if status == "submitted" and not case.extension_used and case.due_on is not None:
            actions.append("extend")
        if status in APPLICATION.transition("decide").sources:
            actions.append("decide")
    if _is_requester(actor, case):
        if status == "correction":
            actions.append("supplement")
        if status in APPLICATION.transition("sign").sources:
            actions.append("sign")
        if status in APPLICATION.transition("withdraw").sources:
            actions.append("withdraw")
        deadline = (case.body or {}).get("objection_deadline")
        filed = session.scalar(
            select(Case.id).where(Case.parent_id == case.id, Case.kind == OBJECTION.kind)
        )
        received = cal.received_on(c.now_utc()).on
        if (
            status in ("refused", "partial")
            and not filed
            and (not deadline or str(received) <= deadline)
        ):
            actions.append("object")
    return actions


def decision_rules() -> list[dict[str, str]]:
    """The grounds a refusal may cite: the exclusion rules (not state secrets, which are never
    stored here) and an unmet published condition."""
    rules = [
        {"code": rule.code, "title": f"第 {rule.number} 项：{rule.title}"}
        for code, rule in RULES_BY_CODE.items()
        if code != STATE_SECRET
    ]
    rules.append({"code": applications.UNMET_CONDITION, "title": "未满足已公布的开放条件"})
    return rules


def application_page(rt: Runtime, actor: Actor, application_id: str) -> dict[str, Any]:
    """The application for its applicant, its department and the bureau, with ``actions``, the
    requested and available fields, and the dataset's published conditions."""
    with rt.reader() as session:
        case = c.viewable(session, actor, application_id, APPLICATION.kind)
        out = applications.application_dict(session, case)
        out["actions"] = _application_actions(rt, session, actor, case)
        out["overdue"] = c.is_overdue(case, _today())
        out["awaiting_handler"] = c.awaits_handler(case)
        dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
        out["columns"] = [col.get("name") for col in (dataset.columns if dataset else []) or []]
        out["conditions"] = dataset.conditions if dataset else None
        out["objection_links"] = [
            {**o, "link": f"/services/objection/{o['id']}"} for o in out["objections"]
        ]
        out["viewer"] = {
            "requester": _is_requester(actor, case),
            "department": _is_department(actor, case),
            "bureau": "bureau" in actor.roles,
        }
    out["rules"] = decision_rules()
    # after a ruling in the applicant's favour the department may no longer refuse
    out["may_refuse"] = out["status"] != "ruling"
    return out


def objection_page(rt: Runtime, actor: Actor, objection_id: str) -> dict[str, Any]:
    """The objection with ``actions`` (the bureau's ``decide`` and ``escalate``) and the
    escalation stages still open, in order."""
    with rt.reader() as session:
        case = c.viewable(session, actor, objection_id, OBJECTION.kind)
        out = objections.objection_dict(session, case)
        out["overdue"] = c.is_overdue(case, _today())
        actions: list[str] = []
        stages: list[dict[str, str]] = []
        if "bureau" in actor.roles and case.status == "submitted":
            actions.append("decide")
            order = list(objections.STAGES)
            done = [step["stage"] for step in out["escalations"]]
            start = order.index(done[-1]) + 1 if done else 0
            stages = [{"code": s, "title": objections.STAGES[s]} for s in order[start:]]
            if stages:
                actions.append("escalate")
        out["actions"] = actions
        out["stages"] = stages
        out["application_link"] = f"/services/application/{case.parent_id}"
        return out


def grant_page(rt: Runtime, actor: Actor, grant_id: str) -> dict[str, Any]:
    """The grant for its holder (with the dataset's files to download and the use-report form)
    and for the department and the bureau (with suspend, restore and revoke, and the
    confirmation of a scope whose columns changed)."""
    out = grants.get_grant(rt, actor, grant_id)
    with rt.reader() as session:
        grant = session.get(Grant, out["id"])
        holder = actor.user_id == grant.user_id
        dataset = session.get(Dataset, grant.dataset_id)
        manager = "bureau" in actor.roles or (
            "reviewer" in actor.roles and actor.organization_id == dataset.organization_id
        )
        actions: list[str] = []
        if holder and grant.status in OPEN_GRANTS:
            actions.append("report")
        if manager:
            actions += {
                "active": ["suspend", "revoke"],
                "suspended": ["restore", "revoke"],
            }.get(grant.status, [])
        if (
            out["scope_state"] == scopes.NEEDS_CONFIRMATION
            and grant.status in OPEN_GRANTS
            and scopes.may_confirm_scope(session, actor, grant)
        ):
            actions.append("confirm_scope")
            out["current_columns"] = scopes.names(dataset.columns if dataset else [])
        out["actions"] = actions
        out["holder_view"] = holder
        files = session.scalars(
            select(Resource)
            .where(Resource.dataset_id == grant.dataset_id)
            .order_by(Resource.position)
        ).all()
        out["resource_names"] = {r.id: r.name for r in files}
        out["resources"] = []
        if holder and dataset is not None and dataset.openness == CONDITIONAL:
            out["resources"] = [
                {
                    "id": r.id,
                    "name": r.name,
                    "format": (r.format or "").upper(),
                    "filename": r.filename,
                    "url": resource_path(dataset.name, r.id, r.filename),
                }
                for r in files
            ]
        out["application_link"] = f"/services/application/{grant.application_id}"
    out["reasons"] = [{"code": k, "title": v} for k, v in grants.REASONS.items()]
    out["report_overdue"] = bool(out["report_due_on"] and out["report_due_on"] < str(_today()))
    return out


def application_form(rt: Runtime, actor: Actor, dataset_name: str) -> dict[str, Any]:
    """What the application form shows: the conditional dataset, its columns and published
    conditions, the access modes and the longest period. Refuses as ``applications.submit``
    would: sign in first; only citizens and companies apply; only for conditional data."""
    c.require_signed_in(actor)
    if not actor.roles & {"company", "citizen"}:
        raise NotAuthorized("有条件开放数据须以企业或个人账户申请")
    with rt.reader() as session:
        dataset = session.scalar(
            select(Dataset).where((Dataset.name == dataset_name) | (Dataset.id == dataset_name))
        )
        if dataset is None or dataset.state != "active":
            raise NotFound(f"未找到数据集 {dataset_name}")
        if dataset.openness != CONDITIONAL:
            raise ValidationError(
                "该数据集不是有条件开放数据"
                + ("，可直接下载" if dataset.openness == "unconditional" else "，可提出开放需求"),
                {"dataset": ["不是有条件开放数据"]},
            )
        org = session.get(Organization, dataset.organization_id)
        return {
            "dataset": {
                "name": dataset.name,
                "title": dataset.title,
                "conditions": dataset.conditions,
                "department": org.title if org else None,
            },
            "columns": [col.get("name") for col in dataset.columns or [] if col.get("name")],
            "access_modes": dict(applications.ACCESS_MODES),
            "max_months": rt.settings.grant_max_months,
        }
