"""Database tables. Only services (modules of this package) touch these classes.

Templates and API responses get plain dicts built by the services, never these objects.
"""

# size: the whole schema in one module, so a migration's author reads every table, key and
# index at once; it holds declarations only, no behaviour.

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
        # a department's counts by openness (the planner reads one department, not every one)
        Index("ix_datasets_organization_state_openness", "organization_id", "state", "openness"),
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
    # 共享条件 (有条件共享), 共享方式 and the basis of 不予共享 (datasets.catalog.sharing)
    share_conditions: Mapped[str | None] = mapped_column(Text)
    share_method: Mapped[str | None] = mapped_column(String(200))
    share_basis: Mapped[str | None] = mapped_column(Text)
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
    # quality score with its criteria, recomputed after each harvest (datasets.catalog.quality)
    quality: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # public access suspended by a rights-holder objection (权益异议): the case's id; harvests
    # leave it alone, only the objection's decision lifts it
    suspended_by: Mapped[str | None] = mapped_column(String(36))
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
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # the duplicate gate looks it up
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
    # a file the harvester could not download (未镜像): storage_root "remote", no bytes here;
    # {reason, tried_at, host, link}: link says whether the original URL may be shown
    unmirrored: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)

    dataset: Mapped[Dataset] = relationship(back_populates="resources")


