"""Grants: access to a conditional dataset's full data for one applicant, scoped to the dataset
and the approved fields, expiring, suspended or revoked with a reason code, every use logged.

A grant exists only after the applicant signed the data-use agreement
(``applications.sign``). Use reports are due every ``grant_report_months``; one overdue
suspends the grant (``sweep`` and every access check apply this), and filing it restores it.
"""

from __future__ import annotations

import calendar as months
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts import permissions as may
from datasets.accounts.permissions import Actor
from datasets.catalog.packages import served_name
from datasets.errors import NotAuthorized, NotFound
from datasets.intake.storage import UNMIRRORED_NOTICE
from datasets.models import Case, Dataset, Grant, GrantAccess, Resource, User
from datasets.notify.notices import notify_users
from datasets.rows.formats import stream
from datasets.runtime import Runtime
from datasets.tables import TEXT_FORMATS, TableError, open_table
from datasets.workdays import shanghai_date
from datasets.workflows import cases as c
from datasets.workflows import grant_usage, scopes
from datasets.workflows.agreements import Agreement
from datasets.workflows.machine import GRANT
from datasets.workflows.step_requests import REASONS

# reference numbers of grants (授权), counted apart from the applications' SQ-…
PREFIX = GRANT.prefix
STATUS_LABELS = GRANT.states


def add_months(day: date, count: int) -> date:
    month = day.month - 1 + count
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, months.monthrange(year, month)[1]))


def final_report_due(rt: Runtime, ended: date) -> date:
    """When the end-of-term use report of a grant that ended on ``ended`` is due."""
    return ended + timedelta(days=rt.settings.grant_final_report_days)


def create_grant(rt: Runtime, session: Session, case: Case, agreement: Agreement) -> Grant:
    """The grant of a signed application. Its scope is fixed against the columns the decision
    was taken on (a full grant lists them all); if the table changed since, the grant waits
    for the department to confirm its scope before it serves anything."""
    today = shanghai_date(c.now_utc())
    expires = add_months(today, int(case.body.get("period_months") or 1))
    report_due = add_months(today, rt.settings.grant_report_months)
    dataset = session.get(Dataset, case.dataset_id)
    columns = case.body.get("granted_columns")
    if columns is None:  # decided before decisions recorded their columns
        columns = dataset.columns if dataset else []
    granted = list(case.body.get("granted_fields") or case.body.get("fields") or [])
    grant = Grant(
        reference=c.next_reference(session, PREFIX, today),
        application_id=case.id,
        user_id=case.requester_id,
        dataset_id=case.dataset_id,
        access_mode=case.body.get("access_mode") or "download",
        agreement_version=agreement.version,
        agreement_sha256=agreement.sha256,
        starts_on=today,
        expires_on=expires,
        report_due_on=report_due if report_due < expires else None,
        final_report_due_on=final_report_due(rt, expires),
    )
    scopes.record(grant, columns, granted or scopes.names(columns))
    session.add(grant)
    session.flush()
    audit(
        session,
        case.requester_id or "",
        "grant.create",
        grant,
        expires_on=str(expires),
        fields=list(grant.fields),
        scope="all" if scopes.is_full(grant) else "partial",
    )
    scopes.settle(session, grant, dataset)
    return grant


def audit(session: Session, actor: Actor | str, action: str, grant: Grant, **detail: Any) -> None:
    c.audit_row(session, actor, action, "grant", grant.id, {"reference": grant.reference, **detail})


def refresh(session: Session, grant: Grant, today: date) -> None:
    """Apply what time alone changes: expiry, and suspension for an overdue use report."""
    if grant.status in ("active", "suspended") and grant.expires_on < today:
        grant.status, grant.status_reason = "expired", "expiry"
        audit(session, "system", "grant.expire", grant)
        if grant.final_report_due_on is not None:
            notify_users(
                session,
                [grant.user_id],
                subject=f"授权 {grant.reference} 已到期，请报送期末使用情况报告",
                body=f"请于 {grant.final_report_due_on} 前报送。",
                link=f"/services/grants/{grant.id}",
            )
    elif grant.status == "active" and grant.report_due_on and grant.report_due_on < today:
        grant.status, grant.status_reason = "suspended", "missing_report"
        grant.status_note = f"使用情况报告应于 {grant.report_due_on} 前报送"
        audit(session, "system", "grant.suspend", grant, reason="missing_report")
        notify_users(
            session,
            [grant.user_id],
            subject=f"授权 {grant.reference} 因逾期未报送使用情况报告已暂停",
            body="报送使用情况报告后授权自动恢复。",
            link=f"/services/grants/{grant.id}",
        )


