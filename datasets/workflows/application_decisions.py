"""The department's decision on an application: approve, approve in part (some fields) or
refuse. Refusals cite a rule code or an unmet published condition and tell the applicant how to
seek 复核 within the window the decision starts (``machine.APPLICATION``, ``decide``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.errors import ValidationError
from datasets.models import Case, Dataset
from datasets.notify.notices import case_link, notify_requester
from datasets.runtime import Runtime
from datasets.workflows import cases as c
from datasets.workflows.agreements import current_agreement
from datasets.workflows.applications import application_dict, load, unknown_fields
from datasets.workflows.machine import APPLICATION, Context
from datasets.workflows.scopes import snapshot
from datasets.workflows.step_requests import UNMET_CONDITION, Decision


def objection_instructions(rt: Runtime, deadline: date) -> str:
    return (
        f"如对本决定有异议，可于 {deadline} 前（决定作出后 "
        f"{APPLICATION.days('decide', rt.settings)} 个工作日内）向{rt.settings.supervisor_name}"
        "申请复核，请在本平台该申请的页面上提出。"
    )


def _granted_fields(case: Case, dataset: Dataset | None, request: Decision) -> list[str]:
    """The fields the decision grants: those applied for, or for a partial approval the ones
    named, which must be a proper subset of them (of all columns if none were named)."""
    requested = list(case.body.get("fields") or [])
    if request.target != "partial":
        return requested
    granted = list(request.fields)
    problems = unknown_fields(dataset, request.fields)
    columns = (dataset.columns if dataset else None) or []
    everything = requested or [col.get("name") for col in columns]
    if problems or not granted or not set(granted) < set(everything):
        raise ValidationError(
            "部分同意须列出同意提供的字段（申请字段的真子集）",
            problems or {"fields": ["须为申请字段的真子集"]},
        )
    return granted


def _consequences(rt: Runtime, ctx: Context, dataset: Dataset | None, target: str) -> dict:
    """What a decision adds to the application: the window to object to a refusal, and for an
    approval the agreement to sign and the columns the fields were granted on (the grant's
    scope is fixed against them)."""
    out: dict[str, Any] = {}
    if target in ("partial", "refused"):
        deadline = APPLICATION.deadline("decide", rt.settings, ctx.calendar, ctx.received).on
        out["objection_deadline"] = str(deadline)
        out["objection_instructions"] = objection_instructions(rt, deadline)
    if target in ("approved", "partial"):
        out["agreement_version"] = current_agreement().version
        out["granted_columns"] = snapshot(dataset.columns if dataset else [])
    return out


def _tell_applicant(session: Session, case: Case, reason: str) -> None:
    target, body = case.status, case.body
    message = {
        "approved": "已同意，请阅读并签署数据使用协议",
        "partial": "部分同意，请阅读并签署数据使用协议；" + body.get("objection_instructions", ""),
        "refused": "不予同意。" + body.get("objection_instructions", ""),
    }[target]
    notify_requester(
        session,
        case,
        subject=f"申请 {case.reference} 已作出决定：{APPLICATION.states[target]}",
        body=f"{reason}\n{message}".strip(),
        link=case_link(case),
    )


def decide(rt: Runtime, actor: Actor, application_id: str, request: Decision) -> dict[str, Any]:
    """Approve, approve in part or refuse. After a ruling in the applicant's favour (status
    ``ruling``) the department may no longer refuse (a guard of the table)."""
    target, reason, rule_code = request.target, request.reason, request.rule_code
    with rt.session() as session:
        case, ctx = load(rt, session, actor, application_id, "decide", target=target)
        dataset = session.get(Dataset, case.dataset_id)
        if rule_code == UNMET_CONDITION and not (dataset and dataset.conditions):
            raise ValidationError(
                "该数据集未公布开放条件，不能以未满足开放条件为由拒绝",
                {"rule_code": ["无开放条件"]},
            )
        granted = _granted_fields(case, dataset, request)
        case.body = {
            **case.body,
            "granted_fields": granted,
            **_consequences(rt, ctx, dataset, target),
        }
        c.record_decision(ctx.calendar, case, outcome=target, reply=reason, rule_code=rule_code)
        c.transit(session, case, actor, "decide", target, note=reason, rule_code=rule_code)
        _tell_applicant(session, case, reason)
        return application_dict(session, case)
