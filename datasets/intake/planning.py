"""Deciding what importing a harvested record will do, before any file is fetched or read.

The record's declaration is classified once here (refusing state secrets and invalid
declarations); the plan carries that class on, to decide whether its files are wanted at all
and, once they are scanned, to be completed with the scanner's findings
(``findings.classify_scanned``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from datasets.catalog import sharing
from datasets.errors import ValidationError
from datasets.intake.findings import masking_rules
from datasets.intake.gating import copies_gone
from datasets.intake.records import FileRecord, HarvestRecord
from datasets.intake.storage import file_sha256
from datasets.models import Dataset
from datasets.openness import rules as op
from datasets.openness.masking import POLICIES_BY_CODE
from datasets.runtime import Runtime

# What importing computes from the same record beyond the record itself: bumped when that
# changes (the publish gates, the capacity of several files), so that the next harvest
# imports every entry once again instead of calling it unchanged.
INTAKE_REVISION = 2

ADDED, UPDATED, UNCHANGED, WITHDRAWN, ERRORED = (
    "added",
    "updated",
    "unchanged",
    "withdrawn",
    "errored",
)
# published with its metadata, but a file could not be downloaded (未镜像): its own outcome in
# the harvest history, never "errored"
UNMIRRORED = "unmirrored"


@dataclass(frozen=True)
class ImportOutcome:
    outcome: str
    dataset_id: str | None = None
    name: str | None = None
    message: str = ""


def check_record(record: HarvestRecord) -> op.Classification:
    """Validate a record's required fields and its declaration (refusing state secrets); the
    class its declaration alone gives.

    名称 and 提供方 stay errors rather than a held entry: without them an entry can be neither
    identified nor shown to its department's reviewers. The other mandatory 目录 fields hold
    the entry instead (the publish gates, ``datasets.catalog.quality.gates``)."""
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
    sharing_of(record)
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


@dataclass(frozen=True)
class ImportPlan:
    """What importing a record will do, decided before any file is fetched or read."""

    record: HarvestRecord
    source_id: str | None
    outcome: str  # added | updated
    existing_id: str | None
    existing_name: str | None
    declared: op.Classification  # the class of what counts as declared, before any scan
    rules: dict[str, str]
    content_hash: str

    @property
    def files(self) -> list[FileRecord]:
        return list(self.record.files) if self.wants_files else []

    @property
    def local_files(self) -> list[FileRecord]:
        """The wanted files that are on local disk, to be prepared (scanned, validated)."""
        return [f for f in self.files if f.unmirrored is None]

    @property
    def unmirrored(self) -> list[FileRecord]:
        """The wanted files whose download failed: published as links marked 未镜像."""
        return [f for f in self.files if f.unmirrored is not None]

    @property
    def wants_files(self) -> bool:
        return op.needs_files(self.declared, has_masking_rules=bool(self.rules))


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
    declared_class = check_record(record)
    with rt.reader() as session:
        existing = _find_existing(session, source_id, record.identifier)
        known = None
        if existing is not None:
            # a duplicate whose original is gone is checked again even if its source is not;
            # a file not mirrored yet is tried again on every harvest
            stale = existing.state == "quarantined" and copies_gone(session, existing)
            if any(r.unmirrored for r in existing.resources):
                stale = True
            content = None if stale else existing.content_hash
            known = (existing.id, existing.name, content, existing.state)
        override = dict(existing.override) if existing is not None else {}
        stored_rules = masking_rules(session, known[0] if known else None)
    rules = {**record.masking, **stored_rules}
    if override:  # else the record's own declaration, classified above
        declared_class = op.classify(**declaration(record, override))
    wanted = (
        list(record.files) if op.needs_files(declared_class, has_masking_rules=bool(rules)) else []
    )
    content_hash = record.metadata_hash(
        [file_fingerprint(f) for f in wanted], extra=[rules, override, INTAKE_REVISION]
    )
    if known and known[2] == content_hash and known[3] in ("active", "quarantined"):
        return ImportOutcome(UNCHANGED, known[0], known[1])
    return ImportPlan(
        record=record,
        source_id=source_id,
        outcome=UPDATED if known else ADDED,
        existing_id=known[0] if known else None,
        existing_name=known[1] if known else None,
        declared=declared_class,
        rules=rules,
        content_hash=content_hash,
    )


def _find_existing(session: Session, source_id: str | None, identifier: str) -> Dataset | None:
    if source_id is None:
        return None
    return session.scalar(
        select(Dataset)
        .where(Dataset.source_id == source_id, Dataset.source_identifier == identifier)
        .options(selectinload(Dataset.resources))
    )


def sharing_of(record: HarvestRecord) -> sharing.Sharing:
    """The record's 共享属性 as stored; raises ValidationError (a per-object harvest error)
    for a value other than the three types or a 不予共享 without basis."""
    return sharing.check(
        record.share_type, record.share_conditions, record.share_method, record.share_basis
    )
