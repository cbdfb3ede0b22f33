"""The public file root holds only the files the public may download right now.

Operators may let a web server serve ``<instance>/files/public`` directly, so a file there is
public whatever the database says. The invariant kept here: every file under the public root is
the public file (``Resource.public_key``) of a resource of a dataset that is active and not
suspended by a rights-holder objection. Plain open data keeps its *original* there (the only
copy), so hiding a dataset moves originals to the private root; it never just deletes them.

Every service that hides a dataset or replaces its files goes through a ``Tracker``:

1. ``note`` (in the transaction, before the change) remembers the public files the dataset
   references and when each was last written;
2. ``hide`` (in the transaction that hides it: suspension, withdrawal) copies the originals kept
   in the public root to the private root and points the rows there. Until the commit the rows
   still name the public copy, which stays, so a crash never loses an original. Re-placing files
   (a harvest, a reclassification, a release) moves them through ``placement.place_file``;
3. ``finish`` (after the commit) deletes the noted files that no public resource references any
   more — a file with the same content as another dataset's public file stays — unless it was
   written again since it was noted (by a concurrent harvest about to commit a reference to it:
   ``FileStore.put`` touches files it finds stored).

A crash between the commit and ``finish`` leaves only unreferenced public files. ``sweep`` (run by
``maintenance.collect_garbage`` after every harvest) hides any hidden dataset that still holds
public files, puts back public files that a race removed while the private root has the same
content, and lets garbage collection delete unreferenced public files once they are an hour old:
a younger unreferenced file may be one a concurrent harvest has stored and not committed yet.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, select
from sqlalchemy.orm import Session

from datasets.intake.storage import PRIVATE, PUBLIC
from datasets.models import Dataset, Resource
from datasets.runtime import Runtime

log = logging.getLogger(__name__)

_CHUNK = 500  # keys per IN (...) query


def public_now() -> ColumnElement[bool]:
    """SQL condition: the dataset's public files may be downloaded right now."""
    return and_(Dataset.state == "active", Dataset.suspended_by.is_(None))


def is_public(dataset: Dataset) -> bool:
    return dataset.state == "active" and dataset.suspended_by is None


def withheld(rt: Runtime, dataset_id: str | None) -> bool:
    """Whether a rights-holder objection suspends the dataset: its files must not be made
    public, whatever its class (``placement.place_file(withheld=True)``)."""
    if dataset_id is None:
        return False
    with rt.reader() as session:
        case_id = session.scalar(select(Dataset.suspended_by).where(Dataset.id == dataset_id))
    return case_id is not None


def referenced_public_keys(session: Session, keys: Collection[str] | None = None) -> set[str]:
    """Keys under the public root that must stay: public files of public resources, and any
    original a row still keeps there (an original is moved by ``hide``, never deleted).
    ``keys`` limits the question to those keys."""
    found: set[str] = set()
    public_files = select(Resource.public_key).join(Dataset).where(public_now())
    originals = select(Resource.storage_key).where(Resource.storage_root == PUBLIC)
    if keys is None:
        found.update(session.scalars(public_files.where(Resource.public_key.is_not(None))))
        found.update(session.scalars(originals))
        return found
    wanted = sorted(keys)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(session.scalars(public_files.where(Resource.public_key.in_(chunk))))
        found.update(session.scalars(originals.where(Resource.storage_key.in_(chunk))))
    return found


def _holds_public_files() -> ColumnElement[bool]:
    return or_(Resource.storage_root == PUBLIC, Resource.public_key.is_not(None))


def exposed_hidden_datasets(session: Session, ids: Iterable[str] | None = None) -> list[str]:
    """Ids of datasets the public may not download from that still hold public files."""
    query = (
        select(Dataset.id)
        .join(Resource, Resource.dataset_id == Dataset.id)
        .where(not_(public_now()), _holds_public_files())
        .distinct()
    )
    if ids is not None:
        query = query.where(Dataset.id.in_(list(ids)))
    return sorted(session.scalars(query))


