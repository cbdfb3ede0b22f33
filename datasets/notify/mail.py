"""E-mail delivery of notices (``Notification`` rows) over SMTP.

Notices are written in the same transaction as the change they tell of (see
``datasets.notify.notices``); this module mails them afterwards, so a slow or broken mail
server never holds up a decision. ``send_pending`` is called by ``kaifang services sweep`` (cron)
and, in the web app, from a background thread after each successful form or API POST
(``portal.pages.notifications``).

Delivery states of ``Notification.email_status``:

- ``pending``: to send; ``failed``: an attempt failed, tried again until ``MAX_ATTEMPTS``;
- ``sending…``: claimed by a sender (see below); ``sent``; ``none``: the user has no address.

Two senders (two web workers, or a worker and the cron job) must not mail the same notice twice,
so each row is *claimed* right before it is sent, with one conditional UPDATE that only one of
them can win (its row count says who did); the claim also counts the attempt, so an attempt that
crashes the process still counts. The table has no column for the time of the claim, so the
claim carries it in its status: ``sending`` followed by the claim's minute modulo 1000
(``sending417``). A claim older than ``CLAIM_MINUTES`` belongs to a sender that died and counts as
a failed attempt. (The modulo makes a claim stuck for more than 16 hours look fresh for ten
minutes now and then, which only delays its recovery; a fresh claim never looks stale.)
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Result, func, or_, select, update

from datasets.models import Notification, User
from datasets.runtime import Runtime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
CLAIM_MINUTES = 10
SENDING = "sending"
_CYCLE = 1000  # minutes; the claim's minute is kept modulo this (3 digits fit String(10))


@dataclass(frozen=True)
class Outgoing:
    """One notice ready to be mailed (plain values read before the SMTP conversation)."""

    id: int
    to: str
    subject: str
    body: str
    link: str | None


def _changed(result: Result[Any]) -> int:
    """The rows an UPDATE changed."""
    return cast(CursorResult[Any], result).rowcount or 0


def _minute(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // 60)


def claim_status(now: float | None = None) -> str:
    """The status a sender writes when it claims a row now, e.g. ``sending417``."""
    return f"{SENDING}{_minute(now) % _CYCLE:03d}"


def claim_is_stale(status: str, now: float | None = None) -> bool:
    """Whether a ``sending…`` status was written more than ``CLAIM_MINUTES`` ago."""
    stamp = status[len(SENDING) :]
    if not status.startswith(SENDING) or not stamp.isdigit():
        return status.startswith(SENDING)  # a claim without a readable time: treat as stale
    age = (_minute(now) - int(stamp)) % _CYCLE
    return age >= CLAIM_MINUTES


def _eligible() -> ColumnElement[bool]:
    """Rows a sender may claim: never tried, or failed fewer than ``MAX_ATTEMPTS`` times."""
    return or_(
        Notification.email_status == "pending",
        (Notification.email_status == "failed") & (Notification.email_attempts < MAX_ATTEMPTS),
    )


def pending_count(rt: Runtime) -> int:
    """Notices waiting for (another) e-mail attempt."""
    with rt.reader() as session:
        return session.scalar(select(func.count(Notification.id)).where(_eligible())) or 0


def release_stale_claims(rt: Runtime, *, now: float | None = None) -> int:
    """Turn claims of senders that died into failed attempts (the attempt is already counted)."""
    released = 0
    with rt.session() as session:
        rows = session.execute(
            select(Notification.id, Notification.email_status).where(
                Notification.email_status.like(f"{SENDING}%")
            )
        ).all()
        for row_id, status in rows:
            if not claim_is_stale(status, now):
                continue
            result = session.execute(
                update(Notification)
                .where(Notification.id == row_id, Notification.email_status == status)
                .values(email_status="failed")
            )
            released += _changed(result)
    if released:
        log.warning("released %d e-mail claims of a sender that stopped", released)
    return released


def _candidates(rt: Runtime, limit: int) -> list[Outgoing]:
    with rt.reader() as session:
        rows = session.execute(
            select(Notification, User.email, User.active)
            .join(User, User.id == Notification.user_id)
            .where(_eligible())
            .order_by(Notification.id)
            .limit(limit)
        ).all()
        out = []
        unreachable = []
        for notice, email, active in rows:
            if not email or not active:
                unreachable.append(notice.id)
                continue
            out.append(Outgoing(notice.id, email, notice.subject, notice.body, notice.link))
    if unreachable:  # the address was removed (or the account closed) after the notice
        with rt.session() as session:
            session.execute(
                update(Notification)
                .where(Notification.id.in_(unreachable), _eligible())
                .values(email_status="none")
            )
    return out


def _claim(rt: Runtime, notice_id: int) -> str | None:
    """Claim one row for this sender; the claim status, or None if another sender has it."""
    status = claim_status()
    with rt.session() as session:
        result = session.execute(
            update(Notification)
            .where(Notification.id == notice_id, _eligible())
            .values(email_status=status, email_attempts=Notification.email_attempts + 1)
        )
        return status if _changed(result) == 1 else None


def _finish(rt: Runtime, notice_id: int, claim: str, *, sent: bool) -> None:
    """Record the outcome. "sent" is written whatever the row says now (the mail is out);
    "failed" only over this sender's own claim."""
    with rt.session() as session:
        query = update(Notification).where(Notification.id == notice_id)
        if not sent:
            query = query.where(Notification.email_status == claim)
        session.execute(query.values(email_status="sent" if sent else "failed"))


