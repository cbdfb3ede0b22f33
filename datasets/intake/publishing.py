"""Importing a harvested record into the catalog: classify, store, validate, publish, index.

This is the only way harvested data enters the catalog. The database commit is the moment of
publication: files are stored (content-addressed) before it, the search index is brought in line
after it, and a crash in between leaves only unreferenced files and a stale index entry, which the
next run repairs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from datasets.catalog.packages import media_type_for
from datasets.catalog.slugs import is_slug, slugify, unique_slug
from datasets.errors import ValidationError
from datasets.intake import public_root
from datasets.intake.placement import Placement, place_file
from datasets.intake.prepare import PreparedFile, prepare_file, scan_report
from datasets.intake.records import FileRecord, HarvestRecord
from datasets.intake.storage import file_sha256
from datasets.models import (
    AuditEntry,
    ClassificationEvent,
    Dataset,
    MaskingRule,
    Organization,
    Resource,
    Tag,
)
from datasets.openness import rules as op
from datasets.openness.confirmations import confirmations, effective_pii
from datasets.openness.masking import POLICIES_BY_CODE
from datasets.runtime import Runtime
from datasets.search.indexing import sync_index
from datasets.tables import DEFAULT_LIMITS, Limits
from datasets.workflows.scopes import review_grant_scopes

log = logging.getLogger(__name__)

ADDED, UPDATED, UNCHANGED, WITHDRAWN, ERRORED = (
    "added",
    "updated",
    "unchanged",
    "withdrawn",
    "errored",
)


@dataclass(frozen=True)
class ImportOutcome:
    outcome: str
    dataset_id: str | None = None
    name: str | None = None
    message: str = ""


def check_record(record: HarvestRecord) -> op.Classification:
    """Validate a record's required fields and its declaration (refusing state secrets)."""
    problems: dict[str, list[str]] = {}
    if not (record.title or "").strip():
        problems["title"] = ["缺少信息资源名称"]
    if not (record.provider.title or "").strip():
        problems["provider"] = ["缺少提供方"]
    if problems:
        raise ValidationError("目录缺少必填项：" + "、".join(problems), problems)
    unknown = sorted({p for p in record.masking.values() if p not in POLICIES_BY_CODE})
    if unknown:
        raise ValidationError(f"未知的脱敏规则：{'、'.join(unknown)}", {"masking": unknown})
    return op.classify(
        declared=record.openness, rule=record.exclusion_rule, basis=record.exclusion_basis
    )


def declaration(record: HarvestRecord, override: dict[str, Any]) -> dict[str, Any]:
    """What counts as declared: an operator's classification wins over the source's."""
    if override:
        return {k: override.get(k) for k in ("declared", "rule", "basis")}
    return {
        "declared": record.openness,
        "rule": record.exclusion_rule,
        "basis": record.exclusion_basis,
    }


def masking_rules(session: Session, dataset_id: str | None) -> dict[str, str]:
    if dataset_id is None:
        return {}
    rows = session.execute(
        select(MaskingRule.column, MaskingRule.policy).where(MaskingRule.dataset_id == dataset_id)
    ).all()
    return dict(rows)


def held_column(name: str) -> str:
    """The uncovered column that stands for a held file (one the scanner could not read)."""
    return f"{name}（无法扫描，待人工确认）"


def personal_columns(pii_reports: list[dict[str, Any]], names: list[str]) -> list[str]:
    """Personal columns over all files, in order; a file the scanner could not read (wholly or
    in part) counts as an uncovered column so that it is never published unchecked."""
    columns: list[str] = []
    for pii, name in zip(pii_reports, names, strict=True):
        report = scan_report(pii)
        if report.held:
            columns.append(held_column(name))
        for column in report.personal_columns:
            if column not in columns:
                columns.append(column)
    return columns


