"""Error reports (纠错), rights-holder objections (权益异议) and suggestions (意见建议).

- An error report names a dataset and what is wrong; the department answers within
  ``days_error_report`` working days, saying whether it corrected the data.
- A rights-holder objection suspends public access to the dataset at once
  (``Dataset.suspended_by``: the page stays, downloads, previews and grant downloads stop, and its
  files leave the public root in the same call — ``public_root``); the
  department decides within ``days_rights_decision``: withdraw the data (it becomes 不予开放
  under ``privacy-trade-secret`` with the decision as its basis), restore it (the objection is
  unfounded) or restore it after masking or correcting it. The suspension lasts while any
  rights objection to the dataset is open; lifting it re-places the dataset's files under its
  current class and masking rules (``curation.republish_stored``).
- A suggestion goes to a department (or a dataset's department), answered within
  ``days_suggestion``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.errors import Conflict, ValidationError, raise_problems
from datasets.intake import public_root
from datasets.intake.findings import classify_files, masking_rules
from datasets.models import Case, Dataset
from datasets.notify.notices import case_link, notify_department, notify_requester
from datasets.openness import curation
from datasets.openness.rules import CLOSED, PRIVACY_RULE
from datasets.runtime import Runtime
from datasets.search.indexing import sync_index
from datasets.workdays import calendar_for
from datasets.workflows import cases as c
from datasets.workflows.cases import Problems, find_dataset, problem, text_field
from datasets.workflows.machine import DEPARTMENT, ERROR_REPORT, RIGHTS_OBJECTION, SUGGESTION
from datasets.workflows.opening import (
    CATEGORIES,
    CONCLUSIONS,
    MAX_TITLE,
    REFUSAL_RULES,
    clean_contact,
    find_department,
    full_dict,
    load_for_handler,
    receipt,
    requester_key,
    require_object,
    view_case,
)

RIGHTS_DECISIONS = {
    "withdraw": "撤回数据（不予开放）",
    "restore": "异议不成立，恢复开放",
    "restore_after_processing": "经处理后恢复开放",
}
SUSPENSION_NOTICE = "该数据集因权益异议暂停开放，正在依法处理"


def _audit_dataset(
    session: Session, actor: Actor | str, action: str, dataset: Dataset, **detail: Any
) -> None:
    c.audit_row(session, actor, action, "dataset", dataset.id, {"name": dataset.name, **detail})


def _flag(value: Any, field: str, label: str, problems: Problems) -> bool:
    """A yes/no answer: JSON true/false (forms send "true"/"false")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    problem(problems, field, f"请说明{label}（true 或 false）")
    return False


# -- error reports --------------------------------------------------------------------------------


def submit_error_report(rt: Runtime, actor: Actor, payload: Any) -> dict[str, Any]:
    """Anyone reports an error in a dataset; contact details are optional."""
    payload = require_object(payload)
    problems: Problems = {}
    description = text_field(payload, "description", "错误情况说明", problems)
    location = text_field(
        payload, "location", "出错位置", problems, required=False, limit=MAX_TITLE
    )
    with rt.session() as session:
        contact = clean_contact(session, actor, payload.get("contact"), problems, required=False)
        dataset = find_dataset(session, payload.get("dataset"), problems)
        raise_problems(problems)
        case = c.open_case(
            rt,
            session,
            machine=ERROR_REPORT,
            actor=actor,
            status="submitted",
            days=rt.settings.days_error_report,
            organization_id=dataset.organization_id,
            dataset_id=dataset.id,
            requester_id=actor.user_id,
            requester_key=requester_key(rt, actor, contact),
            contact=contact,
            body={"description": description, "location": location},
        )
        notify_department(
            session,
            dataset.organization_id,
            subject=f"新的纠错 {case.reference}：{dataset.title}",
            body=f"请于 {case.due_on} 前核实并答复。",
            link=case_link(case),
            case=case,
        )
        return receipt(session, actor, case)


def get_error_report(
    rt: Runtime, actor: Actor, report_id: str, *, code: str | None = None
) -> dict[str, Any]:
    return view_case(rt, actor, report_id, ERROR_REPORT.kind, code=code)


def reply_error_report(rt: Runtime, actor: Actor, report_id: str, payload: Any) -> dict[str, Any]:
    """The department answers, saying whether it corrected the data."""
    payload = require_object(payload)
    problems: Problems = {}
    reply = text_field(payload, "reply", "答复内容", problems)
    corrected = _flag(payload.get("corrected"), "corrected", "是否已更正", problems)
    cal = calendar_for(rt)
    with rt.session() as session:
        case = load_for_handler(session, actor, report_id, ERROR_REPORT.kind)
        ERROR_REPORT.check("answer", case.status)
        raise_problems(problems)
        outcome = "corrected" if corrected else "not_corrected"
        case.body = {**case.body, "answer": {"corrected": corrected}}
        c.record_decision(cal, case, outcome=outcome, reply=reply)
        c.transit(session, case, actor, "answer", "answered", corrected=corrected, note=reply)
        notify_requester(
            session,
            case,
            subject=f"纠错 {case.reference} 已答复" + ("：已更正" if corrected else ""),
            body=reply,
            link=case_link(case),
        )
        return full_dict(session, actor, case)


