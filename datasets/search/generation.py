"""What a process may keep between searches, and for how long: results that depend on the whole
catalog (its facets with no query, its vocabulary) are kept until the search rows change.

Every write of a search row writes its package anew, under an id larger than any before (never
reused), and every removal that writes nothing in its place leaves a mark under such an id (as
does a rebuild that cuts the words again and keeps the packages), so the pair (largest package
id, largest removal mark) changes with every write. Both are read from
an index, whatever the size of the catalog.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Label, func, select
from sqlalchemy.orm import Session

from datasets.models import SearchPackage, SearchRemoval

T = TypeVar("T")
_KEPT = 256  # results kept per process: up to about 40 kB each (all facets)
_lock = threading.Lock()
_kept: OrderedDict[Hashable, tuple[tuple[int, int], object]] = OrderedDict()


_COLUMNS = (
    select(func.max(SearchPackage.id)).scalar_subquery().label("written"),
    select(func.max(SearchRemoval.id)).scalar_subquery().label("removed"),
)
_GENERATION = select(*_COLUMNS)  # built once: its cache key is computed once too


def generation_columns() -> tuple[Label[Any], Label[Any]]:
    """The two parts of the generation as columns ``written`` and ``removed``, for a caller to
    read them with its own query (one round trip where a page reads its row anyway)."""
    return _COLUMNS


def generation(session: Session) -> tuple[int, int]:
    written, removed = session.execute(_GENERATION).one()
    return as_generation(written, removed)


def as_generation(written: int | None, removed: int | None) -> tuple[int, int]:
    return int(written or 0), int(removed or 0)


def kept(
    session: Session, key: Hashable, make: Callable[[], T], *, now: tuple[int, int] | None = None
) -> T:
    """``make()``'s result for ``key``, made again only when the search rows have changed. The
    process keeps the most recently used results. ``now``: the ``generation`` the caller has
    just read in this session (one read for several results)."""
    now = now or generation(session)
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
