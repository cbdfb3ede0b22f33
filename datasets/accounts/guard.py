"""Against guessing: failed sign-ins per user name and per client address, invalid API keys per
client address, counted in the database (every web process and machine shares the counts; the
embedded default has no Redis).

After ``attempts`` failures a subject is locked for 30 seconds, and each further failure
doubles the lock up to ``KAIFANG_SIGN_IN_LOCK_MINUTES``; a locked subject is refused at once,
with the time it may try again, and its refused tries count for nothing. Locks end by
themselves, counts are forgotten an hour after the last failure (or twice the longest lock),
and a successful sign-in clears its user name's count: an attacker can slow the real owner
down, never lock them out for good.

A sign-in is counted *before* its password is checked and given back when it succeeds, so
that a burst of parallel guesses cannot slip through before the first lock is written.
Names and addresses are kept only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from datasets.accounts import users
from datasets.accounts.permissions import Actor
from datasets.accounts.users import authenticate_session
from datasets.errors import TooMany, ValidationError
from datasets.models import SignInGuard
from datasets.runtime import Runtime
from datasets.workdays import SHANGHAI

FIRST_LOCK = timedelta(seconds=30)
MEMORY = timedelta(hours=1)
NAME, ADDRESS, KEY = "name", "address", "key"


class Locked(TooMany):
    """Too many failed attempts: refused until ``until`` (HTTP 429 with Retry-After)."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until

    def retry_after(self, now: datetime | None = None) -> int:
        """Whole seconds until the lock ends (at least 1)."""
        left = (self.until - (now or datetime.now(UTC))).total_seconds()
        return max(1, math.ceil(left))


