"""What the static build writes and from which revision: the public datasets (active, listed
in search, not suspended by a rights-holder objection), each with a revision token and the
public files anyone may download (read for the datasets a build writes)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datasets.catalog import usage
from datasets.catalog.packages import RESOURCE_PATH
from datasets.catalog.vocabulary import TOPICS
from datasets.models import Dataset, Organization, Resource, SearchEntry, SearchPackage
from datasets.runtime import Runtime
from datasets.search.generation import generation

# names nginx may map from a query string (``package_show?id=<name>``) to a file of the tree;
# config/nginx-static.conf.template holds the same expression
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")


@dataclass(frozen=True)
class PublicFile:
    url_path: str  # the download URL's path, not quoted
    path: Path  # the public file of the instance


class PublicEntry(NamedTuple):
    """A dataset of the static tree (a tuple: a catalog of 100,000 makes as many per build)."""

    id: str
    name: str
    # the dataset's revision and the id of its stored public package, which every write of the
    # package changes (ids are never reused): a suspension, a file confirmed, a quality score
    revision: str
    organization_id: str
    topic: str
    # the usage figures its page shows (up to yesterday): a day with uses rewrites the page
    usage: str
    # the manifest source of its files: ``dataset:<id>@<revision>`` and ``~<usage>`` if any
    source: str
    files: tuple[PublicFile, ...] = ()

    @property
    def listed(self) -> str:
        """What the lists that name the dataset show of it (not its usage figures)."""
        return f"{self.id}@{self.revision}"


def public_entry(
    dataset_id: str, name: str, revision: str, organization_id: str, topic: str, usage: str
) -> PublicEntry:
    figures = f"~{usage}" if usage else ""
    source = f"{source_prefix(dataset_id)}{revision}{figures}"
    return PublicEntry(dataset_id, name, revision, organization_id, topic, usage, source)


def source_prefix(dataset_id: str) -> str:
    """The start of the manifest source of every file made from one dataset."""
    return f"dataset:{dataset_id}@"


def _public(query):  # type: ignore[no-untyped-def]
    return query.where(Dataset.state == "active", Dataset.suspended_by.is_(None))


_ENTRIES = _public(
    select(
        Dataset.id,
        Dataset.name,
        Dataset.revision,
        SearchPackage.id,
        Dataset.organization_id,
        Dataset.topic,
    )
    .join(SearchEntry, SearchEntry.dataset_id == Dataset.id)
    .outerjoin(SearchPackage, SearchPackage.doc == SearchEntry.doc)
)


def public_entries(rt: Runtime) -> list[PublicEntry]:
    """Every dataset the static tree holds, ordered by name, without its files (``with_files``
    reads them for the datasets to write: one query for the catalog, whatever its size, read
    on the connection without the ORM). Sorted here, not by the database: asked for the order
    of names, SQLite reads the table in the name index's order (at 100,000 datasets, 1.5 s
    instead of 0.9 s for a read in the table's own order and the sort)."""
    with rt.reader() as session:
        rows = sorted(session.connection().execute(_ENTRIES), key=lambda row: row[1])
        figures = usage_figures(session)
    return [
        public_entry(i, name, f"{revision}-{package}", org, topic or "", figures.get(i, ""))
        for i, name, revision, package, org, topic in rows
    ]


def public_count(rt: Runtime) -> int:
    """How many datasets the static tree holds (from an index)."""
    with rt.reader() as session:
        return session.scalar(_public(select(func.count()).select_from(Dataset))) or 0


def usage_figures(session: Session) -> dict[str, str]:
    """Dataset id → the figures its page shows (all time and recent, up to yesterday), for
    the datasets ever used: one grouped read of the daily counters each."""
    last = usage.today() - timedelta(days=1)
    totals = usage.by_dataset(session, None, last)
    recent = usage.by_dataset(session, last - timedelta(days=usage.RECENT_DAYS - 1), last)
    return {
        dataset_id: ".".join(str(figures[k]) for k in usage.KINDS)
        + f".{recent.get(dataset_id, {}).get('total', 0)}"
        for dataset_id, figures in totals.items()
    }


@dataclass(frozen=True)
class ListSources:
    """The sources of the pages that list departments or topics, each a digest of what the
    page shows, so a build writes again only the lists a change touched."""

    organizations: dict[str, str]  # department name → its page, feed and organization_show
    departments: str  # the list of departments and organization_list
    topics: dict[str, str]  # topic → its feed


