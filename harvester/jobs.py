"""Harvest jobs: gather → fetch → import for one source, every object's outcome stored.

One bad object never stops a job; a source that cannot be read fails its job with a reason; a
job holds its source's lock and beats a heartbeat, so it never stays "running" forever. Files
of changed records are validated and scanned in worker processes (``preparing.Preparer``);
publishing (database commit with its search rows, file placement) happens here, one record at
a time.
"""

from __future__ import annotations

import logging
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from datasets.errors import KaifangError, SourceError
from datasets.intake.planning import (
    ERRORED,
    UNCHANGED,
    UNMIRRORED,
    ImportOutcome,
    ImportPlan,
    plan_import,
)
from datasets.intake.prepare import PreparedFile
from datasets.intake.publishing import publish_plan, withdraw_missing
from datasets.intake.storage import STORAGE_FULL, storage_full
from datasets.models import HarvestJob, HarvestObject, HarvestSource
from datasets.runtime import Runtime
from harvester import interrupts, locks, spread
from harvester.base import GatherItem, SourceConfig, SourceKind
from harvester.downloading import Downloader
from harvester.history import OUTCOME_TITLES, STATUS_TITLES, UNMIRRORED_HOSTS, failure_message
from harvester.history import job_objects as job_objects  # where callers look for it
from harvester.interrupts import Interrupted
from harvester.normalise import storable
from harvester.preparing import Preparer
from harvester.sources import KINDS

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
MAX_HOSTS = 100  # hosts kept in a job's stats


@dataclass
class JobResult:
    source: str
    job_id: str
    status: str  # finished | failed
    dry_run: bool
    counts: Counter = field(default_factory=Counter)
    message: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (outcome, id, message)
    hosts: Counter = field(default_factory=Counter)  # host → files not mirrored from it

    def summary(self) -> str:
        """One line in Chinese, e.g. ``jt：完成，新增 1，更新 0，未变 0，……，出错 0``."""
        parts = [f"{title} {self.counts.get(k, 0)}" for k, title in OUTCOME_TITLES.items()]
        text = f"{self.source}：{STATUS_TITLES.get(self.status, self.status)}，" + "，".join(parts)
        return text + (f"——{self.message}" if self.message else "")


class _Job:
    """Book-keeping of one running job: outcomes (written in batches), heartbeat, result."""

    FLUSH_EVERY = 200  # outcomes
    FLUSH_SECONDS = 5.0

    def __init__(self, rt: Runtime, source: SourceConfig, result: JobResult) -> None:
        self.rt, self.source, self.result = rt, source, result
        self._buffer: list[HarvestObject] = []
        self._flushed_at = time.monotonic()

    def outcome(
        self,
        identifier: str,
        stage: str,
        outcome: str,
        message: str = "",
        dataset_id: str | None = None,
    ) -> None:
        interrupts.check()  # a stop the signal handler could not raise where it came
        self.result.counts[outcome] += 1
        if outcome != UNCHANGED:
            self.result.changes.append((outcome, identifier, message))
        self._buffer.append(
            HarvestObject(
                job_id=self.result.job_id,
                identifier=storable(identifier)[:300],
                stage=stage,
                outcome=outcome,
                message=storable(message)[:2000],
                dataset_id=dataset_id,
            )
        )
        due = time.monotonic() - self._flushed_at >= self.FLUSH_SECONDS
        if len(self._buffer) >= self.FLUSH_EVERY or due:
            self.flush()

    def flush(self) -> None:
        """Write buffered outcomes and beat the heartbeat, in one transaction each."""
        if self._buffer:
            with self.rt.session() as session:
                session.add_all(self._buffer)
            self._buffer = []
        locks.heartbeat(self.rt, source_id=self.source.id, job_id=self.result.job_id)
        self._flushed_at = time.monotonic()

    def finish(self, status: str, *, complete_since: datetime | None = None) -> None:
        self.result.status = status
        self.flush()
        with self.rt.session() as session:
            job = session.get_one(HarvestJob, self.result.job_id)
            job.status = status
            job.finished_at = datetime.now(UTC)
            job.stats = dict(self.result.counts)
            if self.result.hosts:  # files not mirrored, per host
                job.stats[UNMIRRORED_HOSTS] = dict(self.result.hosts.most_common(MAX_HOSTS))
            job.message = storable(self.result.message)[:2000]
            if complete_since is not None:
                session.get_one(HarvestSource, self.source.id).last_complete_at = complete_since
            locks.release_in(session, source_id=self.source.id, job_id=self.result.job_id)


