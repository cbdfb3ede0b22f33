"""Notices to users about their cases: written in the same transaction as the change they tell
of, shown in the portal, and e-mailed afterwards by ``datasets.notify.mail.send_pending``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.models import Case, Notification, User


def notify_users(
    session: Session,
    user_ids: Iterable[str],
    *,
    subject: str,
    body: str = "",
    link: str | None = None,
    case: Case | None = None,
) -> int:
    users = session.scalars(select(User).where(User.id.in_(set(user_ids)), User.active))
    count = 0
    for user in users:
        session.add(
            Notification(
                user_id=user.id,
                case_id=case.id if case else None,
                subject=subject[:300],
                body=body,
                link=link,
                email_status="pending" if user.email else "none",
            )
        )
        count += 1
    return count


def notify_department(session: Session, organization_id: str | None, **notice: Any) -> int:
    """Every active reviewer of a department."""
    if organization_id is None:
        return 0
    ids = session.scalars(
        select(User.id).where(User.role == "reviewer", User.organization_id == organization_id)
    )
    return notify_users(session, list(ids), **notice)


def notify_bureau(session: Session, **notice: Any) -> int:
    ids = session.scalars(select(User.id).where(User.role == "bureau"))
    return notify_users(session, list(ids), **notice)


def notify_requester(session: Session, case: Case, **notice: Any) -> int:
    if case.requester_id is None:
        return 0
    return notify_users(session, [case.requester_id], case=case, **notice)


def case_link(case: Case) -> str:
    """The portal page of a case (paths only; the web layer owns the host)."""
    return f"/services/{case.kind.replace('_', '-')}/{case.id}"
