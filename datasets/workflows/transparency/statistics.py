"""Statistics per department and in total: datasets by openness class, machine-readable share,
records, overdue updates, and the cases received, decided, decided on time, pending and overdue."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from datasets.catalog import usage
from datasets.catalog.quality import MACHINE_READABLE
from datasets.models import Case, ClassificationEvent, Dataset, Organization, Resource
from datasets.openness import rules as op
from datasets.runtime import Runtime
from datasets.workdays import shanghai_date
from datasets.workflows import cases as c
from datasets.workflows.machine import MACHINES
from datasets.workflows.transparency import trends as tr
from datasets.workflows.transparency.trends import Period

# department-handled requests other than applications, counted together in the statistics
OPEN_CLASSES = (op.UNCONDITIONAL, op.CONDITIONAL)
REQUEST_KINDS = ("opening_request", "error_report", "rights_objection", "suggestion")


def _case_counts() -> dict[str, int]:
    return {"received": 0, "decided": 0, "on_time": 0, "pending": 0, "overdue": 0}


def _department_row(name: str | None, title: str) -> dict[str, Any]:
    return {
        "department": {"name": name, "title": title} if name else None,
        "datasets": {"unconditional": 0, "conditional": 0, "closed": 0, "total": 0},
        "published": {"unconditional": 0, "conditional": 0, "closed": 0, "total": 0},
        "machine_readable": {"open": 0, "datasets": 0, "share": None},
        "records": 0,
        "overdue_updates": 0,
        "applications": _case_counts(),
        "requests": _case_counts(),
        "by_kind": {},
        "objections": {"received": 0, "pending": 0, "upheld": 0, "overturned": 0},
        "usage": {"view": 0, "download": 0, "api": 0, "total": 0},
        "reuses": 0,
        "on_time_share": None,
    }


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _count_case(row: dict[str, Any], case: Any, today: date) -> None:
    """Add one case to a department's counts (``case``: a row of the columns selected)."""
    kind = case.kind
    decided = case.decided_at is not None and case.status != "ruling"
    pending = case.closed_at is None and (case.decided_at is None or case.status == "ruling")
    overdue = pending and case.due_on is not None and case.due_on < today
    groups = [row["by_kind"].setdefault(kind, _case_counts())]
    if kind == "application":
        groups.append(row["applications"])
    elif kind in REQUEST_KINDS:
        groups.append(row["requests"])
    for counts in groups:
        counts["received"] += 1
        counts["decided"] += decided
        counts["on_time"] += bool(decided and case.decided_on_time)
        counts["pending"] += pending
        counts["overdue"] += overdue
    if kind == "objection":
        appeals = row["objections"]
        appeals["received"] += 1
        appeals["pending"] += case.closed_at is None
        if case.outcome in ("upheld", "overturned"):
            appeals[case.outcome] += 1


def _rows(session: Session) -> dict[str | None, dict[str, Any]]:
    """A row per department, by its id (in title order)."""
    found = session.execute(
        select(Organization.id, Organization.name, Organization.title).order_by(Organization.title)
    )
    return {org_id: _department_row(name, title) for org_id, name, title in found}


def _row(rows: dict[str | None, dict[str, Any]], org_id: str | None) -> dict[str, Any]:
    """The department's row; datasets and cases of no known department count as "其他"."""
    if org_id not in rows:
        rows[org_id] = _department_row(None, "其他")
    return rows[org_id]


def _machine_readable(session: Session) -> dict[str | None, int]:
    """Per department, the active open datasets with a file in a machine-readable format."""
    readable = func.lower(func.trim(Resource.format)).in_(sorted(MACHINE_READABLE))
    has_readable = select(Resource.id).where(Resource.dataset_id == Dataset.id, readable).exists()
    query = (
        select(Dataset.organization_id, func.count())
        .where(Dataset.state == "active", Dataset.openness.in_(OPEN_CLASSES), has_readable)
        .group_by(Dataset.organization_id)
    )
    return {org_id: n for org_id, n in session.execute(query)}


def _overdue(session: Session) -> dict[str | None, int]:
    """Per department, the active open datasets whose quality flags say 更新逾期: the few whose
    stored quality names it at all are read and checked."""
    query = select(Dataset.organization_id, Dataset.quality).where(
        Dataset.state == "active",
        Dataset.openness.in_(OPEN_CLASSES),
        cast(Dataset.quality, Text).contains("overdue"),
    )
    found: dict[str | None, int] = {}
    for org_id, quality in session.execute(query):
        flags = (quality or {}).get("flags") or []
        if any(f.get("code") == "overdue" for f in flags):
            found[org_id] = found.get(org_id, 0) + 1
    return found


def _count_datasets(session: Session, rows: dict[str | None, dict[str, Any]]) -> None:
    """The departments' datasets by class, records, machine-readable and overdue counts,
    added up by the database."""
    counts = session.execute(
        select(
            Dataset.organization_id,
            Dataset.openness,
            func.count(Dataset.id),
            func.coalesce(func.sum(Dataset.record_count), 0),
        )
        .where(Dataset.state == "active")
        .group_by(Dataset.organization_id, Dataset.openness)
    )
    for org_id, openness, n, records in counts:
        row = _row(rows, org_id)
        if openness not in row["datasets"]:
            continue
        row["datasets"][openness] += n
        row["datasets"]["total"] += n
        if openness != op.CLOSED:
            row["machine_readable"]["open"] += n
            row["records"] += int(records or 0)
    for readable_org, n in _machine_readable(session).items():
        _row(rows, readable_org)["machine_readable"]["datasets"] += n
    for overdue_org, n in _overdue(session).items():
        _row(rows, overdue_org)["overdue_updates"] += n