def sweep(rt: Runtime) -> dict[str, int]:
    """Expire and suspend what is due, and flag grants whose scope no longer matches their
    dataset's columns (run daily by ``kaifang services sweep``)."""
    today = shanghai_date(c.now_utc())
    counts = {"expired": 0, "suspended": 0, "needs_confirmation": 0}
    with rt.session() as session:
        for grant in session.scalars(select(Grant).where(Grant.status.in_(scopes.LIVE))).all():
            if grant.status == "active":
                refresh(session, grant, today)
                if grant.status != "active":
                    counts[grant.status] += 1
            if grant.status in scopes.LIVE and grant.scope_state == scopes.CONFIRMED:
                found = scopes.settle(session, grant, session.get(Dataset, grant.dataset_id))
                counts["needs_confirmation"] += found.state == scopes.NEEDS_CONFIRMATION
    return counts


@dataclass(frozen=True)
class GrantedColumns:
    """The granted columns of a table: their confirmed names, and their values row by row
    (the table is closed once they are read)."""

    fields: list[str]
    records: Iterator[list[Any]]


@dataclass(frozen=True)
class GrantedFile:
    """A conditional dataset's file for a grant holder: the original (``path``), or only its
    granted columns (``columns``; ``rows`` yields them as UTF-8 CSV). ``filename`` is the
    (Chinese) name it is served under, ``fallback`` its ASCII stand-in."""

    filename: str
    media_type: str
    path: Path | None
    columns: GrantedColumns | None = None
    fallback: str = ""

    @property
    def rows(self) -> Iterator[bytes] | None:
        if self.columns is None:
            return None
        return stream("csv", self.columns.fields, self.columns.records)


def granted_download(
    rt: Runtime, actor: Actor, *, dataset: str, resource_id: str
) -> GrantedFile | None:
    """The file behind a conditional resource URL for the holder of a grant on that dataset;
    None if the actor holds no grant for it (the caller then refuses as before). Every use is
    logged; a suspended, revoked or expired grant is refused with its reason, and so is one
    whose scope waits for the department's confirmation (``scopes``): it serves nothing."""
    if actor.is_anonymous:
        return None
    today = shanghai_date(c.now_utc())
    with rt.session() as session:
        row = session.scalar(
            select(Resource)
            .join(Dataset)
            .where(Resource.id == resource_id, (Dataset.name == dataset) | (Dataset.id == dataset))
        )
        if row is None:
            return None
        grant = usable_grant(session, actor, row.dataset, today)
        if grant is None:
            return None
        if row.unmirrored:
            raise NotFound(UNMIRRORED_NOTICE)
        served = _served(rt, row, grant)
        if served is None:
            session.commit()
            raise scope_mismatch(row.name, grant.reference)
        full = served.path is not None
        size = row.size if full else None  # a partial grant's CSV is made as it streams
        log_use(session, actor, grant.id, row.id, "download", row.row_count, size)
        return served


def scope_mismatch(file_name: str, reference: str) -> NotAuthorized:
    """The refusal of a file whose header no longer holds the grant's confirmed fields."""
    return NotAuthorized(
        f"授权范围待确认：文件“{file_name}”的表头与授权 {reference} 确认的字段不一致，"
        "请联系数据提供部门"
    )


def log_use(
    session: Session,
    actor: Actor,
    grant_id: str,
    resource_id: str,
    action: str,
    rows: int | None = None,
    size: int | None = None,
) -> None:
    """One use of a grant (a download, an API read, an export), with its volume: rows, and
    bytes when known (``size``: the file served as stored)."""
    session.add(
        GrantAccess(
            grant_id=grant_id,
            user_id=actor.user_id,
            api_key_id=actor.api_key_id,
            resource_id=resource_id,
            action=action,
            rows=rows,
            bytes=size,
        )
    )


def usable_grant(session: Session, actor: Actor, dataset: Dataset, today: date) -> Grant | None:
    """The actor's grant on ``dataset`` whose scope is confirmed; None if the actor holds no
    grant on it. A suspended, revoked or expired grant, a suspended dataset and a scope that
    waits for the department's confirmation are refused with their reason (what the checks
    changed is committed first)."""
    grants = session.scalars(
        select(Grant)
        .where(Grant.user_id == actor.user_id, Grant.dataset_id == dataset.id)
        .order_by(Grant.signed_at.desc())
    ).all()
    if not grants:
        return None
    for grant in grants:
        refresh(session, grant, today)
    usable = [g for g in grants if g.status == "active"]
    if not usable:
        latest = grants[0]
        reason = REASONS.get(latest.status_reason or "", STATUS_LABELS[latest.status])
        session.commit()  # keep what refresh changed even though access is refused
        raise NotAuthorized(f"授权 {latest.reference} {STATUS_LABELS[latest.status]}：{reason}")
    if dataset.suspended_by:
        raise NotAuthorized(may.SUSPENSION_NOTICE)
    found = [(g, scopes.settle(session, g, dataset)) for g in usable]
    ready = [g for g, scope in found if scope.state == scopes.CONFIRMED]
    if not ready:
        session.commit()  # keep the scope's state even though access is refused
        raise NotAuthorized(scopes.refusal(*found[0]))
    return ready[0]


