"""Applications for conditional data (有条件开放申请): submit, 补正, extension, decision, the
data-use agreement and, once it is signed, the grant.

Who may take each step, when, and the deadline it starts are in ``machine.APPLICATION``; each
step checks there (``cases.check``) before it changes anything. Each step takes its typed
request (``step_requests``), parsed at the edge. The decision is in ``application_decisions``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts import permissions as may
from datasets.accounts.permissions import Actor
from datasets.errors import Conflict, NotAuthorized, ValidationError, raise_problems
from datasets.models import Case, Dataset, Grant
from datasets.notify.notices import case_link, notify_department, notify_requester
from datasets.openness.rules import CONDITIONAL
from datasets.runtime import Runtime
from datasets.workflows import cases as c
from datasets.workflows.agreements import current_agreement
from datasets.workflows.machine import APPLICATION, Context
from datasets.workflows.step_requests import (
    ACCESS_MODES,
    DECISIONS,
    TEXT_FIELDS,
    UNMET_CONDITION,
    Application,
    Correction,
    Extension,
    Signature,
    Supplement,
    Withdrawal,
)

__all__ = ["ACCESS_MODES", "DECISIONS", "TEXT_FIELDS", "UNMET_CONDITION", "current_agreement"]


def require_conditional(dataset: Dataset) -> None:
    """Only conditional data is applied for (open data is downloaded, closed data requested)."""
    if dataset.openness != CONDITIONAL:
        raise ValidationError(
            "该数据集不是有条件开放数据"
            + ("，可直接下载" if dataset.openness == "unconditional" else "，可提出开放需求"),
            {"dataset": ["不是有条件开放数据"]},
        )


def unknown_fields(dataset: Dataset | None, fields: tuple[str, ...]) -> c.Problems:
    """A problem on ``fields`` naming those the dataset does not have."""
    known = [col.get("name") for col in (dataset.columns if dataset else None) or []]
    unknown = [f for f in fields if f not in known]
    return {"fields": [f"数据集没有这些字段：{'、'.join(unknown)}"]} if unknown else {}


def authorize_submit(actor: Actor) -> None:
    """Who may apply, checked before a request is read: 401 signed out, 403 for other roles."""
    c.require_signed_in(actor)
    if not may.can_apply_for_conditional_data(actor):
        raise NotAuthorized("有条件开放数据须以企业或个人账户申请")


def submit(rt: Runtime, actor: Actor, request: Application) -> dict[str, Any]:
    """File an application; answers with its reference, receipt date and deadline."""
    authorize_submit(actor)
    with rt.session() as session:
        found: c.Problems = {}
        dataset = c.find_dataset(session, request.dataset, found)
        raise_problems(found)
        assert dataset is not None  # or find_dataset named a problem
        require_conditional(dataset)
        raise_problems(unknown_fields(dataset, request.fields))
        pending = session.scalar(
            select(Case.reference).where(
                Case.kind == APPLICATION.kind,
                Case.requester_id == actor.user_id,
                Case.dataset_id == dataset.id,
                Case.closed_at.is_(None),
            )
        )
        if pending:
            raise Conflict(f"您对该数据集已有未办结的申请 {pending}")
        body = {key: getattr(request, key) for key in TEXT_FIELDS}
        body.update(
            fields=list(request.fields),
            period_months=request.period_months,
            access_mode=request.access_mode,
        )
        case = c.open_case(
            rt,
            session,
            machine=APPLICATION,
            actor=actor,
            status="submitted",
            organization_id=dataset.organization_id,
            dataset_id=dataset.id,
            requester_id=actor.user_id,
            requester_key=actor.user_id,
            body=body,
        )
        notify_department(
            session,
            dataset.organization_id,
            subject=f"新的有条件开放申请 {case.reference}：{dataset.title}",
            body=f"请于 {case.due_on} 前作出决定。",
            link=case_link(case),
            case=case,
        )
        return application_dict(session, case)


def get(rt: Runtime, actor: Actor, application_id: str) -> dict[str, Any]:
    with rt.reader() as session:
        case = c.viewable(session, actor, application_id, APPLICATION.kind)
        return application_dict(session, case)


def load(
    rt: Runtime,
    session: Session,
    actor: Actor,
    application_id: str,
    name: str,
    *,
    target: str | None = None,
    **facts: Any,
) -> tuple[Case, Context]:
    """The application, locked, once ``actor`` may take transition ``name`` (to ``target``) on
    it now; ``facts`` for the guards (``machine``)."""
    c.require_signed_in(actor)
    case = c.load_case(session, application_id, APPLICATION.kind, lock=True)
    return case, c.check(rt, actor, case, name, target, **facts)


def request_correction(
    rt: Runtime, actor: Actor, application_id: str, request: Correction
) -> dict[str, Any]:
    """Ask once for missing items (补正), within the set days of receipt; the clock stops."""
    with rt.session() as session:
        case, ctx = load(rt, session, actor, application_id, "request_correction")
        c.pause_clock(ctx.calendar, case)
        case.correction_used = True
        case.body = {**case.body, "correction_items": request.items}
        c.transit(session, case, actor, "request_correction", "correction", note=request.items)
        notify_requester(
            session,
            case,
            subject=f"申请 {case.reference} 需要补正材料",
            body=request.items,
            link=case_link(case),
        )
        return application_dict(session, case)


def supplement(
    rt: Runtime, actor: Actor, application_id: str, request: Supplement
) -> dict[str, Any]:
    """The applicant supplies the missing items; the clock restarts with the days left."""
    with rt.session() as session:
        case, ctx = load(rt, session, actor, application_id, "supplement")
        case.body = {**case.body, **dict(request.changes), "correction_reply": request.note}
        c.resume_clock(ctx.calendar, case)
        c.transit(session, case, actor, "supplement", "submitted", note=request.note)
        notify_department(
            session,
            case.organization_id,
            subject=f"申请 {case.reference} 已补正",
            body=f"请于 {case.due_on} 前作出决定。",
            link=case_link(case),
            case=case,
        )
        return application_dict(session, case)


def extend(rt: Runtime, actor: Actor, application_id: str, request: Extension) -> dict[str, Any]:
    """Extend the deadline once, with a reason, by at most ``days_extension`` working days."""
    with rt.session() as session:
        case, ctx = load(rt, session, actor, application_id, "extend")
        assert case.due_on is not None  # the clock of a submitted application runs
        due = ctx.calendar.add(case.due_on, request.days)
        case.due_on = due.on
        case.due_provisional = case.due_provisional or due.provisional
        case.extension_used = True
        case.body = {
            **case.body,
            "extension_reason": request.reason,
            "extension_days": request.days,
        }
        c.transit(
            session, case, actor, "extend", "submitted", note=request.reason, due_on=str(due.on)
        )
        notify_requester(
            session,
            case,
            subject=f"申请 {case.reference} 答复期限延长至 {case.due_on}",
            body=request.reason,
            link=case_link(case),
        )
        return application_dict(session, case)


def sign(rt: Runtime, actor: Actor, application_id: str, request: Signature) -> dict[str, Any]:
    """The applicant signs the current agreement; only then does the grant exist."""
    from datasets.workflows.grants import create_grant

    agreement = current_agreement()
    if request.agreement_version != agreement.version:
        raise Conflict(
            f"请签署现行协议版本 {agreement.version}"
            f"（提交的版本为 {request.agreement_version or '空'}）"
        )
    with rt.session() as session:
        case, _ = load(rt, session, actor, application_id, "sign")
        grant = create_grant(rt, session, case, agreement)
        c.transit(
            session,
            case,
            actor,
            "sign",
            "granted",
            agreement_version=agreement.version,
            grant=grant.reference,
        )
        notify_department(
            session,
            case.organization_id,
            subject=f"申请 {case.reference} 已签署协议，授权 {grant.reference} 生效",
            link=case_link(case),
            case=case,
        )
        return application_dict(session, case)


def withdraw(
    rt: Runtime, actor: Actor, application_id: str, request: Withdrawal | None = None
) -> dict[str, Any]:
    with rt.session() as session:
        case, _ = load(rt, session, actor, application_id, "withdraw")
        c.transit(session, case, actor, "withdraw", "withdrawn")
        return application_dict(session, case)


def application_dict(session: Session, case: Case) -> dict[str, Any]:
    out = c.case_dict(session, case)
    body = out.pop("body")
    out.update({key: body.get(key) for key in (*TEXT_FIELDS, "period_months", "access_mode")})
    out["fields"] = body.get("fields") or []
    out["all_fields"] = not out["fields"]  # asked for every field, as an explicit choice
    out["attachments"] = [
        {
            **{k: item[k] for k in ("id", "name", "media_type", "size", "sha256", "at")},
            "url": f"/api/v1/applications/{case.id}/attachments/{item['id']}",
        }
        for item in body.get("attachments") or []
    ]
    out["decision"] = {"approved": "approve", "partial": "partial", "refused": "refuse"}.get(
        case.outcome or ""
    )
    out["reason"] = case.reply
    out["granted_fields"] = body.get("granted_fields")
    for key in (
        "correction_items",
        "correction_reply",
        "extension_reason",
        "objection_deadline",
        "objection_instructions",
        "agreement_version",
    ):
        out[key] = body.get(key)
    grant = session.scalar(select(Grant).where(Grant.application_id == case.id))
    out["grant"] = None
    if grant is not None:
        from datasets.workflows.grants import grant_dict

        out["grant"] = grant_dict(session, grant)
    objections = session.scalars(
        select(Case).where(Case.parent_id == case.id, Case.kind == "objection")
    ).all()
    out["objections"] = [
        {"id": o.id, "reference": o.reference, "status": o.status, "outcome": o.outcome}
        for o in objections
    ]
    return out


def list_applications(
    rt: Runtime, actor: Actor, *, mine: bool = True, limit: int = 100
) -> list[dict[str, Any]]:
    """The caller's own applications, newest first."""
    c.require_signed_in(actor)
    with rt.reader() as session:
        rows = session.scalars(
            select(Case)
            .where(Case.kind == APPLICATION.kind, Case.requester_id == actor.user_id)
            .order_by(Case.received_at.desc())
            .limit(limit)
        ).all()
        out = []
        for case in rows:
            d = c.case_dict(session, case)
            d.pop("history")
            d.pop("body")
            out.append(d)
        return out
