"""The sources of the pages that list departments and topics: a department's page, feed and
organization_show twin (``organization:<id>@<token>``), the list of departments and
organization_list (``departments@<token>``), a topic's feed (``topic:<topic>@<token>``). A build
writes a list again when its source changed.

``list_sources`` reads them from the catalog by grouped reads (every department and topic, at a
cost that grows with the catalog). ``lists_after`` brings the sources a tree holds up to date
from the datasets changed since it was built: the lists that named a changed dataset before
(the tree's manifest keeps whom each dataset was listed by) or name it now get a new token;
the others keep theirs. It cannot tell (None) when a department was added, renamed or removed,
or a list has no source in the tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from datasets.catalog.vocabulary import TOPICS
from datasets.models import Dataset, Organization, SearchEntry, SearchPackage
from datasets.publish.sources import Changes, Listed
from datasets.runtime import Runtime

ORGANIZATION, TOPIC, DEPARTMENTS = "organization:", "topic:", "departments@"


@dataclass(frozen=True)
class ListSources:
    """The sources of the pages that list departments or topics, each a token of what the
    page shows, so a build writes again only the lists a change touched."""

    organizations: dict[str, str]  # department name → its page, feed and organization_show
    departments: str  # the list of departments and organization_list
    topics: dict[str, str]  # topic → its feed

    def sources(self) -> set[str]:
        return {*self.organizations.values(), *self.topics.values(), self.departments}


# per department and topic, how many datasets the lists name (every search row: a suspended
# dataset is listed, with its notice) and the newest of their packages: every write of a package
# takes an id larger than any before, so the pair changes whenever the datasets a list names or
# what they show changes (one written: the newest grows; one gone and none written: the count
# falls)
_LISTED = (
    select(
        Dataset.organization_id,
        Dataset.topic,
        func.count(SearchEntry.doc),
        func.max(SearchPackage.id),
    )
    .select_from(SearchEntry)
    .join(Dataset, Dataset.id == SearchEntry.dataset_id)
    .outerjoin(SearchPackage, SearchPackage.doc == SearchEntry.doc)
    .group_by(Dataset.organization_id, Dataset.topic)
)
_COUNTS = (
    select(Dataset.organization_id, Dataset.openness, func.count(Dataset.id))
    .where(Dataset.state == "active")
    .group_by(Dataset.organization_id, Dataset.openness)
    .order_by(Dataset.organization_id, Dataset.openness)
)
_MARK = select(func.count(Organization.id), func.max(Organization.updated_at))


def organizations_mark(rt: Runtime) -> str:
    """Changes when a department is added, removed or changed (its ``updated_at``)."""
    with rt.reader() as session:
        count, newest = session.execute(_MARK).one()
    return f"{count}@{newest}"


def list_sources(rt: Runtime) -> ListSources:
    """The sources of the department and topic lists, read from the catalog: a department's
    token is a digest of its own row, its active datasets by openness and the datasets it lists,
    the list of departments' of every department's row and counts; the topics are those of the
    vocabulary and those in use."""
    with rt.reader() as session:
        orgs = session.execute(
            select(Organization.id, Organization.name, Organization.updated_at)
        ).all()
        counts = session.execute(_COUNTS).all()
        listed = session.execute(_LISTED).all()
    by_org: dict[str, tuple[int, int]] = {}
    by_topic: dict[str, tuple[int, int]] = {topic: (0, 0) for topic in TOPICS}
    for org_id, topic, count, newest in listed:
        for into, key in ((by_org, org_id), (by_topic, topic)):
            if key:
                had, top = into.get(key, (0, 0))
                into[key] = (had + count, max(top, newest or 0))
    digests = {i: hashlib.sha256(f"{name}|{updated}".encode()) for i, name, updated in orgs}
    lists = hashlib.sha256()
    for org_id, name, updated in orgs:
        lists.update(f"|{org_id}={name}@{updated}".encode())
    for org_id, openness, count in counts:
        lists.update(f"|{org_id}:{openness}={count}".encode())
        if org_id in digests:
            digests[org_id].update(f"|{openness}={count}".encode())
    for org_id, (count, newest) in by_org.items():
        if org_id in digests:
            digests[org_id].update(f"|listed={count}@{newest}".encode())
    pages = {
        name: f"{ORGANIZATION}{org_id}@{digests[org_id].hexdigest()[:32]}"
        for org_id, name, _updated in orgs
    }
    topics = {t: f"{TOPIC}{t}@{_token(f'{n}@{top}')}" for t, (n, top) in by_topic.items()}
    return ListSources(pages, f"{DEPARTMENTS}{lists.hexdigest()[:32]}", topics)


def lists_after(
    rt: Runtime,
    held: set[str],
    before: Mapping[str, Listed],
    changes: Changes,
    generation: tuple[int, int],
) -> ListSources | None:
    """The list sources after ``changes``, from those the tree holds (``held``) and how the
    changed datasets were listed when it was built (``before``, by id); None when that cannot
    tell. A touched list's new token is its old one with the search rows' ``generation``."""
    stamp = f"|{generation[0]}.{generation[1]}"
    orgs = {s[len(ORGANIZATION) :].partition("@")[0]: s for s in held if s.startswith(ORGANIZATION)}
    topics = {s[len(TOPIC) :].rpartition("@")[0]: s for s in held if s.startswith(TOPIC)}
    departments = next((s for s in held if s.startswith(DEPARTMENTS)), None)
    with rt.reader() as session:
        names = dict(session.execute(select(Organization.id, Organization.name)).all())
    if departments is None or set(names) != set(orgs) or not set(TOPICS) <= set(topics):
        return None
    by_orgs, by_topics, counted = _touched(before, changes.listed)
    if not (by_orgs <= orgs.keys() and by_topics <= topics.keys()):
        return None  # a department or topic no list held yet

    def renew(source: str) -> str:
        return f"{source.rpartition('@')[0]}@{_token(source + stamp)}"

    return ListSources(
        {name: (renew if i in by_orgs else str)(orgs[i]) for i, name in names.items()},
        renew(departments) if counted else departments,
        {topic: (renew if topic in by_topics else str)(s) for topic, s in topics.items()},
    )


def _touched(before: Mapping[str, Listed], after: list[Listed]) -> tuple[set[str], set[str], bool]:
    """The departments and the topics that listed a changed dataset before or list it now,
    and whether a department's counts by openness may have changed."""
    orgs: set[str] = set()
    topics: set[str] = set()
    counted = False
    for dataset_id, org_id, topic, openness in after:
        old = before.get(dataset_id)
        orgs.update(o for o in (org_id, old and old[1]) if o)
        topics.update(t for t in (topic, old and old[2]) if t)
        counted = counted or old is None or (old[1], old[3]) != (org_id, openness)
    return orgs, topics, counted


def _token(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