class Tracker:
    """The public files one service call may stop publishing; see the module docstring."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._noted: dict[str, int | None] = {}  # public key → st_mtime_ns when noted
        self._datasets: set[str] = set()

    def note(self, session: Session, dataset_id: str | None) -> None:
        """Remember the public files ``dataset_id`` references before it is changed."""
        if dataset_id is None:
            return
        self._datasets.add(dataset_id)
        rows = session.execute(
            select(Resource.public_key, Resource.storage_root, Resource.storage_key).where(
                Resource.dataset_id == dataset_id
            )
        ).all()
        for public_key, root, key in rows:
            if public_key:
                self._remember(public_key)
            if root == PUBLIC:
                self._remember(key)

    def _remember(self, key: str) -> None:
        if key in self._noted:
            return
        try:
            self._noted[key] = self.rt.store.path(PUBLIC, key).stat().st_mtime_ns
        except (FileNotFoundError, ValueError):
            self._noted[key] = None

    def hide(self, session: Session, dataset: Dataset) -> None:
        """Inside the transaction that hides ``dataset`` (after its state or suspension is
        set): move its originals out of the public root and drop its public files."""
        session.flush()  # the change that hides the dataset locks its row before we read
        self.note(session, dataset.id)
        resources = session.scalars(
            select(Resource)
            .where(Resource.dataset_id == dataset.id)
            .execution_options(populate_existing=True)
        ).all()
        for res in resources:
            if res.storage_root == PUBLIC:
                _move_original(self.rt, res)
            res.public_key = None
            res.public_sha256 = None
            res.public_size = None

    def finish(self) -> int:
        """After the commit: hide the noted datasets again if a concurrent harvest gave them
        public files meanwhile, then delete the noted public files no public resource
        references. Returns the number of files deleted."""
        if self._datasets:
            with self.rt.reader() as session:
                exposed = exposed_hidden_datasets(session, self._datasets)
            if exposed:
                with self.rt.session() as session:
                    for dataset_id in exposed_hidden_datasets(session, exposed):
                        self.hide(session, session.get_one(Dataset, dataset_id))
        return self._prune()

    def _prune(self) -> int:
        if not self._noted:
            return 0
        with self.rt.reader() as session:
            keep = referenced_public_keys(session, self._noted)
        removed = 0
        for key, noted_at in self._noted.items():
            if key in keep:
                continue
            path = self.rt.store.path(PUBLIC, key)
            try:
                written_at = path.stat().st_mtime_ns
            except FileNotFoundError:
                continue
            if written_at != noted_at:  # stored again since: left to garbage collection
                continue
            path.unlink(missing_ok=True)
            removed += 1
        self._noted.clear()
        return removed


@contextmanager
def tracking(rt: Runtime) -> Iterator[Tracker]:
    """A ``Tracker`` whose ``finish`` runs when the block ends without an exception; open the
    database session inside the block so that it commits first."""
    tracker = Tracker(rt)
    yield tracker
    tracker.finish()


def _move_original(rt: Runtime, res: Resource) -> None:
    """Copy an original from the public to the private root and point its row there."""
    source = rt.store.path(PUBLIC, res.storage_key)
    extension = res.storage_key.rsplit(".", 1)[-1]
    if source.is_file():
        stored = rt.store.put(source, root=PRIVATE, extension=extension)
        if stored.key != res.storage_key:
            log.error("resource %s: original %s no longer matches its hash", res.id, source)
            res.storage_key = stored.key
    elif rt.store.exists(PRIVATE, res.storage_key):
        rt.store.put(rt.store.path(PRIVATE, res.storage_key), root=PRIVATE, extension=extension)
    else:
        log.error("resource %s: original %s is missing from both roots", res.id, res.storage_key)
    res.storage_root = PRIVATE


def sweep(rt: Runtime) -> dict[str, Any]:
    """Repair the invariant after a crash (or on an instance older than it): hide datasets the
    public may not download from that still hold public files, and put back public files
    that are missing while the private root holds the same content. Unreferenced public files
    are left to garbage collection, which deletes them once they are old enough."""
    tracker = Tracker(rt)
    with rt.session() as session:
        hidden = exposed_hidden_datasets(session)
        for dataset_id in hidden:
            tracker.hide(session, session.get_one(Dataset, dataset_id))
    removed = tracker.finish()
    with rt.reader() as session:
        keys = {
            key
            for key in session.scalars(
                select(Resource.public_key)
                .join(Dataset)
                .where(public_now(), Resource.public_key.is_not(None))
            )
            if key is not None
        }
    restored = 0
    for key in sorted(keys):
        if not rt.store.exists(PUBLIC, key) and rt.store.exists(PRIVATE, key):
            rt.store.put(rt.store.path(PRIVATE, key), root=PUBLIC, extension=key.rsplit(".")[-1])
            restored += 1
    if hidden or removed or restored:
        log.warning(
            "public root repaired: %d datasets hidden, %d files removed, %d restored",
            len(hidden),
            removed,
            restored,
        )
    return {"hidden": len(hidden), "removed": removed, "restored": restored}
