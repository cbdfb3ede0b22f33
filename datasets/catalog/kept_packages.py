"""A public dataset's package dict, kept per process until the search rows change (every write
of a public dataset writes its stored package anew, see ``datasets.search.generation``): the
dataset page, its ``package_show`` twin and its DCAT documents share one, and a read of many
(the static build's chunk of datasets, a DCAT request) keeps them all for the pages that follow.
A kept dict is never changed: callers copy what they alter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, defer, selectinload

from datasets.catalog.packages import package_dict
from datasets.intake.public_root import public_now
from datasets.models import Dataset, Resource
from datasets.search.generation import generation, kept
from datasets.workdays import shanghai_today

# what a package dict reads, previews included; not a file's schema or scan report
KEEP_LOADS = (
    selectinload(Dataset.organization),
    selectinload(Dataset.resources).defer(Resource.schema).defer(Resource.pii_report),
    selectinload(Dataset.tags),
    defer(Dataset.unnormalised),
    defer(Dataset.quarantine),
)


def kept_package(
    session: Session,
    dataset_id: str,
    load: Callable[[], Dataset],
    *,
    base_url: str,
    suspended: bool,
    now: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The package dict of an active dataset with its preview rows (none while 权益异议
    suspends it), ``load()`` read only when no process-kept one is current."""
    today = shanghai_today()
    key = ("package", dataset_id, base_url, suspended, today)
    return kept(
        session,
        key,
        lambda: package_dict(load(), base_url=base_url, today=today, with_preview=not suspended),
        now=now,
    )


def public_packages(
    session: Session, where: ColumnElement[bool], *, base_url: str
) -> list[dict[str, Any]]:
    """The package dicts of the public datasets ``where`` selects, read in one query and kept
    for the pages that follow."""
    now = generation(session)
    found = session.scalars(select(Dataset).where(where, public_now()).options(*KEEP_LOADS))
    return [_keep(session, ds, base_url, now) for ds in found]


def _keep(session: Session, ds: Dataset, base_url: str, now: tuple[int, int]) -> dict[str, Any]:
    return kept_package(session, ds.id, lambda: ds, base_url=base_url, suspended=False, now=now)