def run_source(
    rt: Runtime,
    source: SourceConfig,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
) -> JobResult:
    """Harvest one source. Problems in the source, and any error of the harvester itself, end
    up in the result, never as exceptions; a source whose lock another live job holds raises
    ``SourceError``; a stop from outside (``Interrupted``, KeyboardInterrupt) is recorded as
    the job's failure, its lock released, and raised again."""
    started = datetime.now(UTC)
    with rt.session() as session:
        record = HarvestJob(
            source_id=source.id,
            status="running",
            dry_run=dry_run,
            started_at=started,
            heartbeat_at=started,
        )
        session.add(record)
        session.flush()
        job_id = record.id
    try:
        locks.acquire(rt, source_id=source.id, source_name=source.name, job_id=job_id)
    except BaseException as exc:
        _fail_unstarted(rt, source, job_id, exc)
        raise
    job = _Job(rt, source, JobResult(source.name, job_id, "running", dry_run))
    kind: SourceKind | None = None
    failure: BaseException | None = None
    try:
        kind = KINDS[source.kind](source, rt)
        _run(job, kind, dry_run=dry_run, progress=progress, workers=workers, started=started)
    except BaseException as exc:
        failure = interrupts.pending() or exc  # an error a stop caused is the stop
    try:
        if failure is not None:
            _record_failure(job, failure)
    finally:
        if kind is not None:
            kind.close()
    if failure is not None and not isinstance(failure, Exception):
        raise failure
    return job.result


def _record_failure(job: _Job, failure: BaseException) -> None:
    """The job failed, recorded once nothing of the failed step holds the database: a stop
    raised inside a statement leaves that statement's cursor open, and with it SQLite's write
    lock, for as long as the traceback keeps its frames."""
    interrupts.delivered()
    if not isinstance(failure, Interrupted):
        log.error("harvest of %s crashed", job.source.name, exc_info=failure)
    interrupts.forget_frames(failure)
    job.result.message = _abort_message(failure)
    job.finish("failed")


def _abort_message(exc: BaseException) -> str:
    if isinstance(exc, Interrupted | KaifangError):
        return exc.message
    if isinstance(exc, KeyboardInterrupt):
        return Interrupted.by_signal(signal.SIGINT).message
    return f"任务意外中止：{type(exc).__name__}: {exc}"


def _fail_unstarted(rt: Runtime, source: SourceConfig, job_id: str, exc: BaseException) -> None:
    """The job never got going (its source is busy, or it was stopped while taking the lock)."""
    with rt.session() as session:
        failed = session.get_one(HarvestJob, job_id)
        failed.status, failed.finished_at = "failed", datetime.now(UTC)
        failed.message = _abort_message(exc)
        locks.release_in(session, source_id=source.id, job_id=job_id)


def _run(
    job: _Job,
    kind: SourceKind,
    *,
    dry_run: bool,
    progress: Progress | None,
    workers: int | None,
    started: datetime,
) -> None:
    rt, source = job.rt, job.source
    deadline = time.monotonic() + rt.settings.harvest_job_minutes * 60
    kind.set_deadline(deadline)
    try:
        gathered = kind.gather()
    except SourceError as exc:
        job.result.message = exc.message
        job.outcome(source.name, "gather", ERRORED, exc.message)
        job.finish("failed")
        return
    for identifier, message in gathered.errors.items():
        job.outcome(identifier, "gather", ERRORED, message)
    for identifier in gathered.unchanged:
        job.outcome(identifier, "gather", UNCHANGED)
    total = len(gathered.items)
    done = _work_through(job, kind, gathered.items, dry_run, progress, workers, deadline)
    if done < total:
        minutes = rt.settings.harvest_job_minutes
        job.result.message = (
            f"采集任务超过时限（{minutes:g} 分钟），已处理 {done}/{total} 个条目，"
            "其余条目下次采集继续；本次不撤回任何条目"
        )
    complete = gathered.complete and not dry_run and done == total
    if complete:
        seen = {i.identifier for i in gathered.items} | set(gathered.errors)
        seen |= set(gathered.unchanged)
        withdrawn, missing = withdraw_missing(rt, source_id=source.id, seen=seen)
        for dataset_id, identifier in withdrawn:
            job.outcome(identifier, "import", "withdrawn", "来源中已不存在", dataset_id)
        if missing:
            days = rt.settings.withdraw_grace_days
            job.result.message = f"{len(missing)} 个条目已不在来源中，{days:g} 天后仍未出现将撤回"
    if not dry_run:
        _after_harvest(rt)
    status = "finished" if done == total else "failed"
    job.finish(status, complete_since=started if complete else None)


