"""Harvest jobs: gather → fetch → import for one source, every object's outcome stored.

One bad object never stops a job; a source that cannot be read fails its job with a reason.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from datasets.errors import KaifangError, SourceError
from datasets.indexing import sync_index
from datasets.models import HarvestJob, HarvestObject
from datasets.publishing import ERRORED, check_record, import_record, withdraw_missing
from datasets.runtime import Runtime

from .base import SourceConfig
from .sources import KINDS

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass
class JobResult:
    source: str
    job_id: str
    status: str  # finished | failed
    dry_run: bool
    counts: Counter = field(default_factory=Counter)
    message: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (outcome, id, message)

    def summary(self) -> str:
        order = ("added", "updated", "unchanged", "withdrawn", "errored")
        parts = [f"{k} {self.counts.get(k, 0)}" for k in order]
        text = f"{self.source}: {self.status}, " + ", ".join(parts)
        return text + (f" — {self.message}" if self.message else "")


def _start_job(rt: Runtime, source: SourceConfig, dry_run: bool) -> str:
    with rt.session() as session:
        job = HarvestJob(source_id=source.id, status="running", dry_run=dry_run)
        session.add(job)
        session.flush()
        return job.id


def _record(
    rt: Runtime,
    job_id: str,
    identifier: str,
    stage: str,
    outcome: str,
    message: str = "",
    dataset_id: str | None = None,
) -> None:
    with rt.session() as session:
        session.add(
            HarvestObject(
                job_id=job_id,
                identifier=identifier[:300],
                stage=stage,
                outcome=outcome,
                message=message[:2000],
                dataset_id=dataset_id,
            )
        )
        job = session.get(HarvestJob, job_id)
        if job is not None:
            job.heartbeat_at = datetime.now(UTC)


def _finish(rt: Runtime, job_id: str, status: str, counts: Counter, message: str) -> None:
    with rt.session() as session:
        job = session.get(HarvestJob, job_id)
        job.status = status
        job.finished_at = datetime.now(UTC)
        job.stats = dict(counts)
        job.message = message[:2000]


def run_source(
    rt: Runtime, source: SourceConfig, *, dry_run: bool = False, progress: Progress | None = None
) -> JobResult:
    """Harvest one source. Never raises for problems in the source; they end up in the result."""
    job_id = _start_job(rt, source, dry_run)
    result = JobResult(source.name, job_id, "running", dry_run)
    kind = KINDS[source.kind](source, rt)
    try:
        try:
            gathered = kind.gather()
        except SourceError as exc:
            result.status, result.message = "failed", exc.message
            _record(rt, job_id, source.name, "gather", ERRORED, exc.message)
            _finish(rt, job_id, "failed", result.counts, exc.message)
            return result
        for identifier, message in gathered.errors.items():
            _outcome(rt, result, identifier, "gather", ERRORED, message)
        for identifier in gathered.unchanged:
            _outcome(rt, result, identifier, "gather", "unchanged")
        total = len(gathered.items)
        for n, item in enumerate(gathered.items, start=1):
            if progress:
                progress(item.title or item.identifier, n, total)
            _harvest_item(rt, kind, source, item, result)
        if gathered.complete and not dry_run:
            seen = {i.identifier for i in gathered.items} | set(gathered.errors)
            seen |= set(gathered.unchanged)
            for dataset_id, identifier in withdraw_missing(rt, source_id=source.id, seen=seen):
                _outcome(
                    rt, result, identifier, "import", "withdrawn", "来源中已不存在", dataset_id
                )
        if not dry_run:
            sync_index(rt)
        result.status = "finished"
        _finish(rt, job_id, "finished", result.counts, result.message)
    except BaseException as exc:
        message = f"任务意外中止：{type(exc).__name__}: {exc}"
        log.exception("harvest of %s crashed", source.name)
        _finish(rt, job_id, "failed", result.counts, message)
        raise
    finally:
        kind.close()
    return result


def _harvest_item(rt: Runtime, kind, source: SourceConfig, item, result: JobResult) -> None:  # type: ignore[no-untyped-def]
    stage = "fetch"
    try:
        record = kind.fetch(item)
        check_record(record)  # refuse state secrets and invalid entries before storing anything
        stage = "import"
        outcome = import_record(
            rt, record=record, source_id=source.id, dry_run=result.dry_run, fetch=kind.fetch_files
        )
    except KaifangError as exc:  # refused state secrets, invalid entries, unreadable files
        _outcome(rt, result, item.identifier, stage, ERRORED, exc.message)
        return
    except Exception as exc:  # noqa: BLE001 — one bad object never stops a job
        log.exception("object %s of %s failed", item.identifier, source.name)
        _outcome(rt, result, item.identifier, stage, ERRORED, f"{type(exc).__name__}: {exc}")
        return
    _outcome(
        rt, result, item.identifier, "import", outcome.outcome, outcome.message, outcome.dataset_id
    )


def _outcome(
    rt: Runtime,
    result: JobResult,
    identifier: str,
    stage: str,
    outcome: str,
    message: str = "",
    dataset_id: str | None = None,
) -> None:
    result.counts[outcome] += 1
    if outcome != "unchanged":
        result.changes.append((outcome, identifier, message))
    _record(rt, result.job_id, identifier, stage, outcome, message, dataset_id)


def run_harvest(
    rt: Runtime,
    sources: list[SourceConfig],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[JobResult]:
    return [run_source(rt, s, dry_run=dry_run, progress=progress) for s in sources]


def job_objects(rt: Runtime, job_id: str) -> list[dict]:
    with rt.reader() as session:
        rows = session.scalars(
            select(HarvestObject).where(HarvestObject.job_id == job_id).order_by(HarvestObject.id)
        )
        return [
            {
                "identifier": o.identifier,
                "stage": o.stage,
                "outcome": o.outcome,
                "message": o.message,
                "dataset_id": o.dataset_id,
            }
            for o in rows
        ]
