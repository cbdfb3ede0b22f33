"""Importing a harvested record into the catalog: classify, store, validate, publish, index.

This is the only way harvested data enters the catalog. The database commit is the moment of
publication: files are stored (content-addressed) before it, the search index is brought in line
after it, and a crash in between leaves only unreferenced files and a stale index entry, which the
next run repairs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from . import openness as op
from .errors import ValidationError
from .indexing import sync_index
from .intake import PreparedFile, prepare_file
from .models import AuditEntry, ClassificationEvent, Dataset, Organization, Resource, Tag
from .packages import media_type_for
from .records import HarvestRecord
from .runtime import Runtime
from .slugs import is_slug, slugify, unique_slug
from .storage import PRIVATE, PUBLIC, file_sha256

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
    """Validate a record's required fields and classify it. Raises on an invalid record."""
    problems: dict[str, list[str]] = {}
    if not (record.title or "").strip():
        problems["title"] = ["缺少信息资源名称"]
    if not (record.provider.title or "").strip():
        problems["provider"] = ["缺少提供方"]
    if problems:
        raise ValidationError("目录缺少必填项：" + "、".join(problems), problems)
    return op.classify(
        declared=record.openness, rule=record.exclusion_rule, basis=record.exclusion_basis
    )


def import_record(
    rt: Runtime,
    *,
    record: HarvestRecord,
    source_id: str | None,
    actor: str = "harvester",
    dry_run: bool = False,
    prepared: list[PreparedFile] | None = None,
) -> ImportOutcome:
    """Create or update the dataset of ``record``; returns what happened.

    Raises ``RefusedAtIntake`` (state secrets: nothing is stored) and ``ValidationError`` for an
    invalid record; the caller records those as errored objects.
    """
    classification = check_record(record)
    files = [] if classification.openness == op.CLOSED else list(record.files)
    file_hashes = [file_sha256(f.path)[0] for f in files]
    content_hash = record.metadata_hash(file_hashes)
    with rt.reader() as session:
        existing = _find_existing(session, source_id, record.identifier)
        if (
            existing is not None
            and existing.content_hash == content_hash
            and existing.state
            in (
                "active",
                "quarantined",
            )
        ):
            return ImportOutcome(UNCHANGED, existing.id, existing.name)
    outcome = UPDATED if existing is not None else ADDED
    if dry_run:
        return ImportOutcome(outcome, existing.id if existing else None, existing and existing.name)

    root = PUBLIC if classification.openness == op.UNCONDITIONAL else PRIVATE
    if prepared is None:
        prepared = [
            prepare_file(
                f,
                staging=rt.paths.staging,
                row_limit=rt.settings.validation_row_limit,
                keep_cell_values=root == PUBLIC,
                max_bytes=rt.settings.max_file_bytes,
            )
            for f in files
        ]
    try:
        stored = [rt.store.put(p.path, root=root, extension=p.format) for p in prepared]
        with rt.session() as session:
            dataset = _upsert(
                session,
                rt,
                record,
                classification,
                source_id,
                content_hash,
                prepared,
                stored,
                actor,
            )
            dataset_id, name = dataset.id, dataset.name
    finally:
        for p in prepared:
            if p.temporary:
                p.path.unlink(missing_ok=True)
    sync_index(rt, dataset_ids=[dataset_id])
    return ImportOutcome(outcome, dataset_id, name)


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
    taken = set(session.scalars(select(Dataset.name)))
    base = record.name if record.name and is_slug(record.name) else slugify(record.title)
    return unique_slug(base, taken)


