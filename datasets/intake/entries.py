"""The catalog rows a publication writes: the dataset, its department, tags and resources, its
class and state, the classification history and the audit trail.

``apply_classification`` is the one function that sets a dataset's class, state and resources,
for every path into the catalog (a harvest, a release, a reclassification).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from datasets.catalog import activity, sharing
from datasets.catalog.slugs import is_slug, slugify, unique_slug
from datasets.intake.findings import masking_rules
from datasets.intake.placement import Placement
from datasets.intake.prepare import PreparedFile, scan_report
from datasets.intake.records import FileRecord, HarvestRecord
from datasets.intake.resources import Files, replace_links, replace_resources
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
from datasets.runtime import Runtime
from datasets.workflows.scopes import review_grant_scopes


def store_source_rules(
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


def ensure_organization(
    session: Session, *, title: str, code: str | None, region: str
) -> Organization:
    """The department with this code (or title), created when first seen. Harvests running
    at once may meet a new department together: the one whose insert loses takes the row the
    other committed (a savepoint keeps the rest of its transaction)."""
    title = title.strip()
    code = (code or "").strip() or None
    for _attempt in range(5):
        org = _find_organization(session, title, code)
        if org is not None:
            if code and not org.code:
                org.code = code
            return org
        base = slugify(title.removeprefix(region) or title, fallback="department")
        # the names this one could clash with, not every department's (a province has thousands)
        taken = set(
            session.scalars(
                select(Organization.name).where(Organization.name.startswith(base, autoescape=True))
            )
        )
        org = Organization(name=unique_slug(base, taken), title=title, code=code)
        try:
            with session.begin_nested():
                session.add(org)
        except IntegrityError:  # the same department (or its name) added just now
            continue
        return org
    raise RuntimeError(f"could not add the department {title}")


def _find_organization(session: Session, title: str, code: str | None) -> Organization | None:
    org = None
    if code:
        org = session.scalar(select(Organization).where(Organization.code == code))
    if org is None:
        org = session.scalar(select(Organization).where(Organization.title == title))
    return org


def _dataset_name(session: Session, record: HarvestRecord, current: str | None) -> str:
    """A new entry's URL name: its own or its title's, numbered from 2 to 99 if taken; a name
    shared by more entries (every county's 养老机构名录) gets a short suffix of its own. Each
    step is an index lookup, however big the catalog."""
    if current:
        return current
    base = record.name if record.name and is_slug(record.name) else slugify(record.title)
    for candidates in (
        [base] + [f"{base}-{n}" for n in range(2, 10)],
        [f"{base}-{n}" for n in range(10, 100)],
        [f"{base}-{_suffix(record.identifier, attempt)}" for attempt in range(8)],
    ):
        taken = set(session.scalars(select(Dataset.name).where(Dataset.name.in_(candidates))))
        free = next((name for name in candidates if name not in taken), None)
        if free is not None:
            return free
    return f"{base}-{uuid.uuid4().hex[:12]}"


def _suffix(identifier: str, attempt: int) -> str:
    return hashlib.sha256(f"{identifier}\n{attempt}".encode()).hexdigest()[:6]


def upsert(
    session: Session,
    rt: Runtime,
    record: HarvestRecord,
    classification: op.Classification,
    source_id: str | None,
    content_hash: str,
    actor: str,
    files: Sequence[tuple[PreparedFile, Placement]],
    *,
    links: Sequence[FileRecord] = (),
) -> Dataset:
    """Create or update the dataset of ``record`` with its class and files."""
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
    before = None if dataset is None else activity.snapshot(dataset)
    if dataset is None:
        dataset = Dataset(
            source_id=source_id, source_identifier=record.identifier, revision=0, created_at=now
        )
    dataset.name = _dataset_name(session, record, dataset.name)
    dataset.organization = org
    _describe(dataset, record)
    dataset.content_hash = content_hash
    dataset.missing_since = None
    if is_new:
        session.add(dataset)
    _replace_tags(dataset, record.keywords)
    apply_classification(
        session,
        dataset,
        classification,
        files,
        actor=actor,
        now=now,
        published=is_new,
        links=links,
        before=before,
    )
    return dataset


def _describe(dataset: Dataset, record: HarvestRecord) -> None:
    """The dataset's metadata as its record says."""
    dataset.title = record.title.strip()
    dataset.code = record.code
    dataset.topic = record.topic
    dataset.notes = record.notes or ""
    dataset.declared_openness = op.parse_openness(record.openness)
    dataset.conditions = record.conditions
    shared = sharing.check(
        record.share_type, record.share_conditions, record.share_method, record.share_basis
    )
    dataset.share_type, dataset.share_conditions = shared.share_type, shared.conditions
    dataset.share_method, dataset.share_basis = shared.method, shared.basis
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
    dataset.record_count = record.record_count  # the files' row count wins when there are files


def apply_classification(
    session: Session,
    dataset: Dataset,
    classification: op.Classification,
    files: Files,
    *,
    actor: str,
    now: datetime,
    published: bool = False,
    reason: str | None = None,
    links: Sequence[FileRecord] | None = None,
    before: activity.Snapshot | None = None,
) -> None:
    """Set a dataset's class, state and resources; record the history, the audit row and the
    public activity. ``links``: the files a harvest could not download (未镜像); ``None`` keeps
    the dataset's. ``before``: the dataset as it was before its caller changed its metadata."""
    if before is None and not published:
        before = activity.snapshot(dataset)
    old = _class_of(dataset)
    old_columns = list(dataset.columns or [])
    dataset.openness = classification.openness
    dataset.exclusion_rule = classification.exclusion_rule
    dataset.exclusion_basis = classification.exclusion_basis
    dataset.state = classification.state
    dataset.deidentified = classification.deidentified
    dataset.quarantine = _quarantine_note(classification, files)
    dataset.revision = (dataset.revision or 0) + 1
    dataset.metadata_modified = now
    linked = [r for r in dataset.resources if r.unmirrored]
    replace_resources(dataset, files, now)
    replace_links(dataset, linked, links, now)
    # 记录数: the rows of all its tables (the catalog's own figure when it has no table)
    rows = [r.row_count for r in dataset.resources if r.row_count is not None]
    dataset.record_count = sum(rows) if rows else dataset.record_count
    _set_columns(dataset, files)
    session.flush()
    if not published:  # grants whose columns changed wait for the department (SPEC §7)
        review_grant_scopes(session, dataset, before=old_columns, actor=actor)
    new = _class_of(dataset)
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
    _audit(session, dataset, actor=actor, published=published, resources=len(files))
    activity.record_change(session, dataset, None if published else before, now=now)


ClassState = tuple[str | None, str | None, str, bool]  # openness, rule, state, de-identified


def _class_of(dataset: Dataset) -> ClassState:
    return (dataset.openness, dataset.exclusion_rule, dataset.state, dataset.deidentified)


def _set_columns(dataset: Dataset, files: Files) -> None:
    """The dataset's 信息项: the fields of every table it holds, once per name, in order,
    personal ones marked; when its tables' columns differ, each names the files holding it.
    字段数 is their number (capacity is counted per table, ``table_capacity``)."""
    tables = [
        (r.name, fields) for r in dataset.resources if (fields := (r.schema or {}).get("fields"))
    ]
    differ = len({tuple(f["name"] for f in fields) for _, fields in tables}) > 1
    personal = {c for _, pl in files for c in scan_report(pl.pii).personal_columns}
    columns: dict[str, dict[str, Any]] = {}
    for resource, fields in tables:
        for f in fields:
            column = columns.get(f["name"])
            if column is None:
                column = columns[f["name"]] = {
                    "name": f["name"],
                    "type": f.get("type", "string"),
                    "description": f.get("description", ""),
                    "personal": f["name"] in personal,
                }
            if differ and resource not in column.setdefault("resources", []):
                column["resources"].append(resource)
    dataset.columns = list(columns.values())
    dataset.field_count = len(dataset.columns) or None


def _audit(
    session: Session, dataset: Dataset, *, actor: str, published: bool, resources: int
) -> None:
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
                "resources": resources,
            },
        )
    )


def _label(values: ClassState) -> str | None:
    """The class as recorded in the history: quarantined and de-identified are visible."""
    openness, _rule, state, deidentified = values
    if openness is None:
        return None
    if state == "quarantined":
        return "quarantined"
    return f"{openness}+masked" if deidentified else openness


def _quarantine_note(classification: op.Classification, files: Files) -> dict[str, Any]:
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
        "gates": [dict(g) for g in classification.gates],
    }


def _replace_tags(dataset: Dataset, keywords: tuple[str, ...]) -> None:
    wanted = []
    for word in keywords:
        word = word.strip()[:100]
        if word and word not in wanted:
            wanted.append(word)
    current = {t.name: t for t in dataset.tags}
    dataset.tags = [current.get(w) or Tag(name=w) for w in wanted]
