"""A queued harvest's validation spread over the queue's workers.

A harvest run by ``kaifang worker`` hands each record's files to the validation queue
(``<harvest queue>-validate``), which every worker serves before the harvest queue, and still
publishes the results one by one in the order it gathered them. Each hand-over is claimed once,
atomically, by a Redis key: by the worker that starts it, or by the harvesting job itself, which
takes back the newest hand-overs still waiting whenever its own processes have room (workers
take the oldest). So a job never waits on workers that are all busy harvesting, and with no other
worker free it validates everything itself, as an unqueued harvest does.

A worker that cannot read the files (another host, without the instance folder shared) leaves
them unclaimed and the harvesting job validates them.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError
from rq import Queue, Worker, get_current_job
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.results import Result

from datasets.intake.prepare import PreparedFile
from datasets.intake.publishing import discard, prepare_files
from datasets.intake.records import FileRecord
from datasets.runtime import Runtime

SUFFIX = "-validate"
CLAIM_SECONDS = 2 * 3600  # a claim outlives its hand-over (the job and its result)
VALIDATE_SECONDS = 900  # one record's files on a worker, before RQ stops it
_WAIT = 1  # seconds a harvest blocks for a result at a time
_ENDED = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


class ValidationLost(Exception):
    """A worker took a record's files and gave no result."""


@dataclass
class Handed:
    """One record's files on the validation queue."""

    job: Job
    claim: str
    elsewhere: bool = False  # a worker has claimed it


def queue_name(harvest_queue: str) -> str:
    return harvest_queue + SUFFIX


def helpers(rt: Runtime) -> Queue | None:
    """The validation queue, when this harvest runs as a queued job and may spread its work."""
    job = get_current_job()
    if job is None or not rt.settings.harvest_spread_validation:
        return None
    return Queue(queue_name(rt.settings.harvest_queue), connection=job.connection)


def helper_count(queue: Queue) -> int:
    """Workers serving ``queue`` besides the one running this harvest."""
    try:
        return max(0, Worker.count(queue=queue) - 1)
    except RedisError:
        return 0


def hand_over(queue: Queue, files: list[FileRecord], options: dict[str, Any]) -> Handed:
    claim = f"kaifang:validate:{uuid.uuid4().hex}"
    job = queue.enqueue(
        validate_claimed,
        claim,
        files,
        options,
        job_timeout=VALIDATE_SECONDS,
        result_ttl=3600,
        failure_ttl=3600,
        description="校验采集文件",
    )
    return Handed(job, claim)


def validate_claimed(
    claim: str, files: list[FileRecord], options: dict[str, Any]
) -> list[PreparedFile] | None:
    """The job a worker runs: the files prepared, or None when the harvest took them back or
    this worker cannot read them."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("validate_claimed runs as a queued job")
    if not all(f.path is None or Path(f.path).is_file() for f in files):
        return None
    if not job.connection.set(claim, "worker", nx=True, ex=CLAIM_SECONDS):
        return None
    return prepare_files(files, **options)


def take_back(handed: Handed) -> bool:
    """Claim ``handed`` for the harvesting job; False when a worker has it."""
    if handed.elsewhere:
        return False
    if not handed.job.connection.set(handed.claim, "harvest", nx=True, ex=CLAIM_SECONDS):
        handed.elsewhere = True
        return False
    with contextlib.suppress(InvalidJobOperation, NoSuchJobError, RedisError):
        handed.job.cancel()  # out of the queue; a worker that dequeued it finds it claimed
    return True


def finished(handed: Handed) -> bool:
    """Whether a worker has ended with ``handed`` (its result can be had without waiting)."""
    if not handed.elsewhere:
        return False
    status = handed.job.get_status(refresh=True)
    return status == JobStatus.FINISHED or status in _ENDED


def result(handed: Handed) -> list[PreparedFile] | None:
    """The claiming worker's result (None: validate here), waiting for it up to the job's time
    limit and a minute."""
    deadline = time.monotonic() + VALIDATE_SECONDS + 60
    while time.monotonic() < deadline:
        found = handed.job.latest_result(timeout=_WAIT)
        if found is not None:
            if found.type == Result.Type.SUCCESSFUL:
                return found.return_value
            reason = (found.exc_string or "").strip().splitlines()[-1:] or ["未知错误"]
            raise ValidationLost(f"校验进程出错：{reason[0]}")
        if handed.job.get_status(refresh=True) in _ENDED:
            raise ValidationLost("校验进程中断，未返回结果")
    raise ValidationLost(f"校验超过 {VALIDATE_SECONDS} 秒未完成")


def abandon(handed: Handed) -> None:
    """A hand-over the harvest will not publish: taken back, or its copies removed if a
    worker has already prepared them."""
    if take_back(handed):
        return
    try:
        found = handed.job.latest_result(timeout=0)
    except RedisError:
        return
    if found is not None and found.type == Result.Type.SUCCESSFUL and found.return_value:
        discard(found.return_value)