def classify_files(
    declared: dict[str, Any],
    files: list[tuple[str, str, dict[str, Any]]],
    rules: dict[str, str],
) -> op.Classification:
    """The class of a dataset from its declaration, its files' scans ((name, format, scan
    report) each) and its masking rules. Personal values outside a table (another sheet, a
    comment, a title row) need a rule too: a person decides, even though a masked copy never
    carries them as they are."""
    personal = personal_columns([pii for _, _, pii in files], [name for name, _, _ in files])
    classification = op.classify(**declared, personal_columns=personal, masked_columns=rules)
    held = [name for name, _, pii in files if scan_report(pii).held]
    if classification.state != "quarantined" or not held:
        return classification
    # say which files wait for a person rather than calling them personal information
    marks = {held_column(name) for name in held}
    found = [c for c in classification.uncovered if c not in marks]
    reasons = [f"有 {len(held)} 个文件无法扫描，须人工确认不含个人信息：" + "、".join(held)]
    if found:
        reasons.insert(0, "部门声明无条件开放，但扫描发现个人信息：" + "、".join(found))
    reasons.append(
        "暂停发布，待提供部门审核人员或运维人员人工确认文件"
        + ("，并由运维人员设置脱敏规则或重新分类" if found else "")
    )
    return replace(classification, reasons=tuple(reasons))


def with_confirmations(
    rt: Runtime, dataset_id: str | None, prepared: list[PreparedFile]
) -> list[PreparedFile]:
    """The prepared files with the department's confirmations (人工确认) applied."""
    if dataset_id is None or not any(scan_report(p.pii).held for p in prepared):
        return prepared
    with rt.reader() as session:
        confirmed = confirmations(session, dataset_id)
    return [replace(p, pii=effective_pii(p.pii, p.sha256, confirmed)) for p in prepared]


@dataclass(frozen=True)
class ImportPlan:
    """What importing a record will do, decided before any file is fetched or read."""

    record: HarvestRecord
    source_id: str | None
    outcome: str  # added | updated
    existing_id: str | None
    existing_name: str | None
    declared: dict[str, Any]
    rules: dict[str, str]
    content_hash: str

    @property
    def files(self) -> list[FileRecord]:
        return list(self.record.files) if self.wants_files else []

    @property
    def wants_files(self) -> bool:
        first = op.classify(**self.declared)
        return op.needs_files(first, has_masking_rules=bool(self.rules))


def file_fingerprint(record: FileRecord) -> str:
    """What identifies a file's content: its SHA-256 when it is on disk, else what the source
    says of it (URL, size, date or hash), so unchanged remote files are never downloaded."""
    if record.path is not None:
        return file_sha256(record.path)[0]
    return f"remote:{record.fingerprint or record.source_url}"


def plan_import(
    rt: Runtime, *, record: HarvestRecord, source_id: str | None
) -> ImportPlan | ImportOutcome:
    """Check a record and compare it with what is stored: an ``ImportOutcome`` (unchanged)
    when there is nothing to do, else the plan. Raises for an invalid or refused record."""
    check_record(record)
    with rt.reader() as session:
        existing = _find_existing(session, source_id, record.identifier)
        known = None
        if existing is not None:
            known = (existing.id, existing.name, existing.content_hash, existing.state)
        override = dict(existing.override) if existing is not None else {}
        stored_rules = masking_rules(session, known[0] if known else None)
    rules = {**record.masking, **stored_rules}
    declared = declaration(record, override)
    first = op.classify(**declared)
    wanted = list(record.files) if op.needs_files(first, has_masking_rules=bool(rules)) else []
    content_hash = record.metadata_hash(
        [file_fingerprint(f) for f in wanted], extra=[rules, override]
    )
    if known and known[2] == content_hash and known[3] in ("active", "quarantined"):
        return ImportOutcome(UNCHANGED, known[0], known[1])
    return ImportPlan(
        record=record,
        source_id=source_id,
        outcome=UPDATED if known else ADDED,
        existing_id=known[0] if known else None,
        existing_name=known[1] if known else None,
        declared=declared,
        rules=rules,
        content_hash=content_hash,
    )


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
            if f.path is None:
                raise ValidationError(f"文件尚未下载：{f.name}", {"files": [f.name]})
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
    """Remove the temporary copies made while preparing files."""
    for p in prepared:
        if p.temporary:
            p.path.unlink(missing_ok=True)