def _upsert(
    session: Session,
    rt: Runtime,
    record: HarvestRecord,
    classification: op.Classification,
    source_id: str | None,
    content_hash: str,
    prepared: list[PreparedFile],
    stored: list,
    actor: str,
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
    old_openness = old_rule = None
    if dataset is None:
        dataset = Dataset(
            source_id=source_id, source_identifier=record.identifier, revision=0, created_at=now
        )
    else:
        old_openness, old_rule = dataset.openness, dataset.exclusion_rule
    dataset.name = _dataset_name(session, record, dataset.name)
    dataset.title = record.title.strip()
    dataset.code = record.code
    dataset.topic = record.topic
    dataset.organization = org
    dataset.notes = record.notes or ""
    dataset.openness = classification.openness
    dataset.conditions = record.conditions if classification.openness == op.CONDITIONAL else None
    dataset.exclusion_rule = classification.exclusion_rule
    dataset.exclusion_basis = classification.exclusion_basis
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
    dataset.state = "active"
    dataset.revision = (dataset.revision or 0) + 1
    dataset.metadata_modified = now
    if is_new:
        session.add(dataset)
    _replace_tags(dataset, record.keywords)
    _replace_resources(session, dataset, prepared, stored, now)
    rows = [p.row_count for p in prepared if p.row_count is not None]
    dataset.record_count = sum(rows) if rows else record.record_count
    first_fields = next((p.fields for p in prepared if p.fields), ())
    dataset.columns = [
        {
            "name": f["name"],
            "type": f.get("type", "string"),
            "description": f.get("description", ""),
            "personal": False,
        }
        for f in first_fields
    ]
    dataset.field_count = len(first_fields) or None
    session.flush()
    if is_new or old_openness != dataset.openness or old_rule != dataset.exclusion_rule:
        session.add(
            ClassificationEvent(
                dataset_id=dataset.id,
                actor=actor,
                old_openness=old_openness,
                new_openness=dataset.openness,
                old_rule=old_rule,
                new_rule=dataset.exclusion_rule,
                reason="；".join(classification.reasons),
            )
        )
    session.add(
        AuditEntry(
            actor=actor,
            action="dataset.publish" if is_new else "dataset.update",
            object_type="dataset",
            object_id=dataset.id,
            detail={
                "name": dataset.name,
                "openness": dataset.openness,
                "revision": dataset.revision,
                "resources": len(prepared),
            },
        )
    )
    return dataset


def _replace_tags(dataset: Dataset, keywords: tuple[str, ...]) -> None:
    wanted = []
    for word in keywords:
        word = word.strip()[:100]
        if word and word not in wanted:
            wanted.append(word)
    current = {t.name: t for t in dataset.tags}
    dataset.tags = [current.get(w) or Tag(name=w) for w in wanted]


def _replace_resources(
    session: Session, dataset: Dataset, prepared: list[PreparedFile], stored: list, now: datetime
) -> None:
    by_name = {r.name: r for r in dataset.resources}
    kept: list[Resource] = []
    for position, (prep, item) in enumerate(zip(prepared, stored, strict=True)):
        rec = prep.record
        res = by_name.pop(rec.name, None) or Resource(created_at=now)
        changed = res.sha256 != item.sha256
        res.position = position
        res.name = rec.name
        res.description = rec.description or rec.title or ""
        res.format = prep.format
        res.media_type = rec.media_type or media_type_for(prep.format)
        res.filename = _download_name(rec.name, prep.format)
        res.source_url = rec.source_url
        res.storage_root = item.root
        res.storage_key = item.key
        res.size = item.size
        res.sha256 = item.sha256
        res.source_encoding = prep.source_encoding
        res.row_count = prep.row_count
        res.field_count = prep.field_count
        res.schema = {"fields": list(prep.fields)}
        res.validation_status = prep.report.get("status")
        res.validation_report = prep.report
        res.validated_at = now if prep.report else None
        res.preview = prep.preview if item.root == PUBLIC else {}
        if changed or res.modified_at is None:
            res.modified_at = now
        kept.append(res)
    dataset.resources = kept


def _download_name(name: str, fmt: str) -> str:
    base = slugify(name, fallback="data")
    return f"{base}.{fmt}"


def withdraw_missing(
    rt: Runtime, *, source_id: str, seen: set[str], actor: str = "harvester"
) -> list[tuple[str, str]]:
    """Withdraw the datasets of a source whose identifiers were not seen in a complete gather.

    Returns (dataset id, source identifier) of each withdrawn dataset. Withdrawn datasets leave
    the public catalog and index but keep their rows, so a later harvest that sees them again
    restores them.
    """
    withdrawn: list[tuple[str, str]] = []
    with rt.session() as session:
        rows = session.scalars(
            select(Dataset).where(Dataset.source_id == source_id, Dataset.state != WITHDRAWN)
        ).all()
        for dataset in rows:
            if dataset.source_identifier in seen:
                continue
            dataset.state = WITHDRAWN
            dataset.revision += 1
            dataset.content_hash = None
            dataset.metadata_modified = datetime.now(UTC)
            session.add(
                AuditEntry(
                    actor=actor,
                    action="dataset.withdraw",
                    object_type="dataset",
                    object_id=dataset.id,
                    detail={"name": dataset.name, "reason": "no longer in its source"},
                )
            )
            withdrawn.append((dataset.id, dataset.source_identifier or ""))
    if withdrawn:
        sync_index(rt, dataset_ids=[dataset_id for dataset_id, _ in withdrawn])
    return withdrawn
