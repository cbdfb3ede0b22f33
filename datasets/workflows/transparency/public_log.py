"""The public log of decisions and replies: every decided or closed case of every kind, with
what was decided, by which department, when, and the reply blanked of personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from datasets.errors import ValidationError
from datasets.models import Case, Dataset, Organization
from datasets.openness import rules as op
from datasets.runtime import Runtime
from datasets.workdays import shanghai_date
from datasets.workflows.inputs.feedback import RIGHTS_DECISIONS
from datasets.workflows.inputs.opening import CATEGORIES, CONCLUSIONS, REVIEW_CONCLUSIONS
from datasets.workflows.machine import MACHINES
from datasets.workflows.redaction import public_reply
from datasets.workflows.transparency.paging import page_args, pages

MAX_PAGE = 100

# (requests.CATEGORIES, feedback.RIGHTS_DECISIONS …) take precedence, and anything else falls
# back to the state labels of the case's machine
OUTCOME_LABELS = {
    "approved": "同意",
    "partial": "部分同意",
    "refused": "不予同意",
    "upheld": "维持原决定",
    "overturned": "撤销原决定",
    "corrected": "已更正",
    "not_corrected": "经核实未作更正",
    "answered": "已答复",
    **{f"opening_request:{k}": v for k, v in CATEGORIES.items()},
    **{f"assessment:{k}": v for k, v in CONCLUSIONS.items()},
    **{f"review:{k}": v for k, v in REVIEW_CONCLUSIONS.items()},
    **{f"rights_objection:{k}": v for k, v in RIGHTS_DECISIONS.items()},
}
UNMET_CONDITION_TITLE = "未满足已公布的开放条件"


def outcome_label(case: Case) -> str:
    machine = MACHINES[case.kind]
    if case.kind == "application" and case.status == "ruling":
        return "原决定已被复核撤销，待部门提供"
    if case.kind == "opening_request" and case.status == "ruling":
        return "原答复已被复核撤销，待部门重新答复"
    if case.outcome:
        label = (
            OUTCOME_LABELS.get(f"{case.kind}:{case.outcome}")
            or OUTCOME_LABELS.get(case.outcome)
            or machine.states.get(case.outcome, case.outcome)
        )
        open_by = promised_date(case)
        if case.outcome == "will_open" and open_by:
            label = f"计划于 {open_by} 前开放"
        return label
    return machine.states.get(case.status, case.status)


def promised_date(case: Case) -> str | None:
    """The date by which a department promised to open the data (an opening request answered
    "will open"): kept in the answer (``body["answer"]["open_by"]``)."""
    body = case.body or {}
    answer = body.get("answer")
    found = (answer.get("open_by") if isinstance(answer, dict) else None) or body.get("open_by")
    return str(found) if found else None


def rule_title(code: str | None) -> str | None:
    if not code:
        return None
    if code == "unmet-condition":
        return UNMET_CONDITION_TITLE
    rule = op.RULES_BY_CODE.get(code)
    return f"第（{rule.number}）项：{rule.title}" if rule else code


# -- the public log of decisions and replies ---------------------------------------------------


def public_case(session: Session, case: Case, org: Organization | None, ds: Dataset | None) -> dict:
    """The public record of a decided or closed case: what was decided, by whom, when."""
    machine = MACHINES[case.kind]
    body = case.body or {}
    out = {
        "reference": case.reference,
        "kind": case.kind,
        "kind_label": machine.label,
        "department": {"name": org.name, "title": org.title} if org else None,
        "handler": "bureau" if case.handler == "bureau" else "department",
        "dataset": {"name": ds.name, "title": ds.title}
        if ds is not None and ds.state == "active"
        else None,
        "received_on": str(case.received_on),
        "due_on": str(case.due_on) if case.due_on else None,
        # never published as 办结 before 受理 (a case filed on a non-working day is received later)
        "decided_on": str(max(case.decided_on, case.received_on)) if case.decided_on else None,
        "closed_on": str(max(shanghai_date(case.closed_at), case.received_on))
        if case.closed_at
        else None,
        "on_time": case.decided_on_time,
        "status": case.status,
        "status_label": machine.states.get(case.status, case.status),
        "outcome": case.outcome,
        "outcome_label": outcome_label(case),
        "rule_code": case.rule_code,
        "rule_title": rule_title(case.rule_code),
        "reply": public_reply(session, case),
        "open_by": promised_date(case) if case.outcome == "will_open" else None,
        "related_reference": body.get("application_reference") or body.get("subject_reference"),
    }
    return out


def _decision_filters(session: Session, kind: str | None, department: str | None) -> list[Any]:
    where: list[Any] = [or_(Case.decided_at.is_not(None), Case.closed_at.is_not(None))]
    if kind:
        if kind not in MACHINES:
            raise ValidationError(
                f"未知的事项类型 {kind}", {"kind": ["可选：" + "、".join(MACHINES)]}
            )
        where.append(Case.kind == kind)
    if department:
        org_id = session.scalar(select(Organization.id).where(Organization.name == department))
        if org_id is None:
            raise ValidationError(f"没有名为 {department} 的部门", {"department": ["未知的部门"]})
        where.append(Case.organization_id == org_id)
    return where


def decisions(
    rt: Runtime,
    *,
    kind: str | None = None,
    department: str | None = None,
    page: Any = 1,
    per_page: Any = 20,
) -> dict[str, Any]:
    """Decided and closed cases of every kind, newest decision first (public, no sign-in)."""
    page, per_page = page_args(page, per_page, MAX_PAGE)
    with rt.reader() as session:
        where = _decision_filters(session, kind or None, department or None)
        total = session.scalar(select(func.count(Case.id)).where(*where)) or 0
        when = func.coalesce(Case.decided_at, Case.closed_at)
        rows = session.execute(
            select(Case, Organization, Dataset)
            .outerjoin(Organization, Organization.id == Case.organization_id)
            .outerjoin(Dataset, Dataset.id == Case.dataset_id)
            .where(*where)
            .order_by(when.desc(), Case.reference.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        items = [public_case(session, case, org, ds) for case, org, ds in rows]
        return {
            "decisions": items,
            "count": total,
            "page": page,
            "per_page": per_page,
            "pages": pages(total, per_page),
            "filters": {"kind": kind or None, "department": department or None},
            "kinds": [{"kind": k, "label": m.label} for k, m in MACHINES.items()],
            "departments": _departments(session),
        }


def _departments(session: Session) -> list[dict[str, str]]:
    """The departments with decisions to list (the filter's choices: a province has thousands
    of departments, most with none)."""
    with_decisions = select(Case.organization_id).where(*_decision_filters(session, None, None))
    return [
        {"name": name, "title": title}
        for name, title in session.execute(
            select(Organization.name, Organization.title)
            .where(Organization.id.in_(with_decisions))
            .order_by(Organization.title)
        )
    ]
