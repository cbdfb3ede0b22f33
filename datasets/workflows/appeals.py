"""What an objection (异议 → 复核) can be against, besides a refusal of an application: the
department's answer to a request to open data (岳阳 第二十八条第二款: 对数据提供方的答复有异议时，
可以向市行政审批服务局提出复核申请) and a grant's suspension or revocation.

There is one objection process (``machine.OBJECTION``, filed and decided in ``objections``);
``body["subject"]`` names what an objection is against, and an overturning ruling acts on it:
an answer is sent back to its department to be answered again (``OPENING_REQUEST.overturn``,
within ``days_opening_request``), a suspended or revoked grant is restored
(``GRANT.overturn``). Everything here runs inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.models import AuditEntry, Case, Grant
from datasets.notify.notices import case_link, notify_department, notify_users
from datasets.runtime import Runtime
from datasets.workdays import calendar_for, shanghai_date
from datasets.workflows import cases as c
from datasets.workflows.grants import audit as grant_audit
from datasets.workflows.grants import organization_of, refresh
from datasets.workflows.machine import APPLICATION, GRANT, OBJECTION, OPENING_REQUEST

# what an objection is against → how its pages name it, and what overturning it does
SUBJECTS = {
    APPLICATION.kind: "原申请",
    OPENING_REQUEST.kind: "原开放需求",
    GRANT.kind: "原授权",
}
OVERTURN_EFFECTS = {
    APPLICATION.kind: "撤销原决定，责令提供数据",
    OPENING_REQUEST.kind: "撤销原答复，责令重新答复",
    GRANT.kind: "撤销暂停或终止决定，恢复授权",
}
GRANT_CHANGES = ("grant.suspend", "grant.revoke")


def subject_of(objection: Case) -> str:
    """What ``objection`` is against (objections from before subjects were recorded are all
    against an application's refusal)."""
    return str((objection.body or {}).get("subject") or APPLICATION.kind)


def subject_link(objection: Case) -> str:
    """The page of what ``objection`` is against."""
    body = objection.body or {}
    subject = subject_of(objection)
    if subject == GRANT.kind:
        return f"/services/grants/{body.get('grant_id')}"
    if subject == OPENING_REQUEST.kind:
        return f"/services/opening-request/{objection.parent_id}"
    return f"/services/application/{objection.parent_id}"


def subject_fields(objection: Case) -> dict[str, Any]:
    """How an objection's page and its API answer name what it is against."""
    body = objection.body or {}
    subject = subject_of(objection)
    return {
        "subject": subject,
        "subject_label": SUBJECTS.get(subject, SUBJECTS[APPLICATION.kind]),
        "subject_reference": body.get("subject_reference") or body.get("application_reference"),
        "subject_link": subject_link(objection),
        "overturn_label": OVERTURN_EFFECTS.get(subject, OVERTURN_EFFECTS[APPLICATION.kind]),
    }


def objections_of(session: Session, parent_id: str) -> list[Case]:
    """The objections filed against the case ``parent_id`` (or a grant of that application),
    oldest first."""
    return list(
        session.scalars(
            select(Case)
            .where(Case.parent_id == parent_id, Case.kind == OBJECTION.kind)
            .order_by(Case.received_at)
        )
    )


def objection_summaries(session: Session, parent_id: str) -> list[dict[str, Any]]:
    """What a request's page shows of the objections against its answer (its requester may
    hold only the request's code, so the request's page is where they follow them)."""
    return [
        {
            "id": o.id,
            "reference": o.reference,
            "status": o.status,
            "status_label": subject_fields(o)["overturn_label"]
            if o.status == "overturned"
            else OBJECTION.states.get(o.status, o.status),
            "received_on": str(o.received_on),
            "due_on": str(o.due_on) if o.due_on else None,
            "reason": (o.body or {}).get("reason"),
            "decided_on": str(o.decided_on) if o.decided_on else None,
            "decision_reason": o.reply if o.decided_at else None,
            "link": case_link(o),
        }
        for o in objections_of(session, parent_id)
    ]


# -- a grant's suspension or revocation ---------------------------------------------------------


def last_change(session: Session, grant: Grant) -> datetime | None:
    """When the grant was last suspended or revoked (its audit row), if ever."""
    return session.scalar(
        select(AuditEntry.at)
        .where(
            AuditEntry.object_type == "grant",
            AuditEntry.object_id == grant.id,
            AuditEntry.action.in_(GRANT_CHANGES),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )


def grant_facts(rt: Runtime, session: Session, grant: Grant) -> dict[str, Any]:
    """What the guards of ``GRANT.object`` look up: the objection already filed against the
    grant's current suspension or revocation, and the last day to file one (the working days
    of ``days_objection_filing`` after the change)."""
    changed = last_change(session, grant)
    if changed is None:
        return {}
    cal = calendar_for(rt)
    deadline = cal.add(cal.received_on(changed).on, rt.settings.days_objection_filing).on
    filed = next(
        (
            o.reference
            for o in objections_of(session, grant.application_id)
            if (o.body or {}).get("grant_id") == grant.id and o.received_at >= changed
        ),
        None,
    )
    return {"objection": filed, "objection_deadline": str(deadline)}


def overturn_grant(rt: Runtime, session: Session, objection: Case, reason: str) -> None:
    """A ruling for the holder restores the grant (unless it has since been restored by its
    department or has expired: then there is nothing left to undo)."""
    grant = session.scalar(
        select(Grant).where(Grant.id == (objection.body or {}).get("grant_id")).with_for_update()
    )
    if grant is None or grant.status not in GRANT.transition("overturn").sources:
        return
    GRANT.check_state("overturn", grant.status, "active")
    grant.status, grant.status_reason = "active", None
    grant.status_note = f"复核决定 {objection.reference} 撤销了原决定：{reason}"[:2000]
    grant_audit(session, "system", "grant.overturn", grant, objection=objection.reference)
    refresh(session, grant, shanghai_date(c.now_utc()))  # expiry still applies
    notify_users(
        session,
        [grant.user_id],
        subject=f"复核决定恢复了授权 {grant.reference}",
        body=reason,
        link=f"/services/grants/{grant.id}",
    )
    notify_department(
        session,
        organization_of(session, grant),
        subject=f"复核决定撤销了对授权 {grant.reference} 的暂停或终止",
        body=reason,
        link=f"/services/grants/{grant.id}",
    )


# -- an answer to a request to open data -------------------------------------------------------


def answered_objection(session: Session, request: Case) -> str | None:
    """The reference of the objection already filed against ``request``'s answer, if any."""
    return session.scalar(
        select(Case.reference).where(Case.parent_id == request.id, Case.kind == OBJECTION.kind)
    )


def overturn_answer(rt: Runtime, session: Session, objection: Case, reason: str) -> None:
    """A ruling for the requester sends the request back to its department, which must answer
    it again within the deadline the table's ``overturn`` starts."""
    request = c.load_case(session, str(objection.parent_id), OPENING_REQUEST.kind, lock=True)
    c.transit(session, request, "system", "overturn", "ruling", objection=objection.reference)
    c.start_deadline(rt, request, "overturn")
    request.decided_on_time = None
    notify_department(
        session,
        request.organization_id,
        subject=f"复核决定撤销了开放需求 {request.reference} 的原答复",
        body=f"请于 {request.due_on} 前重新答复。复核理由：{reason}",
        link=case_link(request),
        case=request,
    )
