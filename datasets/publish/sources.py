"""What the static build writes and from which revision: the public datasets (active, listed
in search, not suspended by a rights-holder objection), each with a revision token and the
public files anyone may download (read for the datasets a build writes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select

from datasets.catalog.packages import RESOURCE_PATH
from datasets.models import Dataset, Resource, SearchEntry, SearchPackage
from datasets.runtime import Runtime

# names nginx may map from a query string (``package_show?id=<name>``) to a file of the tree;
# config/nginx-static.conf.template holds the same expression
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")


@dataclass(frozen=True)
class PublicFile:
    url_path: str  # the download URL's path, not quoted
    path: Path  # the public file of the instance


@dataclass(frozen=True)
class PublicEntry:
    id: str
    name: str
    # the dataset's revision and the id of its stored public package, which every write of the
    # package changes (ids are never reused): a suspension, a file confirmed, a quality score
    revision: str
    files: tuple[PublicFile, ...] = ()

    @property
    def source(self) -> str:
        return f"{source_prefix(self.id)}{self.revision}"


def source_prefix(dataset_id: str) -> str:
    """The start of the manifest source of every file made from one dataset."""
    return f"dataset:{dataset_id}@"


def _public(query):  # type: ignore[no-untyped-def]
    return query.where(Dataset.state == "active", Dataset.suspended_by.is_(None))


def public_entries(rt: Runtime) -> list[PublicEntry]:
    """Every dataset the static tree holds, ordered by name, without its files (``with_files``
    reads them for the datasets to write: one query for the catalog, whatever its size)."""
    with rt.reader() as session:
        rows = session.execute(
            _public(
                select(Dataset.id, Dataset.name, Dataset.revision, SearchPackage.id)
                .join(SearchEntry, SearchEntry.dataset_id == Dataset.id)
                .outerjoin(SearchPackage, SearchPackage.doc == SearchEntry.doc)
            ).order_by(Dataset.name)
        ).all()
    return [
        PublicEntry(dataset_id, name, f"{revision}-{package}")
        for dataset_id, name, revision, package in rows
    ]


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
    return [replace(e, files=tuple(files.get(e.id, ()))) for e in entries]


def public_ids(rt: Runtime) -> set[str]:
    """Ids of the datasets the static tree may hold now."""
    with rt.reader() as session:
        return set(session.scalars(_public(select(Dataset.id))))