class FileConfirmation(Base):
    """A department's (or operator's) confirmation (人工确认) that a file the scanner cannot
    read holds no personal information: it lets exactly that file (by SHA-256) be published."""

    __tablename__ = "file_confirmations"
    __table_args__ = (UniqueConstraint("dataset_id", "sha256", name="uq_file_confirmations_file"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    resource_name: Mapped[str] = mapped_column(String(300))
    # why the file was held (the scanner's reason), as it was when confirmed
    reason: Mapped[str] = mapped_column(Text, default="")
    confirmed_by: Mapped[str] = mapped_column(String(100))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


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
    # where notices are e-mailed (optional for every role)
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    # companies: 名称, 统一社会信用代码 (GB 32100), 法定代表人
    company_name: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    # keyed hash of the e-mail address or phone the holder proved with a code (verification);
    # it stops matching when the address changes
    verified_contact: Mapped[str | None] = mapped_column(String(64))
    # kept in each session this account signs in with; signing out or changing the password
    # adds one, and every session holding another number stops working (copied cookies too)
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


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

    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)


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


class ApiKey(Base):
    """An API key of a user: only its SHA-256 is stored; the key is shown once, at creation."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    # the first characters of the key, shown in lists so a user can tell keys apart
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class ReferenceCounter(Base):
    """The last reference number given per kind and day (e.g. SQ-20261122-0001)."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(30), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class ContactCode(Base):
    """A verification code sent to an e-mail address or phone: only its keyed hash is kept,
    with the keyed hash of the address, when it expires, the wrong tries and when it was used."""

    __tablename__ = "contact_codes"
    __table_args__ = (Index("ix_contact_codes_address", "address_key", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(10))
    address_key: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column()


class Case(Base):
    """One matter of the public services (事项): an application for conditional data, an
    objection to the bureau (复核), a request to open data, an error report, a rights-holder
    objection, a suggestion or an opening assessment. Its state machine lives in
    ``datasets.workflows``; every transition writes an ``AuditEntry`` (object_type ``case``)."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_queue", "organization_id", "closed_at", "due_on"),
        Index("ix_cases_kind_status", "kind", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30))
    # the department that must act (the dataset's provider); none for the bureau's own cases
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    # who acts next: "department" or "bureau" (objections and escalations)
    handler: Mapped[str] = mapped_column(String(20), default="department")
    dataset_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id"), index=True)
    requester_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    # how to reach the requester (name, phone, e-mail): personal, never on public pages
    contact: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # a key telling requesters apart for counting distinct requests (user id or contact hash)
    requester_key: Mapped[str | None] = mapped_column(String(64))
    # how the requester proved the contact: account, email or phone (None: not verified)
    requester_verified: Mapped[str | None] = mapped_column(String(10))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # what was asked: purpose, scope, fields… (per kind; see datasets.workflows)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_on: Mapped[date] = mapped_column(Date)
    # the current deadline; None while the clock is paused (补正)
    due_on: Mapped[date | None] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # working days left when the clock was paused
    paused_remaining: Mapped[int | None] = mapped_column(Integer)
    correction_used: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_used: Mapped[bool] = mapped_column(Boolean, default=False)
    # the outcome (decision or reply category), its public text and the rule it cites
    outcome: Mapped[str | None] = mapped_column(String(30))
    reply: Mapped[str] = mapped_column(Text, default="")
    rule_code: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_on_time: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column()
    # SHA-256 of the unguessable access code given to the requester at submission: with the
    # reference number it opens the case page to someone who is not signed in
    access_code_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Grant(Base):
    """Access to a conditional dataset's full data, after the agreement was signed."""

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    # the columns granted, named as in ``columns`` (a full grant lists every column; only a
    # grant from before scopes were recorded has an empty list for all; see workflows.scopes)
    fields: Mapped[list[Any]] = mapped_column(default=list)
    access_mode: Mapped[str] = mapped_column(String(20))
    agreement_version: Mapped[str] = mapped_column(String(40))
    agreement_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    starts_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    # active | suspended | revoked | expired
    status: Mapped[str] = mapped_column(String(20), default="active")
    status_reason: Mapped[str | None] = mapped_column(String(30))
    status_note: Mapped[str] = mapped_column(Text, default="")
    report_due_on: Mapped[date | None] = mapped_column(Date)
    last_report_at: Mapped[datetime | None] = mapped_column()
    # the end-of-term report (期末使用情况报告) owed once the grant expired or was revoked;
    # None when none is owed or it was filed
    final_report_due_on: Mapped[date | None] = mapped_column(Date)
    # the dataset's columns ({name, type, position}) when the scope was granted or last
    # confirmed: the identity ``fields`` refer to. A re-harvest that changes them puts a partial
    # grant in ``needs_confirmation`` (serving nothing) until the department confirms the scope.
    columns: Mapped[list[Any]] = mapped_column(default=list)
    # confirmed | needs_confirmation
    scope_state: Mapped[str] = mapped_column(String(20), default="confirmed")
    # when the scope was last recorded, confirmed or found changed (None: never recorded)
    scope_changed_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class GrantAccess(Base):
    """Every use of a grant: who fetched which resource of the granted dataset, and when."""

    __tablename__ = "grant_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[str] = mapped_column(String(36))
    api_key_id: Mapped[str | None] = mapped_column(String(36))
    resource_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(30))
    rows: Mapped[int | None] = mapped_column(BigInteger)
    bytes: Mapped[int | None] = mapped_column(BigInteger)


class UseReport(Base):
    """A grant holder's report on how the data is used and protected: periodic, or the
    end-of-term report (final) owed once the grant has ended."""

    __tablename__ = "use_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    # periodic | final
    kind: Mapped[str] = mapped_column(String(20), default="periodic")


class Notification(Base):
    """A notice to one user, shown in the portal and (if the user has an address) e-mailed."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[str | None] = mapped_column(String(36))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
    # e-mail: pending (to send), sent, failed (kept for the next attempt), none (no address)
    email_status: Mapped[str] = mapped_column(String(10), default="none")
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)


class SearchEntry(Base):
    """The search row of a public dataset, written in the same transaction as the dataset.

    The ``*_words`` columns hold the text cut into words (space-separated); the database's own
    full-text index is built over them (``search_fts`` in SQLite, ``document`` in PostgreSQL,
    both made by the migration, not declared here)."""

    __tablename__ = "search_entries"

    doc: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), unique=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(500))
    title_sort: Mapped[str] = mapped_column(String(500), index=True)
    notes: Mapped[str] = mapped_column(Text)
    metadata_created: Mapped[datetime] = mapped_column(index=True)
    metadata_modified: Mapped[datetime] = mapped_column(index=True)
    title_words: Mapped[str] = mapped_column(Text)
    keyword_words: Mapped[str] = mapped_column(Text)
    notes_words: Mapped[str] = mapped_column(Text)
    pinyin_words: Mapped[str] = mapped_column(Text)


class SearchPackage(Base):
    """The public package dict of a search entry (JSON, resource URLs relative to the portal),
    written with the entry: a page of hits is answered without loading its datasets. ``id``
    grows with every write and is never reused, so a process can tell the rows have changed."""

    __tablename__ = "search_packages"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    doc: Mapped[int] = mapped_column(
        ForeignKey("search_entries.doc", ondelete="CASCADE"), unique=True
    )
    package: Mapped[str] = mapped_column(Text)


class SearchFacets(Base):
    """The filter and facet values of a search entry in one text (``field\x1fvalue`` items
    joined by ``\x1e``): facets over a large matching set read one short row per entry."""

    __tablename__ = "search_facets"

    doc: Mapped[int] = mapped_column(
        ForeignKey("search_entries.doc", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    items: Mapped[str] = mapped_column(Text)


class SearchRemoval(Base):
    """A mark left by every removal of search entries that wrote none in their place (and by a
    rebuild that cut their words again, ``removed`` 0): its id,
    like a package's, grows and is never reused, so a removal also tells a process that the
    search rows changed (only the latest mark is needed; older ones are pruned)."""

    __tablename__ = "search_removals"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    removed: Mapped[int] = mapped_column(Integer)  # how many entries


class SearchValue(Base):
    """One value of a search entry's filter and facet field (organization, tags, res_format …);
    multi-valued fields have one row per value."""

    __tablename__ = "search_values"
    __table_args__ = (Index("ix_search_values_field_value", "field", "value"),)

    doc: Mapped[int] = mapped_column(
        ForeignKey("search_entries.doc", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)


class RowTable(Base):
    """A tabular file loaded into the row store: one database table per (resource, kind), named
    here (never from user input); its columns are ``c0``… in the order of ``fields``
    ([{"id", "type", "column"}]). ``kind`` is ``public`` (the file the public downloads: the
    original of open data, the masked copy of de-identified data) or ``original`` (a
    conditional dataset's original, served only to grant holders). ``sha256`` is the loaded
    file's: a new version is loaded again, the same one is kept."""

    __tablename__ = "row_tables"
    __table_args__ = (UniqueConstraint("resource_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(40), unique=True)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    # no foreign key: a table outlives its resource's row until the sync drops both
    resource_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(String(64))
    fields: Mapped[list[Any]] = mapped_column(default=list)
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Activity(Base):
    """One public change of the catalog (CKAN's activity stream): a dataset published, updated,
    withdrawn, reclassified, suspended or restored. ``data`` holds what the public could see at
    the time (the package summary, the names of changed fields and files), never a value of
    non-public data nor a person's name; ``public`` is false for changes of datasets the public
    never saw (held in quarantine), which are kept for the record but never served."""

    __tablename__ = "activities"
    __table_args__ = (
        # the public flag inside: one dataset's or department's public changes, newest first
        Index("ix_activities_dataset_public_time", "dataset_id", "public", "timestamp"),
        Index("ix_activities_organization_public_time", "organization_id", "public", "timestamp"),
        Index("ix_activities_public_time", "public", "timestamp"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    organization_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))
    activity_type: Mapped[str] = mapped_column(String(30))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Reuse(Base):
    """An 应用成果 (udata's reuse): an app, report, visualisation or news item that uses datasets
    of the catalog, submitted by a signed-in user and approved by an operator before it is
    listed. Only ``author_name`` (what the submitter chose to be called) is ever public; the
    submitting account is known to operators only."""

    __tablename__ = "reuses"
    __table_args__ = (Index("ix_reuses_status_decided", "status", "decided_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # app | report | visualization | news
    url: Mapped[str] = mapped_column(String(1000))
    description: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str] = mapped_column(String(100), default="")
    submitter_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # pending | approved | rejected
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()


class ReuseDataset(Base):
    """A dataset a reuse uses."""

    __tablename__ = "reuse_datasets"

    reuse_id: Mapped[str] = mapped_column(
        ForeignKey("reuses.id", ondelete="CASCADE"), primary_key=True
    )
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class UsageCount(Base):
    """How often a dataset was used on one day (Asia/Shanghai): ``kind`` is view (its page),
    download (a file or a conversion) or api (package_show, rows and DataStore calls). Counters
    only, never who: each web process adds up its hits in memory and adds them here in one
    statement per flush (``datasets.catalog.usage``)."""

    __tablename__ = "usage_counts"
    __table_args__ = (Index("ix_usage_counts_day", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dataset_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class CalendarState(Base):
    """The working-day calendar the stored deadlines were last computed with, as far as it can
    still change: the last year chinese-calendar covered and the operators' holidays and
    make-up working days of later years (``datasets.workflows.recompute``). One row."""

    __tablename__ = "calendar_state"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    last_covered_year: Mapped[int] = mapped_column(Integer)
    days: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SignInGuard(Base):
    """Failed attempts per user name, client address or address sending API keys
    (``datasets.accounts.guard``): ``kind`` is name, address or key, ``subject`` the SHA-256 of
    what was tried from or for (no name or address is kept as such). Past ``locked_until`` the
    subject may try again; a row is forgotten an hour after its last failure."""

    __tablename__ = "sign_in_guard"
    __table_args__ = (Index("ix_sign_in_guard_last_failure_at", "last_failure_at"),)

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()