def list_sources(rt: Runtime, entries: list[PublicEntry]) -> ListSources:
    """The sources of the department and topic lists for the public ``entries``."""
    organizations, departments = _organization_sources(rt, entries)
    return ListSources(organizations, departments, _topic_sources(entries))


def _topic_sources(entries: list[PublicEntry]) -> dict[str, str]:
    """Topic → ``topic:<topic>@<digest of its public datasets' sources>`` for the topics of
    the vocabulary and those the entries use (a topic's feed lists its newest datasets)."""
    listed: dict[str, list[str]] = {topic: [] for topic in TOPICS}
    for entry in entries:
        if entry.topic:
            listed.setdefault(entry.topic, []).append(f"|{entry.id}@{entry.revision}")
    digests = {t: hashlib.sha256("".join(parts).encode()) for t, parts in listed.items()}
    return {t: f"topic:{t}@{d.hexdigest()[:32]}" for t, d in digests.items()}


def _organization_sources(rt: Runtime, entries: list[PublicEntry]) -> tuple[dict[str, str], str]:
    """Department name → the source of its page, feed and organization_show twin:
    ``organization:<id>@<token>``, the token a digest of what those show (the department's own
    row, its public datasets' sources, its active datasets by openness); and the source of the
    lists of departments, a digest of every department's row and counts."""
    with rt.reader() as session:
        orgs = session.execute(
            select(Organization.id, Organization.name, Organization.updated_at)
        ).all()
        counts = session.execute(
            select(Dataset.organization_id, Dataset.openness, func.count(Dataset.id))
            .where(Dataset.state == "active")
            .group_by(Dataset.organization_id, Dataset.openness)
            .order_by(Dataset.organization_id, Dataset.openness)
        ).all()
    digests = {i: hashlib.sha256(f"{name}|{updated}".encode()) for i, name, updated in orgs}
    lists = hashlib.sha256()
    for org_id, name, updated in orgs:
        lists.update(f"|{org_id}={name}@{updated}".encode())
    for org_id, openness, count in counts:
        lists.update(f"|{org_id}:{openness}={count}".encode())
        if org_id in digests:
            digests[org_id].update(f"|{openness}={count}".encode())
    listed: dict[str, list[str]] = {}
    for entry in entries:  # ordered by name
        listed.setdefault(entry.organization_id, []).append(f"|{entry.id}@{entry.revision}")
    for org_id, parts in listed.items():  # one update: the digest of the same bytes
        if org_id in digests:
            digests[org_id].update("".join(parts).encode())
    pages = {
        name: f"organization:{org_id}@{digests[org_id].hexdigest()[:32]}"
        for org_id, name, _updated in orgs
    }
    return pages, f"departments@{lists.hexdigest()[:32]}"


def with_files(rt: Runtime, entries: list[PublicEntry]) -> list[PublicEntry]:
    """``entries`` with the public files anyone may download, read in one query."""
    ids = [e.id for e in entries]
    with rt.reader() as session:
        resources = session.execute(
            _public(
                select(
                    Resource.dataset_id,
                    Resource.id,
                    Resource.filename,
                    Resource.public_key,
                    Resource.unmirrored,
                )
                .join(Dataset, Dataset.id == Resource.dataset_id)
                .where(Resource.public_key.is_not(None), Resource.dataset_id.in_(ids))
            ).order_by(Resource.position)
        ).all()
    names = {e.id: e.name for e in entries}
    files: dict[str, list[PublicFile]] = {}
    for dataset_id, resource_id, filename, key, unmirrored in resources:
        if unmirrored or not key:
            continue
        url = RESOURCE_PATH.format(
            name=names[dataset_id], resource_id=resource_id, filename=filename
        )
        files.setdefault(dataset_id, []).append(PublicFile(url, rt.store.path("public", key)))
    return [e._replace(files=tuple(files.get(e.id, ()))) for e in entries]


def search_generation(rt: Runtime) -> tuple[int, int]:
    """The search rows' generation (``datasets.search.generation``): every write that shows,
    changes or hides a public dataset changes it."""
    with rt.reader() as session:
        return generation(session)


def public_ids(rt: Runtime) -> set[str]:
    """Ids of the datasets the static tree may hold now."""
    with rt.reader() as session:
        return set(session.scalars(_public(select(Dataset.id))))
