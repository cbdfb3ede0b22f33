"""The public catalog read in batches, for the documents that list all of it (data.json,
sitemaps, feeds).

What is listed is what ``package_search`` and ``package_list`` list: the datasets with a search
row (``search.entries.VISIBLE_STATES``), each as its stored public package dict — the same
dict the API answers, so nothing a package dict hides can appear here. Batches are read by
keyset on the name (indexed), each in a short session of its own, so a catalog of 100,000
datasets is never held in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from datasets.catalog.packages import PACKAGE_LOADS, package_dict, stored_package
from datasets.models import Dataset, Organization, SearchEntry, SearchPackage
from datasets.runtime import Runtime
from datasets.workdays import SHANGHAI

BATCH = 500  # packages read per query


def public_packages(rt: Runtime, *, base_url: str, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every public package dict, ordered by name, read ``batch`` at a time."""
    after = ""
    while True:
        with rt.reader() as session:
            rows = session.execute(
                select(SearchEntry.dataset_id, SearchEntry.name, SearchPackage.package)
                .outerjoin(SearchPackage, SearchPackage.doc == SearchEntry.doc)
                .where(SearchEntry.name > after)
                .order_by(SearchEntry.name)
                .limit(batch)
            ).all()
            missing = [dataset_id for dataset_id, _, text in rows if text is None]
            loaded = _load_packages(session, missing, base_url) if missing else {}
        if not rows:
            return
        for dataset_id, _, text in rows:
            pkg = stored_package(text, base_url=base_url) if text else loaded.get(dataset_id)
            if pkg is not None:
                yield pkg
        after = rows[-1][1]


def _load_packages(session: Any, ids: list[str], base_url: str) -> dict[str, dict[str, Any]]:
    """Package dicts of datasets whose search row has no stored package yet."""
    query = select(Dataset).where(Dataset.id.in_(ids)).options(*PACKAGE_LOADS)
    return {
        d.id: package_dict(d, base_url=base_url)
        for d in session.scalars(query)
        if d.state == "active"
    }


def page_stamps(
    rt: Runtime, *, offset: int = 0, limit: int | None = None, batch: int = 5000
) -> Iterator[tuple[str, datetime]]:
    """(name, last change) of public datasets ordered by name, from the ``offset``-th on, at
    most ``limit`` of them, read ``batch`` at a time."""
    left = limit
    after: str | None = None
    while left is None or left > 0:
        size = batch if left is None else min(batch, left)
        query = select(SearchEntry.name, SearchEntry.metadata_modified).order_by(SearchEntry.name)
        query = query.offset(offset) if after is None else query.where(SearchEntry.name > after)
        with rt.reader() as session:
            rows = session.execute(query.limit(size)).all()
        if not rows:
            return
        yield from ((name, modified) for name, modified in rows)
        after = rows[-1][0]
        if left is not None:
            left -= len(rows)


def public_count(rt: Runtime) -> int:
    with rt.reader() as session:
        return session.scalar(select(func.count()).select_from(SearchEntry)) or 0


def catalog_version(rt: Runtime) -> str:
    """Changes whenever a public package is written or removed: the number of public datasets
    and the newest stored package's id (``SearchPackage.id`` is never reused)."""
    with rt.reader() as session:
        newest = session.scalar(select(func.max(SearchPackage.id)))
        count = session.scalar(select(func.count()).select_from(SearchEntry))
    return f"{count or 0}-{newest or 0}"


def latest_change(rt: Runtime) -> datetime | None:
    """When the public catalog last changed (the newest dataset's metadata_modified)."""
    with rt.reader() as session:
        return session.scalar(select(func.max(SearchEntry.metadata_modified)))


def department_count(rt: Runtime) -> int:
    with rt.reader() as session:
        return session.scalar(select(func.count()).select_from(Organization)) or 0


def department_stamps(rt: Runtime) -> list[tuple[str, datetime | None]]:
    """(name, last change of its public datasets) of every department."""
    with rt.reader() as session:
        latest = dict(
            session.execute(
                select(Dataset.organization_id, func.max(SearchEntry.metadata_modified))
                .join(SearchEntry, SearchEntry.dataset_id == Dataset.id)
                .group_by(Dataset.organization_id)
            ).all()
        )
        orgs = session.execute(select(Organization.id, Organization.name).order_by("name")).all()
    return [(name, latest.get(org_id)) for org_id, name in orgs]


def department_title(rt: Runtime, name: str) -> str | None:
    with rt.reader() as session:
        return session.scalar(select(Organization.title).where(Organization.name == name))


def shanghai_time(value: datetime | date | str | None) -> str | None:
    """A stored time (UTC, naive or ISO text) as a W3C datetime in Asia/Shanghai
    (``2026-10-31T16:00:00+08:00``); a date stays a date."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if not isinstance(value, datetime):
        return value.isoformat()
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(SHANGHAI).isoformat(timespec="seconds")
