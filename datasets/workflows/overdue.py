"""Overdue cases are flagged to the provider and the bureau (SPEC §7).

``flag_overdue`` runs daily from ``kaifang services sweep``. An open case whose deadline (in
Asia/Shanghai) has passed while its handler still has to act gets one audit row ``case.overdue``
and notices to the reviewers of its department (when the department must act) and to the
bureau. It is flagged once per deadline: a later run adds nothing, but a case whose deadline was
moved (an extension, a ruling) and then passed again is flagged again for the new date. Cases
whose clock is paused (补正) have no deadline, and decided cases waiting for the requester (e.g.
to sign the agreement) are not the handler's delay; neither is ever overdue.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from datasets.models import AuditEntry, Case, Dataset
from datasets.notify.notices import case_link, notify_bureau, notify_department
from datasets.runtime import Runtime
from datasets.workdays import calendar_for, shanghai_date
from datasets.workflows import cases as c
from datasets.workflows.machine import DEPARTMENT, MACHINES

ACTION = "case.overdue"


def _flagged_deadlines(session: Session, case_ids: list[str]) -> set[tuple[str, str]]:
    """(case id, deadline) pairs already flagged."""
    done: set[tuple[str, str]] = set()
    for start in range(0, len(case_ids), 500):
        rows = session.execute(
            select(AuditEntry.object_id, AuditEntry.detail).where(
                AuditEntry.action == ACTION,
                AuditEntry.object_type == "case",
                AuditEntry.object_id.in_(case_ids[start : start + 500]),
            )
        )
        done.update((object_id, str((detail or {}).get("due_on"))) for object_id, detail in rows)
    return done


def flag_overdue(rt: Runtime, *, today: date | None = None) -> dict[str, Any]:
    """Flag every open case past its deadline that was not flagged for that deadline yet.

    Returns ``{"flagged": cases newly flagged, "notices": notices written, "overdue": all open
    cases past their deadline}``."""
    today = today or shanghai_date(c.now_utc())
    cal = calendar_for(rt)
    counts = {"flagged": 0, "notices": 0, "overdue": 0}
    with rt.session() as session:
        late = session.scalars(
            select(Case)
            .where(
                Case.closed_at.is_(None),
                Case.due_on.is_not(None),
                Case.due_on < today,
                # the same rule as cases.awaits_handler
                or_(Case.decided_at.is_(None), Case.status == "ruling"),
            )
            .order_by(Case.due_on, Case.reference)
            .with_for_update()
        ).all()
        counts["overdue"] = len(late)
        done = _flagged_deadlines(session, [case.id for case in late])
        for case in late:
            if case.due_on is None or (case.id, str(case.due_on)) in done:  # None: not selected
                continue
            machine = MACHINES[case.kind]
            late_by = max(cal.between(case.due_on, today), 1)
            c.audit(
                session,
                "system",
                ACTION,
                case,
                status=case.status,
                due_on=str(case.due_on),
                working_days_late=late_by,
            )
            dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
            about = f"（{dataset.title}）" if dataset else ""
            notice = {
                "subject": f"{machine.label} {case.reference} 已逾期{about}",
                "body": (
                    f"该事项应于 {case.due_on} 前办理，当前状态为"
                    f"“{machine.states.get(case.status, case.status)}”，"
                    f"已逾期 {late_by} 个工作日。请尽快办理。"
                ),
                "link": case_link(case),
                "case": case,
            }
            if case.handler == DEPARTMENT:
                counts["notices"] += notify_department(session, case.organization_id, **notice)
            counts["notices"] += notify_bureau(session, **notice)
            counts["flagged"] += 1
    return counts