def publish_plan(
    rt: Runtime,
    *,
    plan: ImportPlan,
    prepared: list[PreparedFile],
    actor: str = "harvester",
    index: bool = True,
) -> ImportOutcome:
    """Classify with the scanner's findings, store the files, commit, index. The commit is the
    moment of publication; the prepared temporary files are removed in any case.

    ``index=False`` leaves the search index to the caller (a harvest job indexes in batches;
    the index is derived from the database and any lag is repaired by ``sync_index``)."""
    record = plan.record
    files = public_root.Tracker(rt)  # public files this version stops publishing go after it
    try:
        prepared = with_confirmations(rt, plan.existing_id, prepared)
        scanned = [(p.record.name, p.format, p.pii) for p in prepared]
        classification = classify_files(plan.declared, scanned, plan.rules)
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
                )
                for p in prepared
            ]
        with rt.session() as session:
            files.note(session, plan.existing_id)
            dataset = _upsert(
                session,
                rt,
                record,
                classification,
                plan.source_id,
                plan.content_hash,
                actor,
                [(p, placement) for p, placement in zip(prepared, placements, strict=False)],
            )
            _store_source_rules(session, dataset.id, record.masking, actor)
            dataset_id, name = dataset.id, dataset.name
    finally:
        discard(prepared)
    files.finish()
    if index:
        sync_index(rt, dataset_ids=[dataset_id])
    return ImportOutcome(plan.outcome, dataset_id, name)


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
    prepared = prepare_files(plan.files, **prepare_options(rt))
    return publish_plan(rt, plan=plan, prepared=prepared, actor=actor)


def _store_source_rules(
    session: Session, dataset_id: str, rules: dict[str, str], actor: str
) -> None:
    """Keep the masking rules a source declares, without overriding an operator's."""
    if not rules:
        return
    existing = masking_rules(session, dataset_id)
    for column, policy in rules.items():
        if column not in existing:
            session.add(
                MaskingRule(
                    dataset_id=dataset_id, column=column, policy=policy, set_by=f"source:{actor}"
                )
            )


def _find_existing(session: Session, source_id: str | None, identifier: str) -> Dataset | None:
    if source_id is None:
        return None
    return session.scalar(
        select(Dataset)
        .where(Dataset.source_id == source_id, Dataset.source_identifier == identifier)
        .options(selectinload(Dataset.resources))
    )


def ensure_organization(
    session: Session, *, title: str, code: str | None, region: str
) -> Organization:
    """The department with this code (or title), created when first seen."""
    title = title.strip()
    code = (code or "").strip() or None
    org = None
    if code:
        org = session.scalar(select(Organization).where(Organization.code == code))
    if org is None:
        org = session.scalar(select(Organization).where(Organization.title == title))
    if org is None:
        taken = set(session.scalars(select(Organization.name)))
        base = slugify(title.removeprefix(region) or title, fallback="department")
        org = Organization(name=unique_slug(base, taken), title=title, code=code)
        session.add(org)
        session.flush()
    elif code and not org.code:
        org.code = code
    return org


def _dataset_name(session: Session, record: HarvestRecord, current: str | None) -> str:
    if current:
        return current
    base = record.name if record.name and is_slug(record.name) else slugify(record.title)
    taken = set(
        session.scalars(select(Dataset.name).where(Dataset.name.startswith(base, autoescape=True)))
    )
    return unique_slug(base, taken)


