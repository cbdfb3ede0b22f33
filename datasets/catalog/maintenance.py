"""Catalog-wide upkeep run after harvests: quality scores and unreferenced files."""

from __future__ import annotations

from sqlalchemy import select

from datasets.catalog.quality import refresh_quality
from datasets.intake import public_root
from datasets.intake.storage import PRIVATE, PUBLIC
from datasets.models import Resource
from datasets.runtime import Runtime

__all__ = ["collect_garbage", "refresh_quality"]


def collect_garbage(rt: Runtime, *, older_than: float = 3600.0) -> int:
    """Delete stored files no resource needs (left by replaced versions, by hidden datasets or
    by a process killed mid-way), once they are older than ``older_than`` seconds.

    The public root keeps only the public files of resources the public may download now: a
    file of a withdrawn or suspended dataset goes whatever row names it (``public_root.sweep``
    first moves any original still kept there to the private root). The age guard stays for
    both roots: files are stored before the commit that references them, so a young
    unreferenced file may belong to a harvest that is about to commit."""
    public_root.sweep(rt)
    with rt.reader() as session:
        private = set(
            session.scalars(select(Resource.storage_key).where(Resource.storage_root == PRIVATE))
        )
        public = public_root.referenced_public_keys(session)
    referenced = {(PRIVATE, key) for key in private} | {(PUBLIC, key) for key in public}
    return rt.store.collect_garbage(referenced, older_than=older_than)