def absolute_link(rt: Runtime, link: str | None) -> str | None:
    """A notice's link with the configured public base URL in front (paths only otherwise)."""
    if not link:
        return None
    base = rt.settings.base_url.rstrip("/")
    if base and link.startswith("/") and not link.startswith("//"):
        return base + link
    return link


def build_message(rt: Runtime, item: Outgoing) -> EmailMessage:
    """The e-mail of one notice: UTF-8 subject and plain-text body with the portal link."""
    settings = rt.settings
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = item.to
    message["Subject"] = item.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = settings.mail_from.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(idstring=f"notice{item.id}", domain=domain)
    parts = [item.body.strip()] if item.body.strip() else []
    link = absolute_link(rt, item.link)
    if link:
        parts.append(f"查看详情：{link}")
    parts.append(f"—— {settings.site_name}（本邮件由系统自动发送，请勿直接回复）")
    message.set_content("\n\n".join(parts) + "\n", charset="utf-8")
    return message


def _connect(rt: Runtime) -> smtplib.SMTP:
    settings = rt.settings
    server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    try:
        server.ehlo()
        if settings.smtp_starttls:
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        _close(server)
        raise
    return server


def _close(server: smtplib.SMTP) -> None:
    try:
        server.quit()
    except (smtplib.SMTPException, OSError):
        server.close()


def _fail_all(rt: Runtime, items: Sequence[Outgoing]) -> int:
    """The server could not be reached: every notice of the batch counts a failed attempt."""
    failed = 0
    for item in items:
        claim = _claim(rt, item.id)
        if claim is not None:
            _finish(rt, item.id, claim, sent=False)
            failed += 1
    return failed


def send_pending(rt: Runtime, *, limit: int = 200) -> dict[str, Any]:
    """Mail up to ``limit`` waiting notices over one SMTP connection.

    Returns counts: ``sent``, ``failed`` (attempt counted, tried again later), ``skipped`` (no
    SMTP server configured: nothing is touched) and ``left`` (not attempted this time because the
    connection broke). Never raises for mail-server trouble; it is logged instead.
    """
    counts = {"sent": 0, "failed": 0, "skipped": 0, "left": 0}
    if not rt.settings.smtp_host:
        counts["skipped"] = pending_count(rt)
        return counts
    release_stale_claims(rt)
    items = _candidates(rt, limit)
    if not items:
        return counts
    try:
        server = _connect(rt)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning(
            "SMTP server %s:%s unusable: %s", rt.settings.smtp_host, rt.settings.smtp_port, exc
        )
        counts["failed"] = _fail_all(rt, items)
        return counts
    try:
        for position, item in enumerate(items):
            claim = _claim(rt, item.id)
            if claim is None:
                continue  # another sender took it
            try:
                refused = server.send_message(build_message(rt, item))
            except smtplib.SMTPServerDisconnected as exc:
                counts["left"] = len(items) - position - 1
                log.warning("SMTP connection lost while mailing notice %s: %s", item.id, exc)
                _finish(rt, item.id, claim, sent=False)
                counts["failed"] += 1
                break
            except smtplib.SMTPException as exc:  # this message or its recipient was refused
                log.warning("SMTP server refused notice %s: %s", item.id, exc)
                _finish(rt, item.id, claim, sent=False)
                counts["failed"] += 1
                continue
            except OSError as exc:  # the socket failed (SMTPException is an OSError too)
                counts["left"] = len(items) - position - 1
                log.warning("SMTP connection failed while mailing notice %s: %s", item.id, exc)
                _finish(rt, item.id, claim, sent=False)
                counts["failed"] += 1
                break
            ok = item.to not in refused
            _finish(rt, item.id, claim, sent=ok)
            counts["sent" if ok else "failed"] += 1
    finally:
        _close(server)
    if counts["sent"] or counts["failed"]:
        log.info("e-mail notices: %(sent)d sent, %(failed)d failed", counts)
    return counts


def send_now(rt: Runtime, *, to: str, subject: str, text: str) -> bool:
    """Mail one message at once, outside the notices (a verification code, which must not wait
    for the sweep and is never stored). True when the server accepted it; failures are logged
    without the message's text."""
    settings = rt.settings
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message.set_content(f"{text}\n\n—— {settings.site_name}（本邮件由系统自动发送）\n")
    try:
        server = _connect(rt)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("SMTP server unusable for a direct message: %s", type(exc).__name__)
        return False
    try:
        refused = server.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("SMTP server refused a direct message: %s", type(exc).__name__)
        return False
    finally:
        _close(server)
    return to not in refused