def _subject(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()


def _memory(rt: Runtime) -> timedelta:
    return max(MEMORY, 2 * timedelta(minutes=rt.settings.sign_in_lock_minutes))


def lock_length(failures: int, attempts: int, longest: timedelta) -> timedelta | None:
    """How long a subject with ``failures`` is locked: none below ``attempts``, then 30 s
    doubling with each failure, at most ``longest``."""
    if failures < attempts:
        return None
    return min(longest, FIRST_LOCK * 2 ** min(failures - attempts, 20))


def _when(until: datetime, now: datetime) -> str:
    """ "14:35:20（约 3 分钟后）" in Asia/Shanghai."""
    seconds = max(1, math.ceil((until - now).total_seconds()))
    wait = f"{seconds} 秒" if seconds < 60 else f"{math.ceil(seconds / 60)} 分钟"
    return f"{until.astimezone(SHANGHAI):%H:%M:%S}（约 {wait}后）"


def _count(
    session: Session, rt: Runtime, kind: str, value: str, attempts: int, now: datetime
) -> datetime | None:
    """Count one attempt of a subject and lock it if that reaches its limit; when the subject
    is locked already, nothing is counted and the end of its lock is returned."""
    t, subject = SignInGuard, _subject(kind, value)
    mine = (t.kind == kind, t.subject == subject)
    counted = session.execute(
        update(t)
        .where(*mine, or_(t.locked_until.is_(None), t.locked_until <= now))
        .values(
            failures=case((t.last_failure_at < now - _memory(rt), 1), else_=t.failures + 1),
            last_failure_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount == 0:  # type: ignore[attr-defined]
        until = session.scalar(select(t.locked_until).where(*mine))
        if until is not None and until > now:
            return until
        try:
            with session.begin_nested():
                session.add(
                    SignInGuard(kind=kind, subject=subject, failures=1, last_failure_at=now)
                )
        except IntegrityError:  # counted by a parallel request in the meantime: count again
            return _count(session, rt, kind, value, attempts, now)
    failures = session.scalar(select(t.failures).where(*mine)) or 0
    longest = timedelta(minutes=rt.settings.sign_in_lock_minutes)
    if (lock := lock_length(failures, attempts, longest)) is not None:
        session.execute(
            update(t)
            .where(*mine)
            .values(locked_until=now + lock)
            .execution_options(synchronize_session=False)
        )
    return None


def _counted(rt: Runtime, subjects: list[tuple[str, str, int]], message: str) -> None:
    """Count one attempt of each subject in one transaction; ``Locked`` (and nothing counted)
    when one of them is locked."""
    now = datetime.now(UTC)
    with rt.session() as session:
        session.execute(delete(SignInGuard).where(SignInGuard.last_failure_at < now - _memory(rt)))
        ends = [_count(session, rt, kind, value, limit, now) for kind, value, limit in subjects]
        if until := max((end for end in ends if end is not None), default=None):
            raise Locked(f"{message}，请于 {_when(until, now)}再试", until)


def sign_in(rt: Runtime, *, name: str, password: str, address: str) -> tuple[Actor, int]:
    """``authenticate_session`` behind the locks of the user name and the client address:
    ``Locked`` while one of them is locked, ``NotAuthorized`` for a wrong name or password."""
    settings = rt.settings
    name_key = (name or "").strip().casefold()
    _counted(
        rt,
        [
            (NAME, name_key, settings.sign_in_attempts),
            (ADDRESS, address, settings.sign_in_address_attempts),
        ],
        "登录失败次数过多，该账户或您所在的网络已被暂时锁定",
    )
    signed_in = authenticate_session(rt, name=name, password=password)
    t = SignInGuard
    address_row = (t.kind == ADDRESS, t.subject == _subject(ADDRESS, address))
    with rt.session() as session:  # the owner got in: the name's count goes, the try is given back
        session.execute(delete(t).where(t.kind == NAME, t.subject == _subject(NAME, name_key)))
        session.execute(
            update(t).where(*address_row, t.failures > 0).values(failures=t.failures - 1)
        )
        session.execute(
            update(t)
            .where(*address_row, t.failures < settings.sign_in_address_attempts)
            .values(locked_until=None)
        )
        session.execute(delete(t).where(*address_row, t.failures <= 0))
    return signed_in


def change_password(rt: Runtime, actor: Actor, *, current: str, new: str, address: str) -> int:
    """``users.change_password`` behind the sign-in locks: a wrong current password counts
    against the account's name and the address as a failed sign-in does, so a session left
    open cannot be used to guess the password. ``Locked`` while one of them is locked."""
    settings = rt.settings
    subjects = [
        (NAME, (actor.name or "").strip().casefold(), settings.sign_in_attempts),
        (ADDRESS, address, settings.sign_in_address_attempts),
    ]
    message = "密码错误次数过多，该账户或您所在的网络已被暂时锁定"
    now = datetime.now(UTC)
    with rt.reader() as session:
        ends = [
            session.scalar(
                select(SignInGuard.locked_until).where(
                    SignInGuard.kind == kind, SignInGuard.subject == _subject(kind, value)
                )
            )
            for kind, value, _ in subjects
        ]
    if until := max((end for end in ends if end is not None and end > now), default=None):
        raise Locked(f"{message}，请于 {_when(until, now)}再试", until)
    try:
        return users.change_password(rt, actor, current=current, new=new)
    except ValidationError as exc:
        if "current_password" in exc.errors:
            _counted(rt, subjects, message)
        raise


def check_key_sender(rt: Runtime, address: str) -> None:
    """``Locked`` while ``address`` may send no API key (too many invalid ones)."""
    now = datetime.now(UTC)
    with rt.reader() as session:
        until = session.scalar(
            select(SignInGuard.locked_until).where(
                SignInGuard.kind == KEY, SignInGuard.subject == _subject(KEY, address)
            )
        )
    if until is not None and until > now:
        raise Locked(f"无效的 API 密钥过多，请于 {_when(until, now)}再试", until)


def invalid_key_sent(rt: Runtime, address: str) -> None:
    """Count an invalid API key sent from ``address`` (which may lock it)."""
    _counted(rt, [(KEY, address, rt.settings.api_key_attempts)], "无效的 API 密钥过多")
