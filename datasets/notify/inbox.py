"""A signed-in user's notices in the portal (站内通知): list, unread count, mark as read.

The notices themselves are written by the services (``notices.notify_*``) and mailed by
``datasets.notify.mail``; here each user sees only their own.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result, func, select, update

from datasets.accounts.permissions import Actor
from datasets.errors import NotFound
from datasets.models import Notification
from datasets.runtime import Runtime
from datasets.workdays import SHANGHAI, shanghai_date
from datasets.workflows import cases as c
from datasets.workflows.transparency.paging import page_args

MAX_PAGE = 100
EMAIL_LABELS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "发送失败，将重试",
    "none": "未设邮箱",
}


def _changed(result: Result[Any]) -> int:
    """The rows an UPDATE changed."""
    return cast(CursorResult[Any], result).rowcount or 0


def safe_link(link: str | None) -> str | None:
    """Only same-site paths are offered as links (a notice never sends anyone elsewhere)."""
    if link and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None


def notice_dict(row: Notification) -> dict[str, Any]:
    status = "sending" if row.email_status.startswith("sending") else row.email_status
    return {
        "id": row.id,
        "subject": row.subject,
        "body": row.body,
        "link": safe_link(row.link),
        "case_id": row.case_id,
        "created_at": row.created_at.isoformat(),
        "created_on": str(shanghai_date(row.created_at)),
        "created_local": row.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        "read": row.read_at is not None,
        "read_at": row.read_at.isoformat() if row.read_at else None,
        "email_status": status,
        "email_label": EMAIL_LABELS.get(status, status),
    }


def _page_args(page: Any, per_page: Any) -> tuple[int, int]:
    return page_args(page, per_page, MAX_PAGE)


def list_notifications(
    rt: Runtime, actor: Actor, *, page: Any = 1, per_page: Any = 50, unread_only: bool = False
) -> dict[str, Any]:
    """The caller's notices, newest first, with the unread count."""
    c.require_signed_in(actor)
    page, per_page = _page_args(page, per_page)
    mine = Notification.user_id == actor.user_id
    with rt.reader() as session:
        query = select(Notification).where(mine)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        unread = session.scalar(
            select(func.count(Notification.id)).where(mine, Notification.read_at.is_(None))
        )
        return {
            "notifications": [notice_dict(r) for r in rows],
            "count": total,
            "unread": unread or 0,
            "page": page,
            "per_page": per_page,
            "pages": max(1, -(-total // per_page)),
        }


def unread_count(rt: Runtime, actor: Actor) -> int:
    """How many of the caller's notices are unread (0 for anonymous callers)."""
    if actor.is_anonymous:
        return 0
    with rt.reader() as session:
        return (
            session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.user_id == actor.user_id, Notification.read_at.is_(None)
                )
            )
            or 0
        )


def mark_all_read(rt: Runtime, actor: Actor) -> dict[str, int]:
    """Mark every unread notice of the caller as read."""
    c.require_signed_in(actor)
    with rt.session() as session:
        result = session.execute(
            update(Notification)
            .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
            .values(read_at=c.now_utc())
        )
        return {"marked": _changed(result)}


def open_notification(rt: Runtime, actor: Actor, notice_id: Any) -> dict[str, Any]:
    """Mark one of the caller's notices as read and return it (its link is where to go)."""
    c.require_signed_in(actor)
    try:
        key = int(notice_id)
    except (TypeError, ValueError):
        raise NotFound(f"未找到通知 {notice_id}") from None
    with rt.session() as session:
        row = session.get(Notification, key)
        if row is None or row.user_id != actor.user_id:
            raise NotFound(f"未找到通知 {notice_id}")
        if row.read_at is None:
            row.read_at = c.now_utc()
        return notice_dict(row)