def _work_through(
    job: _Job,
    kind: SourceKind,
    items: list[GatherItem],
    dry_run: bool,
    progress: Progress | None,
    workers: int | None,
    deadline: float,
) -> int:
    """Plan, download, prepare and publish ``items``, downloads and preparation running
    alongside; stops taking items at ``deadline``. Returns how many items were taken."""
    taken = 0
    with (
        Preparer(
            job.rt, workers=workers, expected=len(items), helpers=spread.helpers(job.rt)
        ) as preparer,
        Downloader[ImportPlan](kind, deadline=deadline) as downloads,
    ):
        for n, item in enumerate(items, start=1):
            if time.monotonic() >= deadline:
                break
            taken = n
            if progress:
                progress(item.title or item.identifier, n, len(items))
            plan = _plan(job, kind, item, dry_run)
            if plan is not None and any(f.path is None for f in plan.files):
                downloads.submit(plan, plan.record)
            elif plan is not None:
                preparer.submit(plan)
            for fetched, record, error in downloads.ready():
                _downloaded(job, preparer, replace(fetched, record=record), error)
            for ready, prepared, error in preparer.ready():
                _publish(job, kind, ready, prepared, error)
        for fetched, record, error in downloads.drain():
            _downloaded(job, preparer, replace(fetched, record=record), error)
            for ready, prepared, error in preparer.ready():
                _publish(job, kind, ready, prepared, error)
        for ready, prepared, error in preparer.drain():
            _publish(job, kind, ready, prepared, error)
    return taken


def _plan(job: _Job, kind: SourceKind, item: GatherItem, dry_run: bool) -> ImportPlan | None:
    """Fetch an item's metadata and decide what to do; outcomes needing no files end here."""
    stage = "fetch"
    try:
        record = kind.fetch(item)
        stage = "import"
        plan = plan_import(job.rt, record=record, source_id=job.source.id)
        if isinstance(plan, ImportOutcome):
            job.outcome(item.identifier, "import", plan.outcome, plan.message, plan.dataset_id)
            return None
        if dry_run:
            job.outcome(item.identifier, "import", plan.outcome, "", plan.existing_id)
            return None
        return plan
    except KaifangError as exc:  # refused state secrets, invalid entries
        job.outcome(item.identifier, stage, ERRORED, exc.message)
    except Exception as exc:  # noqa: BLE001 — one bad object never stops a job
        interrupts.check()  # an error a stop caused (a statement cut short) is the stop
        log.exception("object %s of %s failed", item.identifier, job.source.name)
        job.outcome(item.identifier, stage, ERRORED, failure_message(exc))
    return None


def _downloaded(
    job: _Job, preparer: Preparer, plan: ImportPlan, error: BaseException | None
) -> None:
    if error is None:
        preparer.submit(plan)
        return
    log.error("downloading files of %s failed: %r", plan.record.identifier, error)
    message = STORAGE_FULL if storage_full(error) else None
    message = message or (error.message if isinstance(error, KaifangError) else repr(error))
    job.outcome(plan.record.identifier, "fetch", ERRORED, f"文件下载出错：{message}")


def _publish(
    job: _Job,
    kind: SourceKind,
    plan: ImportPlan,
    prepared: list[PreparedFile],
    error: BaseException | None,
) -> None:
    identifier = plan.record.identifier
    kind.forget_downloads(plan.record)
    if error is not None:
        job.outcome(identifier, "import", ERRORED, failure_message(error))
        return
    try:
        outcome = publish_plan(job.rt, plan=plan, prepared=prepared)
    except KaifangError as exc:
        job.outcome(identifier, "import", ERRORED, exc.message)
    except Exception as exc:  # noqa: BLE001
        interrupts.check()  # an error a stop caused (a statement cut short) is the stop
        log.exception("publishing %s of %s failed", identifier, job.source.name)
        job.outcome(identifier, "import", ERRORED, failure_message(exc))
    else:
        if outcome.outcome == UNMIRRORED:
            job.result.hosts.update(
                f.unmirrored.host or "（无主机）" for f in plan.unmirrored if f.unmirrored
            )
        job.outcome(identifier, "import", outcome.outcome, outcome.message, outcome.dataset_id)


def _after_harvest(rt: Runtime) -> None:
    """Catalog-wide work after a harvest: quality scores, removal of unreferenced files, the
    search tables' statistics."""
    from datasets.catalog.maintenance import collect_garbage, refresh_quality
    from datasets.search.indexing import refresh_statistics

    refresh_quality(rt)
    collect_garbage(rt)
    refresh_statistics(rt)


def run_harvest(
    rt: Runtime,
    sources: list[SourceConfig],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    report: Callable[[JobResult], None] | None = None,
) -> list[JobResult]:
    """Harvest several sources one after another. A source that fails, whatever the reason
    (busy, unreachable, timed out, a bug), fails alone and the next one runs; ``report`` is
    told each result as it comes. Only a stop from outside (``Interrupted``) ends the loop."""
    locks.reap(rt)
    results = []
    for source in sources:
        try:
            result = run_source(rt, source, dry_run=dry_run, progress=progress)
        except Exception as exc:  # noqa: BLE001 — one source never keeps the next from running
            if not isinstance(exc, KaifangError):
                log.exception("harvest of %s failed", source.name)
            result = JobResult(source.name, "", "failed", dry_run, message=_abort_message(exc))
        results.append(result)
        if report is not None:
            report(result)
    return results