# -- rights-holder objections ---------------------------------------------------------------------


def submit_rights_objection(rt: Runtime, actor: Actor, payload: Any) -> dict[str, Any]:
    """A rights holder objects to a published dataset; its public access stops at once."""
    payload = require_object(payload)
    problems: Problems = {}
    claim = text_field(payload, "claim", "受损害的权益及理由", problems)
    basis = text_field(payload, "rights_basis", "权利依据", problems)
    with public_root.tracking(rt) as files, rt.session() as session:
        contact = clean_contact(session, actor, payload.get("contact"), problems, required=True)
        dataset = find_dataset(session, payload.get("dataset"), problems)
        if dataset is not None and dataset.openness == CLOSED:
            problem(problems, "dataset", "该数据集不予开放，未向社会提供，无需提出权益异议")
        raise_problems(problems)
        case = c.open_case(
            rt,
            session,
            machine=RIGHTS_OBJECTION,
            actor=actor,
            status="suspended",
            days=rt.settings.days_rights_decision,
            organization_id=dataset.organization_id,
            dataset_id=dataset.id,
            requester_id=actor.user_id,
            requester_key=requester_key(rt, actor, contact),
            contact=contact,
            body={"claim": claim, "rights_basis": basis},
        )
        if dataset.suspended_by is None:
            dataset.suspended_by = case.id
            files.hide(session, dataset)  # its files leave the public root with the suspension
            _audit_dataset(session, actor, "dataset.suspend", dataset, case=case.reference)
        notify_department(
            session,
            dataset.organization_id,
            subject=f"权益异议 {case.reference}：{dataset.title} 已暂停开放",
            body=f"请于 {case.due_on} 前作出撤回、恢复或处理后恢复的决定。",
            link=case_link(case),
            case=case,
        )
        result = receipt(session, actor, case)
    return result


def get_rights_objection(
    rt: Runtime, actor: Actor, objection_id: str, *, code: str | None = None
) -> dict[str, Any]:
    return view_case(rt, actor, objection_id, RIGHTS_OBJECTION.kind, code=code)


def _check_withdrawable(session: Session, dataset: Dataset, basis: str) -> None:
    """Refuse a withdrawal the openness engine would undo: de-identified data whose personal
    columns are all masked is open by law (岳阳 第二十六条第二款) even under rule 3."""
    resources = list(dataset.resources)
    files = [(r.name, r.format, r.pii_report) for r in resources]
    declared = {"declared": CLOSED, "rule": PRIVACY_RULE, "basis": basis}
    result = classify_files(declared, files, masking_rules(session, dataset.id))
    if result.openness != CLOSED:
        raise Conflict(
            "该数据集的个人信息字段均已脱敏，依规定脱敏后的数据应当开放，撤回不会生效；"
            "请先调整脱敏处理，或作出“处理后恢复开放”的决定"
        )


def _lift_suspension(
    rt: Runtime, files: public_root.Tracker, session: Session, actor: Actor, case: Case
) -> str | None:
    """End the suspension this objection caused, unless another open objection holds it; a
    lifted dataset's files are placed again as its class says. Returns the id of a dataset
    whose suspension was lifted."""
    dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
    if dataset is None:
        return None
    other = session.scalar(
        select(Case.id)
        .where(
            Case.kind == RIGHTS_OBJECTION.kind,
            Case.dataset_id == dataset.id,
            Case.closed_at.is_(None),
            Case.id != case.id,
        )
        .order_by(Case.received_at)
        .limit(1)
    )
    if other is not None:
        dataset.suspended_by = other
        return None
    if dataset.suspended_by is None:
        return None
    dataset.suspended_by = None
    _audit_dataset(session, actor, "dataset.restore", dataset, case=case.reference)
    if dataset.resources:
        files.note(session, dataset.id)
        curation.republish_stored(
            rt,
            session,
            dataset,
            actor=actor.name,
            reason=f"权益异议 {case.reference} 已作出决定，恢复开放",
        )
    return dataset.id