def _upsert(
    session: Session,
    rt: Runtime,
    record: HarvestRecord,
    classification: op.Classification,
    source_id: str | None,
    content_hash: str,
    actor: str,
    files: list[tuple[PreparedFile, Placement]],
) -> Dataset:
    now = datetime.now(UTC)
    org = ensure_organization(
        session,
        title=record.provider.title,
        code=record.provider.code,
        region=rt.settings.region_name,
    )
    dataset = None
    if source_id is not None:
        dataset = session.scalar(
            select(Dataset).where(
                Dataset.source_id == source_id, Dataset.source_identifier == record.identifier
            )
        )
    is_new = dataset is None
    if dataset is None:
        dataset = Dataset(
            source_id=source_id, source_identifier=record.identifier, revision=0, created_at=now
        )
    dataset.name = _dataset_name(session, record, dataset.name)
    dataset.title = record.title.strip()
    dataset.code = record.code
    dataset.topic = record.topic
    dataset.organization = org
    dataset.notes = record.notes or ""
    dataset.declared_openness = op.parse_openness(record.openness)
    dataset.conditions = record.conditions
    dataset.share_type = record.share_type
    dataset.update_cycle = record.update_cycle
    dataset.issued = record.issued
    dataset.modified = record.modified
    dataset.temporal_start = record.temporal_start
    dataset.temporal_end = record.temporal_end
    dataset.license_id = record.license_id
    dataset.license_title = record.license_title
    dataset.license_url = record.license_url
    dataset.source_url = record.source_url
    dataset.related = list(record.related)
    dataset.unnormalised = dict(record.unnormalised)
    dataset.content_hash = content_hash
    dataset.missing_since = None
    dataset.record_count = record.record_count  # the files' row count wins when there are files
    if is_new:
        session.add(dataset)
    _replace_tags(dataset, record.keywords)
    apply_classification(
        session, dataset, classification, files, actor=actor, now=now, published=is_new
    )
    return dataset


def apply_classification(
    session: Session,
    dataset: Dataset,
    classification: op.Classification,
    files: list[tuple[PreparedFile | Resource, Placement]],
    *,
    actor: str,
    now: datetime,
    published: bool = False,
    reason: str | None = None,
) -> None:
    """Set a dataset's class, state and resources; record the history and the audit row."""
    old = (dataset.openness, dataset.exclusion_rule, dataset.state, dataset.deidentified)
    old_columns = list(dataset.columns or [])
    dataset.openness = classification.openness
    dataset.exclusion_rule = classification.exclusion_rule
    dataset.exclusion_basis = classification.exclusion_basis
    dataset.state = classification.state
    dataset.deidentified = classification.deidentified
    dataset.quarantine = _quarantine_note(classification, files)
    dataset.revision = (dataset.revision or 0) + 1
    dataset.metadata_modified = now
    _replace_resources(dataset, files, now)
    rows = [r.row_count for r in dataset.resources if r.row_count is not None]
    dataset.record_count = sum(rows) if rows else dataset.record_count
    first_fields = next((r.schema.get("fields") for r in dataset.resources if r.schema), [])
    personal = {c for _, pl in files for c in scan_report(pl.pii).personal_columns}
    dataset.columns = [
        {
            "name": f["name"],
            "type": f.get("type", "string"),
            "description": f.get("description", ""),
            "personal": f["name"] in personal,
        }
        for f in first_fields or []
    ]
    dataset.field_count = len(dataset.columns) or None
    session.flush()
    if not published:  # grants whose columns changed wait for the department (SPEC §7)
        review_grant_scopes(session, dataset, before=old_columns, actor=actor)
    new = (dataset.openness, dataset.exclusion_rule, dataset.state, dataset.deidentified)
    if published or old != new:
        session.add(
            ClassificationEvent(
                dataset_id=dataset.id,
                actor=actor,
                old_openness=None if published else _label(old),
                new_openness=_label(new),
                old_rule=None if published else old[1],
                new_rule=dataset.exclusion_rule,
                reason=reason or "；".join(classification.reasons),
            )
        )
    session.add(
        AuditEntry(
            actor=actor,
            action="dataset.publish" if published else "dataset.update",
            object_type="dataset",
            object_id=dataset.id,
            detail={
                "name": dataset.name,
                "openness": dataset.openness,
                "state": dataset.state,
                "deidentified": dataset.deidentified,
                "revision": dataset.revision,
                "resources": len(files),
            },
        )
    )


