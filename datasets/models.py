"""Database tables. Only services (modules of this package) touch these classes.

Templates and API responses get plain dicts built by the services, never these objects.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timestamps stored as UTC and always read back zone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, datetime):
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, datetime):
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Organization(Base):
    """A government department (提供方)."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    datasets: Mapped[list[Dataset]] = relationship(back_populates="organization")


class Dataset(Base):
    """A catalog entry (政务信息资源目录) with its openness class and harvest provenance."""

    __tablename__ = "datasets"
    __table_args__ = (
        UniqueConstraint("source_id", "source_identifier", name="uq_datasets_source_identifier"),
        Index("ix_datasets_state_openness", "state", "openness"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    code: Mapped[str | None] = mapped_column(String(100))
    topic: Mapped[str | None] = mapped_column(String(50), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    openness: Mapped[str] = mapped_column(String(20))
    conditions: Mapped[str | None] = mapped_column(Text)
    exclusion_rule: Mapped[str | None] = mapped_column(String(40))
    exclusion_basis: Mapped[str | None] = mapped_column(Text)
    share_type: Mapped[str | None] = mapped_column(String(20))
    update_cycle: Mapped[str | None] = mapped_column(String(10))
    issued: Mapped[date | None] = mapped_column(Date)
    modified: Mapped[date | None] = mapped_column(Date)
    temporal_start: Mapped[date | None] = mapped_column(Date)
    temporal_end: Mapped[date | None] = mapped_column(Date)
    record_count: Mapped[int | None] = mapped_column(BigInteger)
    field_count: Mapped[int | None] = mapped_column(Integer)
    columns: Mapped[list[Any]] = mapped_column(default=list)
    related: Mapped[list[Any]] = mapped_column(default=list)
    license_id: Mapped[str | None] = mapped_column(String(100))
    license_title: Mapped[str | None] = mapped_column(String(200))
    license_url: Mapped[str | None] = mapped_column(String(500))
    # active: public per its openness; withdrawn: gone from its source; quarantined: held back
    state: Mapped[str] = mapped_column(String(20), default="active")
    # what the department declared, before the openness engine decided
    declared_openness: Mapped[str | None] = mapped_column(String(20))
    # published as de-identified (masked) data
    deidentified: Mapped[bool] = mapped_column(Boolean, default=False)
    # why the dataset is held back, with the scanner's findings (masked examples only)
    quarantine: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # an operator's classification, which harvests respect: {openness, rule, basis, by, reason}
    override: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # quality score with its criteria, recomputed after each harvest (datasets.quality)
    quality: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # first harvest that no longer saw the entry in its source (withdrawn after a grace period)
    missing_since: Mapped[datetime | None] = mapped_column()
    source_id: Mapped[str | None] = mapped_column(ForeignKey("harvest_sources.id"))
    source_identifier: Mapped[str | None] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(String(1000))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    unnormalised: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    metadata_modified: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="datasets")
    resources: Mapped[list[Resource]] = relationship(
        back_populates="dataset", order_by="Resource.position", cascade="all, delete-orphan"
    )
    tags: Mapped[list[Tag]] = relationship(cascade="all, delete-orphan", order_by="Tag.name")


class Tag(Base):
    __tablename__ = "tags"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class Resource(Base):
    """A data file of a dataset, stored under the public or the private file root."""

    __tablename__ = "resources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(20))
    media_type: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(String(1000))
    storage_root: Mapped[str] = mapped_column(String(10))  # public | private
    storage_key: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    source_encoding: Mapped[str | None] = mapped_column(String(40))
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    field_count: Mapped[int | None] = mapped_column(Integer)
    schema: Mapped[dict[str, Any]] = mapped_column(default=dict)
    validation_status: Mapped[str | None] = mapped_column(String(20))
    validation_report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    validated_at: Mapped[datetime | None] = mapped_column()
    # first rows shown on the dataset page; only ever rows the public may see (masked if needed)
    preview: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the file the public downloads (always under the public root): the original itself for
    # plain open data, a masked copy for de-identified data, none for conditional data
    public_key: Mapped[str | None] = mapped_column(String(200))
    public_sha256: Mapped[str | None] = mapped_column(String(64))
    public_size: Mapped[int | None] = mapped_column(BigInteger)
    # the personal-information scan of the original (findings with masked examples)
    pii_report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the masking rules applied to make the public file or preview {column: policy}
    masking_applied: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)

    dataset: Mapped[Dataset] = relationship(back_populates="resources")


class MaskingRule(Base):
    """An operator's (or the source's) masking policy for one column of a dataset."""

    __tablename__ = "masking_rules"
    __table_args__ = (UniqueConstraint("dataset_id", "column", name="uq_masking_rules_column"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    column: Mapped[str] = mapped_column(String(200))
    policy: Mapped[str] = mapped_column(String(40))
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """An account: citizen, company, department reviewer, bureau officer or operator."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()


class ClassificationEvent(Base):
    """History of a dataset's openness class: who, when, old → new, why."""

    __tablename__ = "classification_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    old_openness: Mapped[str | None] = mapped_column(String(20))
    new_openness: Mapped[str] = mapped_column(String(20))
    old_rule: Mapped[str | None] = mapped_column(String(40))
    new_rule: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")


class AuditEntry(Base):
    """One row per publication, classification change, decision, grant and revocation."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50), index=True)
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str] = mapped_column(String(36))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class HarvestSource(Base):
    __tablename__ = "harvest_sources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(1000))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    frequency: Mapped[str] = mapped_column(String(20), default="manual")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the job holding this source (one harvest per source at a time) and its owner host:pid
    lock_job_id: Mapped[str | None] = mapped_column(String(36))
    lock_owner: Mapped[str | None] = mapped_column(String(200))
    lock_at: Mapped[datetime | None] = mapped_column()
    # the start of the last job that read the whole source (incremental runs ask for changes
    # since then)
    last_complete_at: Mapped[datetime | None] = mapped_column()


class HarvestJob(Base):
    __tablename__ = "harvest_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source_id: Mapped[str] = mapped_column(
        ForeignKey("harvest_sources.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|finished|failed
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str] = mapped_column(Text, default="")


class HarvestObject(Base):
    """The outcome of one object of one job: added, updated, unchanged, withdrawn, errored."""

    __tablename__ = "harvest_objects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(
        ForeignKey("harvest_jobs.id", ondelete="CASCADE"), index=True
    )
    identifier: Mapped[str] = mapped_column(String(300))
    dataset_id: Mapped[str | None] = mapped_column(String(36))
    stage: Mapped[str] = mapped_column(String(10))  # gather | fetch | import
    outcome: Mapped[str] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
