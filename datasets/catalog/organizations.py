"""The departments as lists: a page of them in name order with their public datasets counted
(the department list, CKAN's ``organization_list``), the totals, and the home page's
departments with the most datasets. A page reads and counts its own departments only, so it
costs the same at 20 departments or 20,000."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from datasets.catalog.packages import organization_dict
from datasets.models import Dataset, Organization
from datasets.runtime import Runtime


def organization_list(
    rt: Runtime, *, limit: int | None = None, offset: int = 0, q: str = ""
) -> list[dict[str, Any]]:
    """Departments in name order (``limit`` of them from ``offset``; those whose name or title
    holds ``q``), each with the number of its public datasets: counted for these departments
    only, so a page costs the same whatever the number of departments."""
    with rt.reader() as session:
        query = _organizations_matching(q).order_by(Organization.name).offset(offset)
        orgs = session.scalars(query.limit(limit) if limit is not None else query).all()
        counts = _package_counts(session, [o.id for o in orgs])
        return [organization_dict(o, package_count=counts.get(o.id, 0)) for o in orgs]


def organization_totals(rt: Runtime, *, q: str = "") -> tuple[int, int]:
    """How many departments (whose name or title holds ``q``) and how many of all have public
    datasets."""
    with rt.reader() as session:
        total = session.scalar(
            select(func.count()).select_from(_organizations_matching(q).subquery())
        )
        providing = session.scalar(
            select(func.count(func.distinct(Dataset.organization_id))).where(
                Dataset.state == "active"
            )
        )
    return total or 0, providing or 0


def top_organizations(rt: Runtime, *, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` departments with the most public datasets (the home page's)."""
    with rt.reader() as session:
        top = session.execute(
            select(Dataset.organization_id, func.count())
            .where(Dataset.state == "active")
            .group_by(Dataset.organization_id)
            .order_by(func.count().desc(), Dataset.organization_id)
            .limit(limit)
        ).all()
        orgs = {
            o.id: o
            for o in session.scalars(
                select(Organization).where(Organization.id.in_([i for i, _ in top]))
            )
        }
        return [organization_dict(orgs[i], package_count=n) for i, n in top if i in orgs]


def _organizations_matching(q: str) -> Select[Organization]:
    query = select(Organization)
    if q:
        query = query.where(
            or_(
                Organization.name.contains(q, autoescape=True),
                Organization.title.contains(q, autoescape=True),
            )
        )
    return query


def _package_counts(session: Session, org_ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for start in range(0, len(org_ids), 500):  # bound the IN list
        rows = session.execute(
            select(Dataset.organization_id, func.count(Dataset.id))
            .where(
                Dataset.state == "active",
                Dataset.organization_id.in_(org_ids[start : start + 500]),
            )
            .group_by(Dataset.organization_id)
        ).all()
        counts.update((org_id, count) for org_id, count in rows)
    return counts
