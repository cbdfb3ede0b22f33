"""Error reports (纠错) and suggestions (意见建议).

- An error report names a dataset and what is wrong; the department answers within
  ``days_error_report`` working days, saying whether it corrected the data.
- A suggestion goes to a department (or a dataset's department), answered within
  ``days_suggestion``.

Rights-holder objections (权益异议) are in ``rights``.
"""

from __future__ import annotations

from typing import Any

from datasets.accounts.permissions import Actor
from datasets.notify.notices import case_link, notify_department, notify_requester
from datasets.runtime import Runtime
from datasets.workdays import calendar_for
from datasets.workflows import cases as c
from datasets.workflows.inputs.feedback import (
    ErrorReplyInput,
    ErrorReportInput,
    SuggestionInput,
    SuggestionReplyInput,
)
from datasets.workflows.machine import ERROR_REPORT, SUGGESTION
from datasets.workflows.public_cases import (
    full_dict,
    load_dataset,
    load_for_step,
    open_public_case,
    receipt,
    view_case,
)

# -- error reports --------------------------------------------------------------------------------


def submit_error_report(rt: Runtime, actor: Actor, form: ErrorReportInput) -> dict[str, Any]:
    """Anyone reports an error in a dataset; contact details are optional."""
    with rt.session() as session:
        dataset = load_dataset(session, form.dataset)
        case = open_public_case(
            rt,
            session,
            actor,
            ERROR_REPORT,
            contact=form.contact,
            organization_id=dataset.organization_id,
            dataset=dataset,
            body={"description": form.description, "location": form.location},
        )
        notify_department(
            session,
            dataset.organization_id,
            subject=f"新的纠错 {case.reference}：{dataset.title}",
            body=f"请于 {case.due_on} 前核实并答复。",
            link=case_link(case),
            case=case,
        )
        return receipt(rt, session, actor, case)


def get_error_report(
    rt: Runtime, actor: Actor, report_id: str, *, code: str | None = None
) -> dict[str, Any]:
    return view_case(rt, actor, report_id, ERROR_REPORT.kind, code=code)


def reply_error_report(
    rt: Runtime, actor: Actor, report_id: str, form: ErrorReplyInput
) -> dict[str, Any]:
    """The department answers, saying whether it corrected the data."""
    cal = calendar_for(rt)
    with rt.session() as session:
        case = load_for_step(rt, session, actor, report_id, ERROR_REPORT.kind, "answer")
        outcome = "corrected" if form.corrected else "not_corrected"
        case.body = {**case.body, "answer": {"corrected": form.corrected}}
        c.record_decision(cal, case, outcome=outcome, reply=form.reply)
        c.transit(
            session, case, actor, "answer", "answered", corrected=form.corrected, note=form.reply
        )
        notify_requester(
            session,
            case,
            subject=f"纠错 {case.reference} 已答复" + ("：已更正" if form.corrected else ""),
            body=form.reply,
            link=case_link(case),
        )
        return full_dict(rt, session, actor, case)


# -- suggestions ----------------------------------------------------------------------------------


def submit_suggestion(rt: Runtime, actor: Actor, form: SuggestionInput) -> dict[str, Any]:
    """Anyone suggests something to a department (named directly or through a dataset)."""
    with rt.session() as session:
        dataset = load_dataset(session, form.dataset) if form.dataset else None
        org_id = dataset.organization_id if dataset else form.organization_id()
        case = open_public_case(
            rt,
            session,
            actor,
            SUGGESTION,
            contact=form.contact,
            organization_id=org_id,
            dataset=dataset,
            body={"content": form.content},
        )
        notify_department(
            session,
            org_id,
            subject=f"新的意见建议 {case.reference}" + (f"：{dataset.title}" if dataset else ""),
            body=f"请于 {case.due_on} 前答复。",
            link=case_link(case),
            case=case,
        )
        return receipt(rt, session, actor, case)


def get_suggestion(
    rt: Runtime, actor: Actor, suggestion_id: str, *, code: str | None = None
) -> dict[str, Any]:
    return view_case(rt, actor, suggestion_id, SUGGESTION.kind, code=code)


def reply_suggestion(
    rt: Runtime, actor: Actor, suggestion_id: str, form: SuggestionReplyInput
) -> dict[str, Any]:
    cal = calendar_for(rt)
    with rt.session() as session:
        case = load_for_step(rt, session, actor, suggestion_id, SUGGESTION.kind, "answer")
        c.record_decision(cal, case, outcome="answered", reply=form.reply)
        c.transit(session, case, actor, "answer", "answered", note=form.reply)
        notify_requester(
            session,
            case,
            subject=f"意见建议 {case.reference} 已答复",
            body=form.reply,
            link=case_link(case),
        )
        return full_dict(rt, session, actor, case)
