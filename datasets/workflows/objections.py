"""Objections to refusals (异议 → 复核 by the supervising bureau).

The applicant files within the window a refusal or partial refusal opened; the bureau decides
within the deadline the filing starts. Upholding closes the matter; overturning sends the
application back to its department (status ``ruling``), which must then grant in time. The
广州 escalation ladder (coordination → joint review → 市政府 ruling) is recorded on the
objection. Deadlines and who may act: ``machine.APPLICATION`` and ``machine.OBJECTION``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.errors import Conflict
from datasets.models import Case
from datasets.notify.notices import case_link, notify_bureau, notify_department, notify_requester
from datasets.runtime import Runtime
from datasets.workflows import cases as c
from datasets.workflows.machine import APPLICATION, BUREAU, OBJECTION, STAGES
from datasets.workflows.step_requests import OBJECTION_DECISIONS as DECISIONS
from datasets.workflows.step_requests import Escalation, Objection, Ruling

__all__ = ["DECISIONS", "STAGES"]


def filed_objection(session: Session, application: Case) -> str | None:
    """The reference of the objection already filed against ``application``, if any (the
    table's ``not_yet_objected`` guard reads it as ``facts["objection"]``)."""
    return session.scalar(
        select(Case.reference).where(Case.parent_id == application.id, Case.kind == OBJECTION.kind)
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
        case = c.open_case(
            rt,
            session,
            machine=OBJECTION,
            actor=actor,
            status="submitted",
            organization_id=application.organization_id,
            handler=BUREAU,
            dataset_id=application.dataset_id,
            requester_id=actor.user_id,
            requester_key=actor.user_id,
            parent_id=application.id,
            body={"reason": request.reason, "application_reference": application.reference},
        )
        c.audit(session, actor, "application.objection", application, objection=case.reference)
        notify_bureau(
            session,
            subject=f"新的复核申请 {case.reference}（针对 {application.reference}）",
            body=f"请于 {case.due_on} 前作出复核决定。",
            link=case_link(case),
            case=case,
        )
        notify_department(
            session,
            application.organization_id,
            subject=f"申请 {application.reference} 的决定被提请复核",
            link=case_link(case),
            case=case,
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


def decide_objection(
    rt: Runtime, actor: Actor, objection_id: str, request: Ruling
) -> dict[str, Any]:
    """The bureau upholds or overturns (then the department must provide, ``_overturn``)."""
    target = request.target
    with rt.session() as session:
        case = c.load_case(session, objection_id, OBJECTION.kind, lock=True)
        ctx = c.check(rt, actor, case, "decide", target)
        c.record_decision(ctx.calendar, case, outcome=target, reply=request.reason)
        c.transit(session, case, actor, "decide", target, note=request.reason)
        if target == "overturned":
            _overturn(rt, session, case, request.reason)
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
    out["application_id"] = case.parent_id
    out["application_reference"] = body.get("application_reference")
    out["decision"] = {"upheld": "uphold", "overturned": "overturn"}.get(case.outcome or "")
    out["decision_reason"] = case.reply
    out["escalations"] = body.get("escalations") or []
    return out