def _count_published(
    session: Session, rows: dict[str | None, dict[str, Any]], period: Period | None
) -> None:
    """The datasets first published in the period (all time without one), by the class they
    were published with, as the history recorded it then (held entries are not published)."""
    first = ClassificationEvent.old_openness.is_(None)
    query = (
        select(Dataset.organization_id, ClassificationEvent.new_openness, func.count())
        .join(Dataset, Dataset.id == ClassificationEvent.dataset_id)
        .where(first)
        .group_by(Dataset.organization_id, ClassificationEvent.new_openness)
    )
    if period is not None:
        query = query.where(
            ClassificationEvent.at >= period.start, ClassificationEvent.at < period.end
        )
    for org_id, label, n in session.execute(query):
        openness = str(label).split("+", 1)[0]  # "conditional+masked": published masked
        published = _row(rows, org_id)["published"]
        if openness in published:
            published[openness] += n
            published["total"] += n


def _count_cases(
    session: Session, rows: dict[str | None, dict[str, Any]], today: date, period: Period | None
) -> None:
    query = select(
        Case.organization_id,
        Case.kind,
        Case.status,
        Case.outcome,
        Case.decided_at,
        Case.decided_on_time,
        Case.closed_at,
        Case.due_on,
    )
    if period is not None:  # the cases received in the period
        query = query.where(Case.received_on >= period.since, Case.received_on <= period.until)
    for case in session.execute(query):
        _count_case(_row(rows, case.organization_id), case, today)


def _with_share(row: dict[str, Any]) -> dict[str, Any]:
    readable = row["machine_readable"]
    readable["share"] = _share(readable["datasets"], readable["open"])
    decided = row["applications"]["decided"] + row["requests"]["decided"]
    on_time = row["applications"]["on_time"] + row["requests"]["on_time"]
    row["on_time_share"] = _share(on_time, decided)
    return row


def _count_uses(
    session: Session, rows: dict[str | None, dict[str, Any]], today: date, period: Period | None
) -> tuple[list[dict[str, Any]], int, Any]:
    """Uses and approved reuses into the departments' rows; the most used datasets, the
    number of distinct reuses and the reuses per month."""
    per_org, popular = tr.usage_by_department(session, period, today)
    for org_id, counts in per_org.items():
        _row(rows, org_id)["usage"] = counts
    reuses, every, per_month = tr.reuses_by_department(session, period)
    for org_id, n in reuses.items():
        _row(rows, org_id)["reuses"] = n
    return popular, every, per_month


def statistics(
    rt: Runtime, *, today: date | None = None, period: Period | None = None
) -> dict[str, Any]:
    """Per department and in total: active datasets by openness class (as they are now) and
    those first published (in the period, if one is given) by the class they were published with,
    machine-readable share, records, overdue updates; applications and requests received (in
    the period, if one is given) / decided / decided on time / pending / overdue, the outcomes
    of objections (复核); uses of the data and approved reuses in the period; the most used
    datasets and the trends by month."""
    today = today or shanghai_date(c.now_utc())
    with rt.reader() as session:
        rows = _rows(session)
        _count_datasets(session, rows)
        _count_published(session, rows, period)
        _count_cases(session, rows, today, period)
        popular, reuses, per_month = _count_uses(session, rows, today, period)
        trends = tr.monthly_trends(session, period, today, per_month)
    departments = [r for r in rows.values() if r["department"] is not None]
    others = [r for r in rows.values() if r["department"] is None]
    total = _department_row(None, "合计")
    for row in [*departments, *others]:
        _add_into(total, _with_share(row))
    total["reuses"] = reuses  # a reuse of several departments' data counts once
    return {
        "computed_on": str(today),
        "period": period.as_dict() if period else None,
        "usage_until": str(today - timedelta(days=1)),
        "trends": trends,
        "popular": popular,
        "usage_kinds": usage.KINDS,
        "departments": departments,
        "total": _with_share(total),
        "kinds": {k: m.label for k, m in MACHINES.items()},
        "machine_readable_formats": sorted(f.upper() for f in MACHINE_READABLE),
    }


def _add_into(total: dict[str, Any], row: dict[str, Any]) -> None:
    for key in ("datasets", "published", "applications", "requests", "objections"):
        for name, value in row[key].items():
            total[key][name] += value
    for name in ("open", "datasets"):
        total["machine_readable"][name] += row["machine_readable"][name]
    total["records"] += row["records"]
    total["reuses"] += row["reuses"]
    for kind, n in row["usage"].items():
        total["usage"][kind] += n
    total["overdue_updates"] += row["overdue_updates"]
    for kind, counts in row["by_kind"].items():
        into = total["by_kind"].setdefault(kind, _case_counts())
        for name, value in counts.items():
            into[name] += value
