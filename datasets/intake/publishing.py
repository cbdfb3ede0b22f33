"""Importing a harvested record into the catalog: classify, store, validate, publish.

This is the only way harvested data enters the catalog. The database commit is the moment of
publication, and the dataset's search row is written in the same transaction: files are stored
(content-addressed) before it, so a crash leaves at most unreferenced files, which the next run
removes.

A record is planned (``planning``: its declaration classified, nothing read), its files are
prepared (``prepare``: each copied once into staging, then scanned and validated from the copy),
and the plan is published here: the class completed with the scans (``findings``), the copies
moved into the file store, the rows written (``entries``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from datasets.catalog import activity
from datasets.intake import public_root
from datasets.intake.entries import store_source_rules, upsert
from datasets.intake.findings import classify_scanned, with_confirmations
from datasets.intake.gating import apply_gates, prepared_files
from datasets.intake.placement import place_file
from datasets.intake.planning import (
    UNMIRRORED,
    WITHDRAWN,
    ImportOutcome,
    ImportPlan,
    plan_import,
)
from datasets.intake.prepare import PreparedFile, prepare_file
from datasets.intake.records import FileRecord, HarvestRecord
from datasets.models import AuditEntry, Dataset
from datasets.openness.rules import Classification
from datasets.runtime import Runtime
from datasets.tables import DEFAULT_LIMITS, Limits

log = logging.getLogger(__name__)


def prepare_files(
    files: list[FileRecord],
    *,
    staging: Path,
    row_limit: int,
    max_bytes: int,
    scan_row_limit: int,
    limits: Limits = DEFAULT_LIMITS,
) -> list[PreparedFile]:
    """Encoding, validation and scanning of a record's files: plain values in and out, so a
    harvester may run it in worker processes."""
    prepared: list[PreparedFile] = []
    try:
        for f in files:
            prepared.append(
                prepare_file(
                    f,
                    staging=staging,
                    row_limit=row_limit,
                    max_bytes=max_bytes,
                    scan_row_limit=scan_row_limit,
                    limits=limits,
                )
            )
    except BaseException:
        discard(prepared)
        raise
    return prepared


def prepare_options(rt: Runtime) -> dict[str, Any]:
    return {
        "staging": rt.paths.staging,
        "row_limit": rt.settings.validation_row_limit,
        "max_bytes": rt.settings.max_file_bytes,
        "scan_row_limit": rt.settings.scan_row_limit,
        "limits": Limits.from_settings(rt.settings),
    }


def discard(prepared: list[PreparedFile]) -> None:
    """Remove the copies made while preparing files (those not moved into the store)."""
    for p in prepared:
        p.path.unlink(missing_ok=True)


def publish_plan(
    rt: Runtime,
    *,
    plan: ImportPlan,
    prepared: list[PreparedFile],
    actor: str = "harvester",
) -> ImportOutcome:
    """Classify with the scanner's findings, store the files, commit (with the search row). The
    commit is the moment of publication; the prepared copies are moved into the store or
    removed."""
    record = plan.record
    if (kept := _keeps_previous_version(rt, plan)) is not None:
        discard(prepared)
        return kept
    files = public_root.Tracker(rt)  # public files this version stops publishing go after it
    try:
        prepared = with_confirmations(rt, plan.existing_id, prepared)
        classification = _classify(rt, plan, prepared)
        placements = []
        withheld = public_root.withheld(rt, plan.existing_id)
        if classification.stores_files:
            placements = [
                place_file(
                    rt,
                    path=p.path,
                    fmt=p.format,
                    classification=classification,
                    pii=p.pii,
                    rules=plan.rules,
                    report=p.report,
                    raw_preview=p.preview,
                    withheld=withheld,
                    staged_sha256=p.sha256,
                )
                for p in prepared
            ]
        with rt.session() as session:
            files.note(session, plan.existing_id)
            dataset = upsert(
                session,
                rt,
                record,
                classification,
                plan.source_id,
                plan.content_hash,
                actor,
                list(zip(prepared, placements, strict=False)),
                links=plan.unmirrored,
            )
            store_source_rules(session, dataset.id, record.masking, actor)
            dataset_id, name = dataset.id, dataset.name
    finally:
        discard(prepared)
    files.finish()
    return _published(plan, dataset_id, name)


def _published(plan: ImportPlan, dataset_id: str, name: str) -> ImportOutcome:
    """What a publication was: its plan's outcome, or ``UNMIRRORED`` when a file is a link."""
    if plan.unmirrored:
        return ImportOutcome(UNMIRRORED, dataset_id, name, unmirrored_message(plan.unmirrored))
    return ImportOutcome(plan.outcome, dataset_id, name)


