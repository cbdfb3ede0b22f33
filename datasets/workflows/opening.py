"""Requests to open data (开放需求).

Anyone may ask a department to open a dataset of the catalog that is not (fully) open, or data
that is not in the catalog at all; signing in is optional, a way to reach the requester is not.
The department answers within ``days_opening_request`` working days with one of five
categories (already open, will open by a date, apply for it, refused under a rule, not ours).
A request for a closed or conditional dataset may open the mandatory opening assessment
(``assessments``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.errors import raise_problems
from datasets.models import Case, Dataset, Organization
from datasets.notify.notices import case_link, notify_department, notify_requester
from datasets.openness.rules import CLOSED, CONDITIONAL
from datasets.runtime import Runtime
from datasets.workdays import calendar_for
from datasets.workflows import cases as c
from datasets.workflows.assessments import open_assessment_if_due
from datasets.workflows.cases import Problems, find_dataset, problem
from datasets.workflows.inputs.lookup import DatasetRef
from datasets.workflows.inputs.opening import CATEGORIES, OpeningReplyInput, OpeningRequestInput
from datasets.workflows.machine import OPENING_REQUEST
from datasets.workflows.public_cases import (
    full_dict,
    load_dataset,
    load_for_step,
    open_public_case,
    receipt,
    view_case,
)
from datasets.workflows.requesters import identify


def submit_request(rt: Runtime, actor: Actor, form: OpeningRequestInput) -> dict[str, Any]:
    """File a request to open a dataset of the catalog or data that is not in it; answers with
    the reference, receipt date and deadline (and ``assessment`` when it opened one). Only a
    verified requester (``requesters.identify``) counts towards an opening assessment."""
    requester = identify(rt, actor, form.contact, form.verification_code)
    with rt.session() as session:
        dataset = load_dataset(session, form.dataset) if form.dataset else None
        org_id = dataset.organization_id if dataset else form.organization_id()
        title = dataset.title if dataset else form.title
        case = open_public_case(
            rt,
            session,
            actor,
            OPENING_REQUEST,
            contact=form.contact,
            organization_id=org_id,
            dataset=dataset,
            body={"title": title, "description": form.description, "reason": form.reason},
            requester=requester,
        )
        notify_department(
            session,
            org_id,
            subject=f"新的开放需求 {case.reference}：{title}",
            body=f"请于 {case.due_on} 前答复。",
            link=case_link(case),
            case=case,
        )
        result = receipt(rt, session, actor, case)
        if dataset is not None and dataset.openness in (CLOSED, CONDITIONAL):
            assessment = open_assessment_if_due(rt, session, dataset, trigger=case)
            if assessment is not None:
                result["assessment"] = {"id": assessment.id, "reference": assessment.reference}
        return result


def get_request(
    rt: Runtime, actor: Actor, request_id: str, *, code: str | None = None
) -> dict[str, Any]:
    return view_case(rt, actor, request_id, OPENING_REQUEST.kind, code=code)


def _named(ref: DatasetRef | Dataset | Organization) -> dict[str, str]:
    return {"name": ref.name, "title": ref.title}


def _apply_to(session: Session, case: Case, form: OpeningReplyInput) -> dict[str, Any]:
    """Answered "apply for it": the conditional dataset named, else the one the request is about."""
    if form.apply_dataset is not None:
        return {"apply_dataset": _named(form.apply_dataset)}
    if not case.dataset_id:
        return {}
    problems: Problems = {}
    found = find_dataset(session, case.dataset_id, problems, field="apply_dataset")
    if found is not None and found.openness != CONDITIONAL:
        problem(problems, "apply_dataset", "所指数据集不是有条件开放数据")
    raise_problems(problems)
    assert found is not None  # else a problem was raised
    return {"apply_dataset": _named(found)}


def _responsible(session: Session, name: str | None) -> dict[str, Any]:
    """Answered "not ours": the department holding the data, if the portal knows it."""
    if name is None:
        return {}
    org = session.scalar(
        select(Organization).where(or_(Organization.name == name, Organization.title == name))
    )
    return {"responsible_department": _named(org) if org else {"title": name}}


def _answer(session: Session, case: Case, form: OpeningReplyInput) -> dict[str, Any]:
    """The facts kept with the answer, by category."""
    if form.category == "already_open" and form.open_dataset is not None:
        return {"open_dataset": _named(form.open_dataset)}
    if form.category == "will_open" and form.open_by is not None:
        return {"open_by": str(form.open_by)}
    if form.category == "apply":
        return _apply_to(session, case, form)
    if form.category == "not_ours":
        return _responsible(session, form.responsible_department)
    return {}


def reply_request(
    rt: Runtime, actor: Actor, request_id: str, form: OpeningReplyInput
) -> dict[str, Any]:
    """The department answers a request with one of the five categories and a public reply."""
    cal = calendar_for(rt)
    with rt.session() as session:
        case = load_for_step(rt, session, actor, request_id, OPENING_REQUEST.kind, "answer")
        # the answer opens the window to seek 复核 with the bureau (岳阳 第二十八条第二款)
        window = OPENING_REQUEST.deadline(
            "answer", rt.settings, cal, cal.received_on(c.now_utc()).on
        )
        case.body = {
            **case.body,
            "answer": _answer(session, case, form),
            "objection_deadline": str(window.on),
        }
        rule_code = form.rule_code if form.category == "refused" else None
        c.record_decision(cal, case, outcome=form.category, reply=form.reply, rule_code=rule_code)
        c.transit(
            session, case, actor, "answer", "answered", category=form.category, note=form.reply
        )
        notify_requester(
            session,
            case,
            subject=f"开放需求 {case.reference} 已答复：{CATEGORIES[form.category]}",
            body=f"{form.reply}\n如对答复有异议，可于 {window.on} 前在本平台该开放需求页面"
            f"向{rt.settings.supervisor_name}申请复核。",
            link=case_link(case),
        )
        return full_dict(rt, session, actor, case)
