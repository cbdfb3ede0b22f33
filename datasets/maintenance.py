"""Catalog-wide upkeep run after harvests: quality scores and unreferenced files."""

from __future__ import annotations

from sqlalchemy import select

from .models import Resource
from .quality import refresh_quality
from .runtime import Runtime
from .storage import PUBLIC

__all__ = ["collect_garbage", "refresh_quality"]


def collect_garbage(rt: Runtime, *, older_than: float = 3600.0) -> int:
    """Delete stored files no resource refers to (left by replaced versions or by a harvester
    killed mid-way), once they are older than ``older_than`` seconds."""
    with rt.reader() as session:
        rows = session.execute(
            select(Resource.storage_root, Resource.storage_key, Resource.public_key)
        ).all()
    referenced = {(root, key) for root, key, _ in rows}
    referenced |= {(PUBLIC, public) for _, _, public in rows if public}
    return rt.store.collect_garbage(referenced, older_than=older_than)