def unmirrored_message(files: list[FileRecord]) -> str:
    """One line per file that could not be downloaded: its name and why."""
    return "；".join(
        f"{f.name} 未镜像：{f.unmirrored.detail or f.unmirrored.reason}"
        for f in files
        if f.unmirrored
    )


def _keeps_previous_version(rt: Runtime, plan: ImportPlan) -> ImportOutcome | None:
    """A new version whose download failed for a file the catalog already holds a mirrored,
    scanned copy of: the previous version stays published as it is (its stored hash is not
    this version's, so the next harvest tries again), rather than a good file giving way to a
    link."""
    if not plan.unmirrored or plan.existing_id is None:
        return None
    names = {f.name for f in plan.unmirrored}
    with rt.reader() as session:
        dataset = session.get(Dataset, plan.existing_id)
        if dataset is None or dataset.state not in ("active", "quarantined"):
            return None
        held = [r.name for r in dataset.resources if r.name in names and not r.unmirrored]
        if not held:
            return None
        message = "新版本的文件未能下载，保留已镜像的上一版本，下次采集重试：" + (
            unmirrored_message(plan.unmirrored)
        )
        return ImportOutcome(UNMIRRORED, dataset.id, dataset.name, message)


def _classify(rt: Runtime, plan: ImportPlan, prepared: list[PreparedFile]) -> Classification:
    """The plan's declared class completed with its files' scans, then held by the publish
    gates it fails (files it names but could not fetch are not yet checkable)."""
    scanned = [(p.record.name, p.format, p.pii) for p in prepared]
    classification = classify_scanned(plan.declared, scanned, plan.rules)
    unfetched = [f for f in plan.files if f.path is None]
    with rt.reader() as session:
        return apply_gates(
            session,
            classification,
            plan.record,
            prepared_files(prepared, unfetched),
            dataset_id=plan.existing_id,
        )


def import_record(
    rt: Runtime,
    *,
    record: HarvestRecord,
    source_id: str | None,
    actor: str = "harvester",
    dry_run: bool = False,
    fetch: Callable[[HarvestRecord], HarvestRecord] | None = None,
) -> ImportOutcome:
    """Create or update the dataset of ``record`` in one go; returns what happened.

    ``fetch`` downloads files the record only names (remote sources); it is called only when
    the record changed. Raises ``RefusedAtIntake`` (state secrets: nothing is stored) and
    ``ValidationError`` for an invalid record; the caller records those as errored objects.
    """
    plan = plan_import(rt, record=record, source_id=source_id)
    if isinstance(plan, ImportOutcome):
        return plan
    if dry_run:
        return ImportOutcome(plan.outcome, plan.existing_id, plan.existing_name)
    if fetch is not None and plan.wants_files and any(f.path is None for f in plan.files):
        plan = replace(plan, record=fetch(plan.record))
    prepared = prepare_files(plan.local_files, **prepare_options(rt))
    return publish_plan(rt, plan=plan, prepared=prepared, actor=actor)


def withdraw_missing(
    rt: Runtime, *, source_id: str, seen: set[str], actor: str = "harvester"
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Handle the datasets of a source whose identifiers a complete gather did not see.

    The first run that misses an entry marks it missing; once it has been missing longer than
    ``withdraw_grace_days`` it is withdrawn: it leaves the public catalog and the index but
    keeps its rows, so a later harvest that sees it again restores it. Returns
    (withdrawn, still missing), each as (dataset id, source identifier).
    """
    grace = timedelta(days=rt.settings.withdraw_grace_days)
    now = datetime.now(UTC)
    withdrawn: list[tuple[str, str]] = []
    missing: list[tuple[str, str]] = []
    files = public_root.Tracker(rt)
    with rt.session() as session:
        rows = session.scalars(
            select(Dataset).where(Dataset.source_id == source_id, Dataset.state != WITHDRAWN)
        ).all()
        for dataset in rows:
            if dataset.source_identifier in seen:
                dataset.missing_since = None
                continue
            if dataset.missing_since is None:
                dataset.missing_since = now
            if now - dataset.missing_since < grace:
                missing.append((dataset.id, dataset.source_identifier or ""))
                continue
            before = activity.snapshot(dataset)
            dataset.state = WITHDRAWN
            dataset.revision += 1
            dataset.content_hash = None
            dataset.metadata_modified = now
            files.hide(session, dataset)  # its files leave the public root with it
            session.add(
                AuditEntry(
                    actor=actor,
                    action="dataset.withdraw",
                    object_type="dataset",
                    object_id=dataset.id,
                    detail={
                        "name": dataset.name,
                        "reason": "no longer in its source",
                        "missing_since": dataset.missing_since.isoformat(),
                    },
                )
            )
            activity.record_change(session, dataset, before, now=now)
            withdrawn.append((dataset.id, dataset.source_identifier or ""))
    files.finish()
    return withdrawn, missing
