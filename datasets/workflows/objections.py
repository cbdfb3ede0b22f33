"""Objections to refusals (异议 → 复核 by the supervising bureau).

The applicant files within ``days_objection_filing`` working days of a refusal or partial
refusal; the bureau decides within ``days_objection_decision``. Upholding closes the matter;
overturning sends the application back to its department (status ``ruling``), which must then
grant within ``days_provide_after_ruling`` working days. The 广州 escalation ladder
(coordination → joint review → 市政府 ruling) is recorded on the objection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from datasets.accounts.permissions import Actor
from datasets.errors import Conflict, ValidationError, raise_problems
from datasets.models import Case
from datasets.notify.notices import case_link, notify_bureau, notify_department, notify_requester
from datasets.runtime import Runtime
from datasets.workdays import calendar_for, shanghai_date
from datasets.workflows import cases as c
from datasets.workflows.machine import APPLICATION, BUREAU, OBJECTION, REQUESTER

DECISIONS = {"uphold": "upheld", "overturn": "overturned"}
STAGES = {
    "coordination": "协调",
    "joint_review": "联合会审",
    "government_ruling": "报请市人民政府裁决",
}


def file_objection(
    rt: Runtime, actor: Actor, application_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """The applicant objects to a refusal (or partial refusal) of their application."""
    payload = payload or {}
    reason = str(payload.get("reason") or "").strip()
    if not reason:
        raise ValidationError("请说明异议理由", {"reason": ["必填"]})
    if len(reason) > c.MAX_TEXT:
        raise ValidationError(f"异议理由不超过 {c.MAX_TEXT} 字", {"reason": ["过长"]})
    c.require_signed_in(actor)
    cal = calendar_for(rt)
    with rt.session() as session:
        application = c.load_case(session, application_id, APPLICATION.kind, lock=True)
        c.require(actor, application, REQUESTER)
        if application.status not in ("refused", "partial"):
            raise Conflict("只有不予同意或部分同意（签署协议前）的决定可以申请复核")
        deadline = application.body.get("objection_deadline")
        received = cal.received_on(c.now_utc())
        if deadline and str(received.on) > deadline:
            raise Conflict(f"复核申请期限已于 {deadline} 届满")
        pending = session.scalar(
            select(Case.reference).where(Case.parent_id == application.id, Case.kind == "objection")
        )
        if pending:
            raise Conflict(f"该申请已提出过复核申请 {pending}")
        case = c.open_case(
            rt,
            session,
            machine=OBJECTION,
            actor=actor,
            status="submitted",
            days=rt.settings.days_objection_decision,
            organization_id=application.organization_id,
            handler=BUREAU,
            dataset_id=application.dataset_id,
            requester_id=actor.user_id,
            requester_key=actor.user_id,
            parent_id=application.id,
            body={"reason": reason, "application_reference": application.reference},
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


def decide_objection(
    rt: Runtime, actor: Actor, objection_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """The bureau upholds or overturns. Overturning obliges the department to provide within
    ``days_provide_after_ruling`` working days."""
    payload = payload or {}
    decision = payload.get("decision")
    reason = str(payload.get("reason") or "").strip()
    problems: dict[str, list[str]] = {}
    if decision not in DECISIONS:
        problems["decision"] = ["decision 须为 uphold（维持）或 overturn（撤销原决定）"]
    if not reason:
        problems["reason"] = ["请说明复核理由"]
    elif len(reason) > c.MAX_TEXT:
        problems["reason"] = [f"理由不超过 {c.MAX_TEXT} 字"]
    raise_problems(problems)
    target = DECISIONS[decision]
    cal = calendar_for(rt)
    with rt.session() as session:
        case = c.load_case(session, objection_id, OBJECTION.kind, lock=True)
        c.require(actor, case, BUREAU)
        c.record_decision(cal, case, outcome=target, reply=reason)
        c.transit(session, case, actor, "decide", target, note=reason)
        application = c.load_case(session, case.parent_id, APPLICATION.kind, lock=True)
        if target == "overturned":
            c.transit(
                session, application, "system", "overturn", "ruling", objection=case.reference
            )
            application.due_on = None
            c.set_deadline(cal, application, rt.settings.days_provide_after_ruling)
            application.decided_on_time = None
            notify_department(
                session,
                application.organization_id,
                subject=f"复核决定撤销了申请 {application.reference} 的原决定",
                body=f"请于 {application.due_on} 前提供数据（作出同意决定）。理由：{reason}",
                link=case_link(application),
                case=application,
            )
        notify_requester(
            session,
            case,
            subject=f"复核申请 {case.reference}：{OBJECTION.states[target]}",
            body=reason,
            link=case_link(case),
        )
        return objection_dict(session, case)


def escalate(
    rt: Runtime, actor: Actor, objection_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Record a step of the escalation ladder (协调 → 联合会审 → 市政府裁决)."""
    payload = payload or {}
    stage = payload.get("stage")
    note = str(payload.get("note") or "").strip()
    if stage not in STAGES:
        raise ValidationError(
            "stage 须为 " + "、".join(f"{k}（{v}）" for k, v in STAGES.items()),
            {"stage": ["未知的阶段"]},
        )
    with rt.session() as session:
        case = c.load_case(session, objection_id, OBJECTION.kind, lock=True)
        c.require(actor, case, BUREAU)
        ladder = list(case.body.get("escalations") or [])
        if any(step["stage"] == stage for step in ladder):
            raise Conflict(f"已记录“{STAGES[stage]}”")
        order = list(STAGES)
        if ladder and order.index(stage) < order.index(ladder[-1]["stage"]):
            raise Conflict("升级顺序为协调、联合会审、报请市人民政府裁决")
        ladder.append({"stage": stage, "note": note, "on": str(shanghai_date(c.now_utc()))})
        case.body = {**case.body, "escalations": ladder}
        c.transit(session, case, actor, "escalate", "submitted", stage=stage, note=note)
        return objection_dict(session, case)


def objection_dict(session, case: Case) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    out = c.case_dict(session, case)
    body = out.pop("body")
    out["reason"] = body.get("reason")
    out["application_id"] = case.parent_id
    out["application_reference"] = body.get("application_reference")
    out["decision"] = {"upheld": "uphold", "overturned": "overturn"}.get(case.outcome or "")
    out["decision_reason"] = case.reply
    out["escalations"] = body.get("escalations") or []
    return out