def decide_rights_objection(
    rt: Runtime, actor: Actor, objection_id: str, payload: Any
) -> dict[str, Any]:
    """The department withdraws the data, restores it, or restores it after processing."""
    payload = require_object(payload)
    problems: Problems = {}
    decision = payload.get("decision")
    if decision not in RIGHTS_DECISIONS:
        problem(
            problems,
            "decision",
            "决定须为 " + "、".join(f"{k}（{v}）" for k, v in RIGHTS_DECISIONS.items()),
        )
    reply = text_field(payload, "reply", "处理决定及理由", problems)
    # first check everything without changing anything: the reclassification runs on its own
    with rt.session() as session:
        case = load_for_handler(session, actor, objection_id, RIGHTS_OBJECTION.kind)
        RIGHTS_OBJECTION.check("decide", case.status)
        raise_problems(problems)
        dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
        if decision == "withdraw":
            if dataset is None:
                raise ValidationError("该权益异议没有对应的数据集", {"decision": ["无法撤回"]})
            if dataset.openness != CLOSED:
                _check_withdrawable(session, dataset, reply)
        name, reference = (dataset.name if dataset else None), case.reference
    if decision == "withdraw" and name is not None:
        _withdraw(rt, actor, name=name, reference=reference, basis=reply)
    cal = calendar_for(rt)
    with public_root.tracking(rt) as files, rt.session() as session:
        case = load_for_handler(session, actor, objection_id, RIGHTS_OBJECTION.kind)
        RIGHTS_OBJECTION.check("decide", case.status)
        rule = PRIVACY_RULE if decision == "withdraw" else None
        case.body = {**case.body, "answer": {"decision": decision}}
        c.record_decision(cal, case, outcome=decision, reply=reply, rule_code=rule)
        c.transit(session, case, actor, "decide", "decided", decision=decision, note=reply)
        restored = _lift_suspension(rt, files, session, actor, case)
        notify_requester(
            session,
            case,
            subject=f"权益异议 {case.reference}：{RIGHTS_DECISIONS[decision]}",
            body=reply,
            link=case_link(case),
        )
        result = full_dict(session, actor, case)
    if restored is not None:
        sync_index(rt, dataset_ids=[restored])
    return result


def _withdraw(rt: Runtime, actor: Actor, *, name: str, reference: str, basis: str) -> None:
    """Reclassify the dataset 不予开放 under rule 3 with the decision as its written basis; the
    override it records keeps later harvests from opening it again."""
    on_behalf = Actor(
        name=f"{actor.name}（权益异议 {reference}）",
        user_id=actor.user_id,
        roles=frozenset({"operator"}),
        organization_id=actor.organization_id,
    )
    curation.reclassify(
        rt,
        name=name,
        openness=CLOSED,
        rule=PRIVACY_RULE,
        basis=basis,
        reason=f"权益异议 {reference} 决定撤回：{basis}"[:2000],
        actor=on_behalf,
    )


# -- suggestions ----------------------------------------------------------------------------------


def submit_suggestion(rt: Runtime, actor: Actor, payload: Any) -> dict[str, Any]:
    """Anyone suggests something to a department (named directly or through a dataset)."""
    payload = require_object(payload)
    problems: Problems = {}
    content = text_field(payload, "content", "意见建议内容", problems)
    with rt.session() as session:
        contact = clean_contact(session, actor, payload.get("contact"), problems, required=False)
        dataset = None
        if payload.get("dataset") not in (None, ""):
            dataset = find_dataset(session, payload.get("dataset"), problems)
            org = dataset.organization if dataset is not None else None
        else:
            org = find_department(session, payload.get("department"), problems)
        raise_problems(problems)
        case = c.open_case(
            rt,
            session,
            machine=SUGGESTION,
            actor=actor,
            status="submitted",
            days=rt.settings.days_suggestion,
            organization_id=org.id,
            handler=DEPARTMENT,
            dataset_id=dataset.id if dataset else None,
            requester_id=actor.user_id,
            requester_key=requester_key(rt, actor, contact),
            contact=contact,
            body={"content": content},
        )
        notify_department(
            session,
            org.id,
            subject=f"新的意见建议 {case.reference}" + (f"：{dataset.title}" if dataset else ""),
            body=f"请于 {case.due_on} 前答复。",
            link=case_link(case),
            case=case,
        )
        return receipt(session, actor, case)


def get_suggestion(
    rt: Runtime, actor: Actor, suggestion_id: str, *, code: str | None = None
) -> dict[str, Any]:
    return view_case(rt, actor, suggestion_id, SUGGESTION.kind, code=code)


def reply_suggestion(rt: Runtime, actor: Actor, suggestion_id: str, payload: Any) -> dict[str, Any]:
    payload = require_object(payload)
    problems: Problems = {}
    reply = text_field(payload, "reply", "答复内容", problems)
    cal = calendar_for(rt)
    with rt.session() as session:
        case = load_for_handler(session, actor, suggestion_id, SUGGESTION.kind)
        SUGGESTION.check("answer", case.status)
        raise_problems(problems)
        c.record_decision(cal, case, outcome="answered", reply=reply)
        c.transit(session, case, actor, "answer", "answered", note=reply)
        notify_requester(
            session,
            case,
            subject=f"意见建议 {case.reference} 已答复",
            body=reply,
            link=case_link(case),
        )
        return full_dict(session, actor, case)


# -- what the department's forms offer -------------------------------------------------------------


def reply_choices() -> dict[str, Any]:
    """The answers, conclusions and rules the department's forms offer (no state secrets)."""
    return {
        "categories": CATEGORIES,
        "conclusions": CONCLUSIONS,
        "rights_decisions": RIGHTS_DECISIONS,
        "rules": [
            {"code": r.code, "number": r.number, "title": r.title} for r in REFUSAL_RULES.values()
        ],
    }
