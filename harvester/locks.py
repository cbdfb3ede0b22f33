"""One harvest per source at a time, and no job left "running" forever.

A job takes its source's lock with an atomic compare-and-set UPDATE (the same on SQLite and
PostgreSQL). A lock is free when nobody holds it, when its heartbeat is older than
``harvest_stale_minutes``, or when its owner was a process on this host that no longer exists
(a harvester killed with SIGKILL). Taking over a lock marks the previous job failed.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from datasets.errors import SourceError
from datasets.models import HarvestJob, HarvestSource
from datasets.runtime import Runtime

INTERRUPTED = "任务中断：采集进程已退出或长时间无心跳"


def owner_id(pid: int | None = None) -> str:
    """The lock owner naming process ``pid`` (this one by default) on this host."""
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"


def owner_gone(owner: str | None) -> bool:
    """True when ``owner`` was a process on this host that has exited."""
    if not owner:
        return True
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _zombie(int(pid))


def _zombie(pid: int) -> bool:
    """An exited process its parent has not waited for yet (nobody may ever, once orphaned)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def acquire(rt: Runtime, *, source_id: str, source_name: str, job_id: str) -> None:
    """Make ``job_id`` the holder of the source's lock, or raise ``SourceError``."""
    now = datetime.now(UTC)
    stale_before = now - timedelta(minutes=rt.settings.harvest_stale_minutes)
    with rt.session() as session:
        source = session.get(HarvestSource, source_id)
        if source is None:
            raise SourceError(f"来源 {source_name} 不存在")
        previous, owner, since = source.lock_job_id, source.lock_owner, source.lock_at
        if previous is not None and previous != job_id:
            stale = since is None or since < stale_before or owner_gone(owner)
            if not stale:
                raise SourceError(
                    f"来源 {source_name} 正在采集中（任务 {previous[:8]}，{owner}），请稍后再试"
                )
        condition = (
            HarvestSource.lock_job_id.is_(None)
            if previous is None
            else HarvestSource.lock_job_id == previous
        )
        taken = session.execute(
            update(HarvestSource)
            .where(HarvestSource.id == source_id, condition)
            .values(lock_job_id=job_id, lock_owner=owner_id(), lock_at=now)
            .execution_options(synchronize_session=False)
        )
        if cast("CursorResult[Any]", taken).rowcount != 1:
            raise SourceError(f"来源 {source_name} 正在采集中，请稍后再试")
        if previous is not None and previous != job_id:
            _fail(session, previous, now)


def heartbeat(rt: Runtime, *, source_id: str, job_id: str) -> None:
    now = datetime.now(UTC)
    with rt.session() as session:
        session.execute(
            update(HarvestJob)
            .where(HarvestJob.id == job_id)
            .values(heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(HarvestSource)
            .where(HarvestSource.id == source_id, HarvestSource.lock_job_id == job_id)
            .values(lock_at=now)
            .execution_options(synchronize_session=False)
        )


def release_in(session: Session, *, source_id: str, job_id: str) -> None:
    """Release the lock within ``session``: in the transaction that ends the job, so nobody
    ever sees a job ended that still holds its source."""
    session.execute(
        update(HarvestSource)
        .where(HarvestSource.id == source_id, HarvestSource.lock_job_id == job_id)
        .values(lock_job_id=None, lock_owner=None, lock_at=None)
        .execution_options(synchronize_session=False)
    )


def reap(rt: Runtime, *, owner: str | None = None, message: str = INTERRUPTED) -> int:
    """Mark failed every running job that no longer holds a live lock, with ``message``; with
    ``owner``, only the jobs whose lock that (exited) process held. Returns how many."""
    now = datetime.now(UTC)
    stale_before = now - timedelta(minutes=rt.settings.harvest_stale_minutes)
    reaped = 0
    with rt.session() as session:
        running = session.scalars(select(HarvestJob).where(HarvestJob.status == "running")).all()
        for job in running:
            source = session.get(HarvestSource, job.source_id)
            holds = source is not None and source.lock_job_id == job.id
            mine = holds and source is not None and source.lock_owner == owner
            if owner is not None and not mine:
                continue
            alive = (
                source is not None
                and holds
                and not owner_gone(source.lock_owner)
                and (job.heartbeat_at >= stale_before)
            )
            if alive:
                continue
            _fail(session, job.id, now, message)
            if source is not None and holds:
                source.lock_job_id = source.lock_owner = source.lock_at = None
            reaped += 1
    return reaped


def _fail(session: Session, job_id: str, now: datetime, message: str = INTERRUPTED) -> None:
    job = session.get(HarvestJob, job_id)
    if job is not None and job.status == "running":
        job.status = "failed"
        job.finished_at = now
        job.message = message