def _served(rt: Runtime, row: Resource, grant: Grant) -> GrantedFile | None:
    """What a grant whose scope is confirmed gets of one file: the original under a full
    grant; only the granted columns, by their confirmed names, under a partial one (None when
    the file's header does not hold each of them exactly once)."""
    path = rt.store.path(row.storage_root, row.storage_key)
    if scopes.is_full(grant):
        filename, fallback = served_name(row.dataset, row)
        media_type = row.media_type or "application/octet-stream"
        return GrantedFile(filename, media_type, path, None, fallback)
    columns = _projected(path, list(grant.fields)) if grant.fields else None
    if columns is None:
        return None
    filename, fallback = served_name(row.dataset, row, "csv")
    filename = filename.removesuffix(".csv") + "-授权字段.csv"
    fallback = fallback.removesuffix(".csv") + "-shou-quan-zi-duan.csv"
    media_type = "text/csv; charset=utf-8"
    return GrantedFile(filename, media_type, None, columns, fallback)


def _projected(path: Path, fields: list[str]) -> GrantedColumns | None:
    """Only the granted columns of a stored original's table, read through the one table
    reader. The header is read before anything is served: None unless it holds each granted
    name exactly once (a file that is not a table, or a table without those columns, serves
    nothing; rows above the header are never served)."""
    fmt = path.suffix.lower().lstrip(".")
    try:
        table = open_table(path, fmt, codec="utf-8-sig" if fmt in TEXT_FORMATS else None)
    except (TableError, OSError):
        return None
    try:
        sheet = table.main_sheet()
    except (TableError, OSError):
        table.close()
        return None
    if sheet is None or any(sheet.header.count(f) != 1 for f in fields):
        table.close()
        return None
    index = [sheet.header.index(f) for f in fields]

    def records() -> Iterator[list[Any]]:
        try:
            for row in sheet.rows:
                yield [row[i] if i < len(row) else None for i in index]
        finally:
            table.close()

    return GrantedColumns(list(fields), records())


def organization_of(session: Session, grant: Grant) -> str | None:
    """The department whose dataset the grant is on (it manages the grant)."""
    dataset = session.get(Dataset, grant.dataset_id)
    return dataset.organization_id if dataset is not None else None


def may_see(session: Session, actor: Actor, grant: Grant) -> bool:
    return may.can_view_grant(
        actor, holder_id=grant.user_id, organization_id=organization_of(session, grant)
    )


def get_grant(rt: Runtime, actor: Actor, grant_id: str) -> dict[str, Any]:
    c.require_signed_in(actor)
    with rt.reader() as session:
        grant = session.scalar(
            select(Grant).where((Grant.id == grant_id) | (Grant.reference == grant_id))
        )
        if grant is None or not may_see(session, actor, grant):
            raise NotFound(f"未找到授权 {grant_id}")
        out = grant_dict(session, grant)
        out.update(grant_usage.usage(session, grant, shanghai_date(c.now_utc())))
        return out


def list_grants(rt: Runtime, actor: Actor) -> list[dict[str, Any]]:
    """The caller's own grants, newest first."""
    c.require_signed_in(actor)
    with rt.reader() as session:
        rows = session.scalars(
            select(Grant).where(Grant.user_id == actor.user_id).order_by(Grant.signed_at.desc())
        ).all()
        return [grant_dict(session, g) for g in rows]


def grant_dict(session: Session, grant: Grant) -> dict[str, Any]:
    dataset = session.get(Dataset, grant.dataset_id)
    holder = session.get(User, grant.user_id)
    scope, full = scopes.assess(session, grant, dataset), scopes.is_full(grant)
    return {
        "id": grant.id,
        "reference": grant.reference,
        "application_id": grant.application_id,
        "holder": (holder.company_name or holder.display_name) if holder else None,
        "dataset": {"id": dataset.id, "name": dataset.name, "title": dataset.title}
        if dataset
        else None,
        "fields": list(grant.fields or []),
        "scope": "all" if full else "partial",
        "scope_label": "全部字段" if full else "部分字段",
        "scope_state": scope.state,
        "scope_state_label": scopes.STATE_LABELS[scope.state],
        "scope_reason": scope.why,
        "scope_changed_at": grant.scope_changed_at.isoformat() if grant.scope_changed_at else None,
        "access_mode": grant.access_mode,
        "agreement_version": grant.agreement_version,
        "agreement_sha256": grant.agreement_sha256,
        "signed_at": grant.signed_at.isoformat(),
        "starts_on": str(grant.starts_on),
        "expires_on": str(grant.expires_on),
        "status": grant.status,
        "status_label": STATUS_LABELS[grant.status],
        "status_reason": grant.status_reason,
        "status_reason_label": REASONS.get(grant.status_reason or ""),
        "status_note": grant.status_note,
        "report_due_on": str(grant.report_due_on) if grant.report_due_on else None,
        "final_report_due_on": str(grant.final_report_due_on)
        if grant.final_report_due_on
        else None,
    }
