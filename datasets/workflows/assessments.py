"""Mandatory opening assessments (开放评估).

When ``assessment_requesters`` distinct requesters ask for the same closed or conditional
dataset within 12 months, the portal opens one mandatory opening assessment for its department
(``days_assessment``) and tells the department and the supervising bureau. The department
concludes it (open / conditional / keep closed) with a public reply, which reaches the
requesters behind it.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.models import Case, Dataset
from datasets.notify.notices import case_link, notify_bureau, notify_department, notify_requester
from datasets.runtime import Runtime
from datasets.workdays import calendar_for
from datasets.workflows import cases as c
from datasets.workflows.inputs.opening import CONCLUSIONS, AssessmentInput
from datasets.workflows.machine import ASSESSMENT, DEPARTMENT, OPENING_REQUEST, SYSTEM, Context
from datasets.workflows.public_cases import full_dict, load_for_step, view_case
from datasets.workflows.redaction import public_reply

WINDOW_MONTHS = 12  # distinct requests counted over this many months
PORTAL = Actor(name=SYSTEM)  # who opens an assessment


def _months_before(at: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier (the last day of a shorter month)."""
    month = at.month - 1 - months
    year, month = at.year + month // 12, month % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, monthrange(year, month)[1]))


def _counted_requests(session: Session, dataset: Dataset) -> tuple[list[Any], str | None]:
    """The requests for ``dataset`` of the last 12 months (since the last assessment of it was
    completed), verified or not, and the reference of an assessment of it still open. Only the
    verified ones count (``requesters``): a typed phone number proves no one."""
    latest = session.scalar(
        select(Case)
        .where(Case.kind == ASSESSMENT.kind, Case.dataset_id == dataset.id)
        .order_by(Case.received_at.desc())
        .limit(1)
    )
    since = _months_before(c.now_utc(), WINDOW_MONTHS)
    if latest is not None and latest.closed_at is not None:
        since = max(since, latest.closed_at.astimezone(UTC))
    rows = session.execute(
        select(
            Case.id, Case.reference, Case.requester_key, Case.requester_verified, Case.received_on
        )
        .where(
            Case.kind == OPENING_REQUEST.kind,
            Case.dataset_id == dataset.id,
            Case.received_at >= since,
        )
        .order_by(Case.received_at)
    ).all()
    still_open = latest.reference if latest is not None and latest.closed_at is None else None
    return list(rows), still_open


def _due(rt: Runtime, dataset: Dataset, requesters: int, still_open: str | None) -> bool:
    """Whether the guards of the assessment's opening transition let it open now."""
    ctx = Context(
        actor=PORTAL,
        status="",
        requester_id=None,
        organization_id=dataset.organization_id,
        record=dataset,
        now=c.now_utc(),
        calendar=calendar_for(rt),
        settings=rt.settings,
        facts={"requesters": requesters, "open_assessment": still_open},
    )
    return all(guard(ctx) is None for guard in ASSESSMENT.initial.guards)


def open_assessment_if_due(
    rt: Runtime, session: Session, dataset: Dataset, *, trigger: Case
) -> Case | None:
    """Open the mandatory assessment of ``dataset`` when its machine's guards allow it: enough
    distinct requesters within 12 months (since the last assessment of it was completed), and
    none open. The dataset's row lock makes concurrent requests take turns."""
    session.scalar(select(Dataset.id).where(Dataset.id == dataset.id).with_for_update())
    every, still_open = _counted_requests(session, dataset)
    rows = [row for row in every if row.requester_verified and row.requester_key]
    requesters = {row.requester_key for row in rows}
    if not _due(rt, dataset, len(requesters), still_open):
        return None
    assessment = c.open_case(
        rt,
        session,
        machine=ASSESSMENT,
        actor=SYSTEM,
        status="open",
        organization_id=dataset.organization_id,
        handler=DEPARTMENT,
        dataset_id=dataset.id,
        parent_id=trigger.id,
        body={
            "requesters": len(requesters),
            "request_ids": [row.id for row in rows],
            "requests": [row.reference for row in rows],
            # the requests behind the trigger as the department sees them: how each requester
            # was verified, never who they are; unverified ones are listed, not counted
            "request_list": [_listed(row, counted=True) for row in rows],
            "uncounted": [_listed(row, counted=False) for row in every if row not in rows],
            "window_months": WINDOW_MONTHS,
        },
    )
    _announce(session, dataset, assessment, len(requesters))
    return assessment


def _listed(row: Any, *, counted: bool) -> dict[str, Any]:
    return {
        "id": row.id,
        "reference": row.reference,
        "received_on": str(row.received_on),
        "verified": row.requester_verified,
        "counted": counted,
    }


def _announce(session: Session, dataset: Dataset, assessment: Case, requesters: int) -> None:
    """Tell the department and the bureau that an assessment is due."""
    notice: dict[str, Any] = {
        "subject": f"须开展开放评估 {assessment.reference}：{dataset.title}",
        "body": (
            f"{WINDOW_MONTHS} 个月内有 {requesters} 位联系方式经验证的不同申请人提出开放需求，"
            f"请于 {assessment.due_on} 前完成开放评估。"
        ),
        "link": case_link(assessment),
        "case": assessment,
    }
    notify_department(session, dataset.organization_id, **notice)
    notify_bureau(session, **notice)


def get_assessment(
    rt: Runtime, actor: Actor, assessment_id: str, *, code: str | None = None
) -> dict[str, Any]:
    """Assessments are opened by the portal, not submitted, so they have no code: only their
    participants (the department, the bureau, the operators) see them."""
    return view_case(rt, actor, assessment_id, ASSESSMENT.kind, code=code)


def complete_assessment(
    rt: Runtime, actor: Actor, assessment_id: str, form: AssessmentInput
) -> dict[str, Any]:
    """The department concludes the assessment (open / conditional / keep closed) with a
    public reply; the bureau and the signed-in requesters behind it are told."""
    cal = calendar_for(rt)
    with rt.session() as session:
        case = load_for_step(rt, session, actor, assessment_id, ASSESSMENT.kind, "complete")
        c.record_decision(cal, case, outcome=form.conclusion, reply=form.reply)
        c.transit(
            session,
            case,
            actor,
            "complete",
            "completed",
            conclusion=form.conclusion,
            note=form.reply,
        )
        subject = f"开放评估 {case.reference} 已完成：{CONCLUSIONS[form.conclusion]}"
        notify_bureau(session, subject=subject, body=form.reply, link=case_link(case), case=case)
        # the requesters behind it are not participants of the assessment: they read its reply
        # as the public does, and their notice leads to their own request
        public = public_reply(session, case)
        for request in session.scalars(
            select(Case).where(Case.id.in_(list(case.body.get("request_ids") or [])))
        ):
            notify_requester(
                session, request, subject=subject, body=public, link=case_link(request)
            )
        return full_dict(rt, session, actor, case)
