"""Autocompletes and the newest-first package list: the read services behind CKAN's
``*_autocomplete`` and ``current_package_list_with_resources``. Public datasets only; formats
of 不予开放 entries are not shown (they publish no files)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from datasets.catalog.packages import PACKAGE_LOADS, package_dict
from datasets.models import Dataset, Organization, Resource
from datasets.openness import rules as op
from datasets.runtime import Runtime

ACTIVE = Dataset.state == "active"


def _title_or_name(model: type[Dataset] | type[Organization], q: str) -> ColumnElement[bool]:
    return or_(model.title.contains(q, autoescape=True), model.name.contains(q, autoescape=True))


def package_autocomplete(rt: Runtime, *, q: str, limit: int) -> list[dict[str, Any]]:
    """Public datasets whose title or name contains ``q``, titles first."""
    if not q:
        return []
    with rt.reader() as session:
        rows = session.execute(
            select(Dataset.name, Dataset.title)
            .where(ACTIVE, _title_or_name(Dataset, q))
            .order_by(Dataset.name)
            .limit(limit)
        ).all()
    out = []
    for name, title in rows:
        field, shown = ("title", title) if q in title else ("name", name)
        out.append({"name": name, "title": title, "match_field": field, "match_displayed": shown})
    return out


def format_autocomplete(rt: Runtime, *, q: str, limit: int) -> list[str]:
    """Formats of public files containing ``q`` (case-insensitive), most used first."""
    if not q:
        return []
    fmt = func.upper(Resource.format)
    with rt.reader() as session:
        rows = session.execute(
            select(fmt, func.count(Resource.id))
            .join(Dataset, Dataset.id == Resource.dataset_id)
            .where(
                ACTIVE,
                Dataset.openness != op.CLOSED,
                fmt.contains(q.upper(), autoescape=True),
            )
            .group_by(fmt)
            .order_by(func.count(Resource.id).desc(), fmt)
            .limit(limit)
        ).all()
    return [name for name, _ in rows if name]


def organization_autocomplete(rt: Runtime, *, q: str, limit: int) -> list[dict[str, Any]]:
    """Departments whose title or name contains ``q``."""
    if not q:
        return []
    with rt.reader() as session:
        rows = session.execute(
            select(Organization.id, Organization.name, Organization.title)
            .where(_title_or_name(Organization, q))
            .order_by(Organization.name)
            .limit(limit)
        ).all()
    return [{"id": i, "name": n, "title": t} for i, n, t in rows]


def current_packages(
    rt: Runtime, *, limit: int, offset: int, base_url: str
) -> list[dict[str, Any]]:
    """Public package dicts with their resources, the most recently modified first."""
    with rt.reader() as session:
        rows = session.scalars(
            select(Dataset)
            .where(ACTIVE)
            .order_by(Dataset.metadata_modified.desc(), Dataset.id)
            .limit(limit)
            .offset(offset)
            .options(*PACKAGE_LOADS)
        ).all()
        return [package_dict(d, base_url=base_url) for d in rows]
