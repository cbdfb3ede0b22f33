"""Usage figures (浏览、下载、API 调用) per dataset and day, counted without storing who.

Every web process adds up its own hits in memory — (day, kind, dataset id or name) → count —
and adds them to ``usage_counts`` in one statement (an upsert adding to the day's counter) when
``KAIFANG_USAGE_FLUSH_SECONDS`` have passed since its last flush, and when it exits. A request
never waits on another process: many workers each add their own sums, and a busy day of one
dataset is one row per kind, not one row per request. No address, account, key or agent is
kept: a hit is a dataset, a kind and a day.

The figures shown are counted up to yesterday (Asia/Shanghai): a page shows the same numbers
all day, whichever process renders it, so the static tree's copy of a page is the app's.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from datasets.models import Dataset, Resource, UsageCount
from datasets.runtime import Runtime
from datasets.workdays import shanghai_today

log = logging.getLogger(__name__)

KINDS = {"view": "浏览", "download": "下载", "api": "API 调用"}
RECENT_DAYS = 14  # CKAN's views_recent
_MAX_PENDING = 50_000  # distinct keys kept in memory when the database cannot be written
RESOURCE = "resource:"  # a hit named by a file of the dataset (resource id) rather than by it


def today() -> date:
    return shanghai_today()


class Counters:
    """One process's hits not yet written; thread-safe."""

    def __init__(self, rt: Runtime, *, flush_seconds: float | None = None) -> None:
        self.rt = rt
        self.flush_seconds = (
            rt.settings.usage_flush_seconds if flush_seconds is None else flush_seconds
        )
        self._lock = threading.Lock()
        self._pending: Counter[tuple[date, str, str]] = Counter()
        self._flushed_at = time.monotonic()
        atexit.register(self.flush)

    def hit(self, kind: str, dataset: str) -> None:
        """Count one use of ``dataset`` (its id or name) of ``kind``; written later."""
        if kind not in KINDS or not dataset:
            return
        with self._lock:
            if len(self._pending) < _MAX_PENDING:
                self._pending[(today(), kind, dataset[:100])] += 1
            due = time.monotonic() - self._flushed_at >= self.flush_seconds
        if due:
            self.flush()

    def flush(self) -> int:
        """Write the pending hits (one upsert); how many were written. A failure keeps them."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
            self._flushed_at = time.monotonic()
        if not pending:
            return 0
        try:
            with self.rt.session() as session:
                return _write(session, pending)
        except Exception:  # counting must never break a request
            log.warning("访问量计数未能写入，稍后重试", exc_info=True)
            with self._lock:
                self._pending.update(pending)
            return 0


def _write(session: Session, pending: Counter[tuple[date, str, str]]) -> int:
    refs = {ref for _day, _kind, ref in pending if not ref.startswith(RESOURCE)}
    files = {r.removeprefix(RESOURCE) for _d, _k, r in pending if r.startswith(RESOURCE)}
    ids: dict[str, str] = {}
    if refs:
        query = select(Dataset.id, Dataset.name)
        for ds_id, name in session.execute(
            query.where(or_(Dataset.id.in_(refs), Dataset.name.in_(refs)))
        ):
            ids[ds_id] = ids[name] = ds_id
    if files:
        of_files = select(Resource.id, Resource.dataset_id).where(Resource.id.in_(files))
        for res_id, ds_id in session.execute(of_files):
            ids[RESOURCE + res_id] = ds_id
    summed: Counter[tuple[date, str, str]] = Counter()
    for (day, kind, ref), n in pending.items():
        if ref in ids:  # an unknown name (a 404) is not counted
            summed[(day, ids[ref], kind)] += n
    if not summed:
        return 0
    rows = [{"day": d, "dataset_id": i, "kind": k, "count": n} for (d, i, k), n in summed.items()]
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(UsageCount).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "dataset_id", "kind"],
        set_={"count": UsageCount.count + statement.excluded["count"]},
    )
    session.execute(statement)
    return sum(summed.values())


_counters: dict[int, Counters] = {}
_counters_lock = threading.Lock()


def counters(rt: Runtime) -> Counters:
    """The process's counters of ``rt``."""
    with _counters_lock:
        found = _counters.get(id(rt))
        if found is None or found.rt is not rt:
            found = _counters[id(rt)] = Counters(rt)
        return found


