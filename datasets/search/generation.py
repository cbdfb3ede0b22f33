"""What a process may keep between searches, and for how long: results that depend on the whole
catalog (its facets with no query, its vocabulary) are kept until the search rows change.

Every write of a search row writes its package anew, under an id larger than any before (never
reused), and every removal lowers the number of entries, so the pair (largest package id, number
of entries) changes with every write.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datasets.models import SearchEntry, SearchPackage

T = TypeVar("T")
_KEPT = 512
_lock = threading.Lock()
_kept: OrderedDict[Hashable, tuple[tuple[int, int], object]] = OrderedDict()


def generation(session: Session) -> tuple[int, int]:
    largest = session.scalar(select(func.max(SearchPackage.id)))
    count = session.scalar(select(func.count()).select_from(SearchEntry))
    return int(largest or 0), int(count or 0)


def kept(session: Session, key: Hashable, make: Callable[[], T]) -> T:
    """``make()``'s result for ``key``, made again only when the search rows have changed. The
    process keeps the most recently used results (what a search found is a few kB)."""
    now = generation(session)
    full_key = (str(session.get_bind().engine.url), key)
    with _lock:
        found = _kept.get(full_key)
        if found is not None and found[0] == now:
            _kept.move_to_end(full_key)
            return found[1]  # type: ignore[return-value]
    value = make()
    with _lock:
        _kept[full_key] = (now, value)
        _kept.move_to_end(full_key)
        while len(_kept) > _KEPT:
            _kept.popitem(last=False)
    return value
