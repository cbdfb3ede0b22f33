"""Objections (异议 → 复核 by the supervising bureau) to a refusal of an application, to a
department's answer to a request to open data, and to a grant's suspension or revocation
(``appeals``).

The applicant, requester or holder files within the window the decision opened; the bureau
decides within the deadline the filing starts. Upholding closes the matter; overturning acts on
what the objection is against: an application goes back to its department (status
``ruling``), which must then grant in time; an answer goes back to be answered again; a grant is
restored. The 广州 escalation ladder (coordination → joint review → 市政府 ruling) is recorded on
the objection. Deadlines and who may act: ``machine.APPLICATION``, ``machine.OPENING_REQUEST``,
``machine.GRANT`` and ``machine.OBJECTION``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.errors import Conflict, NotFound
from datasets.models import Case
from datasets.notify.notices import case_link, notify_bureau, notify_department, notify_requester
from datasets.runtime import Runtime
from datasets.workflows import appeals, grant_steps, grants
from datasets.workflows import case_access as ca
from datasets.workflows import cases as c
from datasets.workflows.inputs.opening import AnswerObjectionInput
from datasets.workflows.machine import (
    APPLICATION,
    BUREAU,
    GRANT,
    OBJECTION,
    OPENING_REQUEST,
    STAGES,
    Context,
)
from datasets.workflows.step_requests import OBJECTION_DECISIONS as DECISIONS
from datasets.workflows.step_requests import Escalation, Objection, Ruling

__all__ = ["DECISIONS", "STAGES"]


def filed_objection(session: Session, application: Case) -> str | None:
    """The reference of the objection already filed against ``application``, if any (the
    table's ``not_yet_objected`` guard reads it as ``facts["objection"]``)."""
    return session.scalar(
        select(Case.reference).where(Case.parent_id == application.id, Case.kind == OBJECTION.kind)
    )


def _announce(session: Session, case: Case, what: str, organization_id: str | None) -> None:
    """Tell the bureau (which must decide) and the department (whose decision it is)."""
    notify_bureau(
        session,
        subject=f"新的复核申请 {case.reference}（针对 {what}）",
        body=f"请于 {case.due_on} 前作出复核决定。",
        link=case_link(case),
        case=case,
    )
    notify_department(
        session,
        organization_id,
        subject=f"{what}被提请复核",
        link=case_link(case),
        case=case,
    )


def file_objection(
    rt: Runtime, actor: Actor, application_id: str, request: Objection
) -> dict[str, Any]:
    """The applicant objects to a refusal (or partial refusal) of their application."""
    c.require_signed_in(actor)
    with rt.session() as session:
        application = c.load_case(session, application_id, APPLICATION.kind, lock=True)
        filed = filed_objection(session, application)
        c.check(rt, actor, application, "object", objection=filed)
        case = _open_objection(
            rt,
            session,
            actor,
            organization_id=application.organization_id,
            dataset_id=application.dataset_id,
            requester_id=actor.user_id,
            requester_key=actor.user_id,
            parent_id=application.id,
            body={
                "subject": APPLICATION.kind,
                "reason": request.reason,
                "application_reference": application.reference,
            },
        )
        c.audit(session, actor, "application.objection", application, objection=case.reference)
        _announce(
            session, case, f"申请 {application.reference} 的决定", application.organization_id
        )
        return objection_dict(session, case)


def _open_objection(rt: Runtime, session: Session, actor: Actor, **fields: Any) -> Case:
    """A new objection (复核) for the bureau, filed by ``actor``; ``fields`` name what it is
    against (department, dataset, parent case, requester, body)."""
    return c.open_case(
        rt, session, machine=OBJECTION, actor=actor, status="submitted", handler=BUREAU, **fields
    )


# -- against an answer to a request to open data ------------------------------------------------


def _answered(
    rt: Runtime, session: Session, actor: Actor, request_id: str, code: str | None, *, lock: bool
) -> tuple[Case, Context]:
    """The request, if ``actor`` may object to its answer now: 404 for one who is neither a
    participant nor holds its code (as for a request that does not exist), then what the
    table refuses (403 for the wrong party, 409 for the state, the window or a second
    objection)."""
    try:
        request = c.load_case(session, request_id, OPENING_REQUEST.kind, lock=lock)
    except NotFound:
        raise ca.hidden(OPENING_REQUEST.kind) from None
    code_holder = ca.code_opens(request.access_code_hash, code)
    if not c.can_view(actor, request) and not code_holder:
        raise ca.hidden(OPENING_REQUEST.kind)
    facts = {"objection": appeals.answered_objection(session, request), "code_holder": code_holder}
    ctx = c.context(rt, actor, request, **facts)
    OPENING_REQUEST.check("object", ctx)
    return request, ctx


def admit_answer_objection(
    rt: Runtime, actor: Actor, request_id: str, code: str | None = None
) -> None:
    """The checks of ``file_answer_objection``, before the request body is read."""
    with rt.reader() as session:
        _answered(rt, session, actor, request_id, code, lock=False)


def file_answer_objection(
    rt: Runtime,
    actor: Actor,
    request_id: str,
    form: AnswerObjectionInput,
    *,
    code: str | None = None,
) -> dict[str, Any]:
    """The requester — signed in, or holding the request's access code — objects to the
    department's answer (岳阳 第二十八条第二款). The objection goes to the bureau with the
    request's requester and contact details, so the bureau can reach them."""
    with rt.session() as session:
        request, _ = _answered(rt, session, actor, request_id, code, lock=True)
        case = _open_objection(
            rt,
            session,
            actor,
            organization_id=request.organization_id,
            dataset_id=request.dataset_id,
            requester_id=request.requester_id,
            requester_key=request.requester_key,
            contact=dict(request.contact or {}),
            parent_id=request.id,
            body={
                "subject": OPENING_REQUEST.kind,
                "reason": form.reason,
                "subject_reference": request.reference,
                "answer_category": request.outcome,
            },
        )
        c.audit(session, actor, "opening_request.objection", request, objection=case.reference)
        _announce(session, case, f"开放需求 {request.reference} 的答复", request.organization_id)
        return objection_dict(session, case)


# -- against a grant's suspension or revocation ------------------------------------------------


def file_grant_objection(
    rt: Runtime, actor: Actor, grant_id: str, request: Objection
) -> dict[str, Any]:
    """The holder objects to the suspension or revocation of their grant."""
    c.require_signed_in(actor)
    with rt.session() as session:
        grant = grant_steps.load_grant(session, grant_id)
        if not grants.may_see(session, actor, grant):
            raise NotFound(f"未找到授权 {grant_id}")
        facts = appeals.grant_facts(rt, session, grant)
        GRANT.check("object", grant_steps.context(rt, session, actor, grant, **facts))
        organization_id = grants.organization_of(session, grant)
        case = _open_objection(
            rt,
            session,
            actor,
            organization_id=organization_id,
            dataset_id=grant.dataset_id,
            requester_id=actor.user_id,
            requester_key=actor.user_id,
            parent_id=grant.application_id,
            body={
                "subject": GRANT.kind,
                "reason": request.reason,
                "grant_id": grant.id,
                "subject_reference": grant.reference,
                "grant_status": grant.status,
                "grant_reason": grant.status_reason,
            },
        )
        grants.audit(session, actor, "grant.objection", grant, objection=case.reference)
        _announce(
            session,
            case,
            f"授权 {grant.reference} 的{GRANT.states[grant.status]}决定",
            organization_id,
        )
        return objection_dict(session, case)


def get_objection(rt: Runtime, actor: Actor, objection_id: str) -> dict[str, Any]:
    with rt.reader() as session:
        return objection_dict(session, c.viewable(session, actor, objection_id, OBJECTION.kind))


def _overturn(rt: Runtime, session: Session, objection: Case, reason: str) -> None:
    """A ruling in the applicant's favour sends the application back to its department, which
    must provide within the deadline the table's ``overturn`` starts."""
    application = c.load_case(session, str(objection.parent_id), APPLICATION.kind, lock=True)
    c.transit(session, application, "system", "overturn", "ruling", objection=objection.reference)
    c.start_deadline(rt, application, "overturn")
    application.decided_on_time = None
    notify_department(
        session,
        application.organization_id,
        subject=f"复核决定撤销了申请 {application.reference} 的原决定",
        body=f"请于 {application.due_on} 前提供数据（作出同意决定）。理由：{reason}",
        link=case_link(application),
        case=application,
    )


# what an overturning ruling does, by what the objection is against
OVERTURNS = {
    APPLICATION.kind: _overturn,
    OPENING_REQUEST.kind: appeals.overturn_answer,
    GRANT.kind: appeals.overturn_grant,
}


def decide_objection(
    rt: Runtime, actor: Actor, objection_id: str, request: Ruling
) -> dict[str, Any]:
    """The bureau upholds or overturns (then what the objection is against is undone:
    ``OVERTURNS``)."""
    target = request.target
    with rt.session() as session:
        case = c.load_case(session, objection_id, OBJECTION.kind, lock=True)
        ctx = c.check(rt, actor, case, "decide", target)
        c.record_decision(ctx.calendar, case, outcome=target, reply=request.reason)
        c.transit(session, case, actor, "decide", target, note=request.reason)
        if target == "overturned":
            OVERTURNS[appeals.subject_of(case)](rt, session, case, request.reason)
        notify_requester(
            session,
            case,
            subject=f"复核申请 {case.reference}：{OBJECTION.states[target]}",
            body=request.reason,
            link=case_link(case),
        )
        return objection_dict(session, case)


def open_stages(case: Case) -> list[str]:
    """The stages of the escalation ladder that may still be recorded, in order."""
    order = list(STAGES)
    done = [step["stage"] for step in (case.body or {}).get("escalations") or []]
    return order[order.index(done[-1]) + 1 :] if done else order


def escalate(rt: Runtime, actor: Actor, objection_id: str, request: Escalation) -> dict[str, Any]:
    """Record a step of the escalation ladder (协调 → 联合会审 → 市政府裁决)."""
    stage = request.stage
    with rt.session() as session:
        case = c.load_case(session, objection_id, OBJECTION.kind, lock=True)
        ctx = c.check(rt, actor, case, "escalate")
        ladder = list(case.body.get("escalations") or [])
        if any(step["stage"] == stage for step in ladder):
            raise Conflict(f"已记录“{STAGES[stage]}”")
        if stage not in open_stages(case):
            raise Conflict("升级顺序为协调、联合会审、报请市人民政府裁决")
        ladder.append({"stage": stage, "note": request.note, "on": str(ctx.today)})
        case.body = {**case.body, "escalations": ladder}
        c.transit(session, case, actor, "escalate", "submitted", stage=stage, note=request.note)
        return objection_dict(session, case)


def objection_dict(session: Session, case: Case) -> dict[str, Any]:
    out = c.case_dict(session, case)
    body = out.pop("body")
    out["reason"] = body.get("reason")
    subject = appeals.subject_fields(case)
    out.update(subject)
    if case.status == "overturned":  # what overturning did, for what it was against
        out["status_label"] = subject["overturn_label"]
    against_request = subject["subject"] == OPENING_REQUEST.kind
    out["application_id"] = None if against_request else case.parent_id
    out["request_id"] = case.parent_id if against_request else None
    out["grant_id"] = body.get("grant_id")
    out["application_reference"] = body.get("application_reference")
    out["decision"] = {"upheld": "uphold", "overturned": "overturn"}.get(case.outcome or "")
    out["decision_reason"] = case.reply
    out["escalations"] = body.get("escalations") or []
    return out