# -- reading -----------------------------------------------------------------------------------


def _empty() -> dict[str, int]:
    return {kind: 0 for kind in KINDS} | {"total": 0}


def _add(into: dict[str, int], kind: str, n: int) -> None:
    if kind in KINDS:
        into[kind] += n
        into["total"] += n


_FIGURES = select(UsageCount.dataset_id, UsageCount.kind, UsageCount.day, UsageCount.count).where(
    UsageCount.dataset_id.in_(bindparam("ids", expanding=True)), UsageCount.day <= bindparam("last")
)  # every dataset page reads it: built once


def dataset_usage(rt: Runtime, dataset_id: str, *, until: date | None = None) -> dict[str, Any]:
    """A dataset's figures up to yesterday: all time and the last ``RECENT_DAYS`` days, each
    by kind, as CKAN's ``tracking_summary`` (``total``, ``recent``) plus the kinds."""
    with rt.reader() as session:
        return datasets_usage(session, [dataset_id], until=until)[dataset_id]


def datasets_usage(
    session: Session, dataset_ids: list[str], *, until: date | None = None
) -> dict[str, dict[str, Any]]:
    """Dataset id → ``dataset_usage``'s figures, for many datasets in one query."""
    last = until or today() - timedelta(days=1)
    first_recent = last - timedelta(days=RECENT_DAYS - 1)
    sums = {i: (_empty(), _empty()) for i in dataset_ids}
    for dataset_id, kind, day, n in session.execute(_FIGURES, {"ids": dataset_ids, "last": last}):
        totals, recent = sums[dataset_id]
        _add(totals, kind, n)
        if day >= first_recent:
            _add(recent, kind, n)
    return {
        dataset_id: {
            "total": totals["total"],
            "recent": recent["total"],
            "by_kind": {k: totals[k] for k in KINDS},
            "recent_by_kind": {k: recent[k] for k in KINDS},
            "until": str(last),
            "recent_days": RECENT_DAYS,
        }
        for dataset_id, (totals, recent) in sums.items()
    }


def by_dataset(
    session: Session, since: date | None, until: date, ids: Collection[str] | None = None
) -> dict[str, dict[str, int]]:
    """Dataset id → figures by kind (and ``total``) for the days ``since``…``until`` (of the
    datasets ``ids`` only, when given)."""
    query = (
        select(UsageCount.dataset_id, UsageCount.kind, func.sum(UsageCount.count))
        .where(UsageCount.day <= until)
        .group_by(UsageCount.dataset_id, UsageCount.kind)
    )
    if since is not None:
        query = query.where(UsageCount.day >= since)
    if ids is not None:
        query = query.where(UsageCount.dataset_id.in_(list(ids)))
    found: dict[str, dict[str, int]] = {}
    for ds_id, kind, n in session.execute(query):
        _add(found.setdefault(ds_id, _empty()), kind, int(n or 0))
    return found


def by_month(session: Session, since: date, until: date) -> dict[str, int]:
    """``YYYY-MM`` → all uses in that month (days ``since``…``until``)."""
    months: Counter[str] = Counter()
    query = (
        select(UsageCount.day, func.sum(UsageCount.count))
        .where(UsageCount.day >= since, UsageCount.day <= until)
        .group_by(UsageCount.day)
    )
    for day, n in session.execute(query):
        months[f"{day:%Y-%m}"] += int(n or 0)
    return dict(months)


def recent_sum(kinds: Iterable[str] = tuple(KINDS), *, days: int | None, last: date) -> Any:
    """A subquery (``dataset_id``, ``uses``) of the uses up to ``last``: the last ``days`` days,
    or all time (None) — what the search's ``views_recent``/``views_total`` sorts order by."""
    query = select(
        UsageCount.dataset_id.label("dataset_id"), func.sum(UsageCount.count).label("uses")
    ).where(UsageCount.kind.in_(list(kinds)), UsageCount.day <= last)
    if days is not None:
        query = query.where(UsageCount.day > last - timedelta(days=days))
    return query.group_by(UsageCount.dataset_id).subquery()