def _label(values: tuple) -> str | None:  # type: ignore[type-arg]
    """The class as recorded in the history: quarantined and de-identified are visible."""
    openness, _rule, state, deidentified = values
    if openness is None:
        return None
    if state == "quarantined":
        return "quarantined"
    return f"{openness}+masked" if deidentified else openness


def _quarantine_note(
    classification: op.Classification, files: list[tuple[PreparedFile | Resource, Placement]]
) -> dict[str, Any]:
    if classification.state != "quarantined":
        return {}
    findings = []
    for prep, placement in files:
        name = prep.name if isinstance(prep, Resource) else prep.record.name
        for finding in scan_report(placement.pii).findings:
            findings.append({"resource": name, **asdict(finding)})
    held = [
        {"resource": prep.name if isinstance(prep, Resource) else prep.record.name, "reasons": r}
        for prep, placement in files
        if (r := list(scan_report(placement.pii).held))
    ]
    return {
        "reasons": list(classification.reasons),
        "uncovered": list(classification.uncovered),
        "findings": findings,
        "held": held,
    }


def _replace_tags(dataset: Dataset, keywords: tuple[str, ...]) -> None:
    wanted = []
    for word in keywords:
        word = word.strip()[:100]
        if word and word not in wanted:
            wanted.append(word)
    current = {t.name: t for t in dataset.tags}
    dataset.tags = [current.get(w) or Tag(name=w) for w in wanted]


def _replace_resources(
    dataset: Dataset, files: list[tuple[PreparedFile | Resource, Placement]], now: datetime
) -> None:
    """Make the dataset's resources those of ``files``; kept resources keep their ids."""
    by_name = {r.name: r for r in dataset.resources}
    kept: list[Resource] = []
    for position, (prep, placement) in enumerate(files):
        if isinstance(prep, Resource):  # re-placing a stored file (release, reclassification)
            res = by_name.pop(prep.name, prep)
        else:
            rec = prep.record
            res = by_name.pop(rec.name, None) or Resource(created_at=now)
            res.name = rec.name
            res.description = rec.description or rec.title or ""
            res.format = prep.format
            res.media_type = rec.media_type or media_type_for(prep.format)
            res.filename = _download_name(rec.name, prep.format)
            res.source_url = rec.source_url
            res.source_encoding = prep.source_encoding
            res.row_count = prep.row_count
            res.field_count = prep.field_count
            res.schema = {"fields": list(prep.fields)}
            res.validated_at = now if prep.report else None
        changed = res.sha256 != placement.original.sha256 or (
            res.public_sha256 != (placement.public.sha256 if placement.public else None)
        )
        res.position = position
        res.storage_root = placement.original.root
        res.storage_key = placement.original.key
        res.size = placement.original.size
        res.sha256 = placement.original.sha256
        res.public_key = placement.public.key if placement.public else None
        res.public_sha256 = placement.public.sha256 if placement.public else None
        res.public_size = placement.public.size if placement.public else None
        res.validation_status = placement.report.get("status")
        res.validation_report = placement.report
        res.preview = placement.preview
        res.pii_report = placement.pii
        res.masking_applied = placement.masking_applied
        if changed or res.modified_at is None:
            res.modified_at = now
        kept.append(res)
    dataset.resources = kept


def _download_name(name: str, fmt: str) -> str:
    base = slugify(name, fallback="data")
    return f"{base}.{fmt}"


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
            withdrawn.append((dataset.id, dataset.source_identifier or ""))
    files.finish()
    if withdrawn:
        sync_index(rt, dataset_ids=[dataset_id for dataset_id, _ in withdrawn])
    return withdrawn, missing
