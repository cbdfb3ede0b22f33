"""Validating and scanning the files of changed records in worker processes.

Frictionless validation and the personal-information scan are CPU-bound and independent per
record, so they run in a process pool (``harvest_workers``, default one per CPU) while the job
publishes finished records one at a time, in the order they were gathered. Small jobs run
inline: starting workers costs more than it saves. A queued harvest also hands records to the
queue's other workers (``harvester.spread``), taking back what they have not started whenever
its own processes have room.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any

from rq import Queue

from datasets.intake.planning import ImportPlan
from datasets.intake.prepare import PreparedFile
from datasets.intake.publishing import discard, prepare_files, prepare_options
from datasets.runtime import Runtime
from harvester import spread

POOL_THRESHOLD = 8  # records a job must expect before workers are started

Ready = tuple[ImportPlan, list[PreparedFile], BaseException | None]
Entry = Future | Ready | spread.Handed


def worker_count(rt: Runtime, workers: int | None = None) -> int:
    if workers is not None:
        return max(1, workers)
    return rt.settings.harvest_workers or os.cpu_count() or 1


class Preparer:
    def __init__(
        self,
        rt: Runtime,
        *,
        workers: int | None = None,
        expected: int = 0,
        helpers: Queue | None = None,
    ) -> None:
        self.options: dict[str, Any] = prepare_options(rt)
        self.workers = worker_count(rt, workers)
        small = expected < POOL_THRESHOLD
        self._helpers = None if small else helpers
        self.inline = small or (self.workers <= 1 and self._helpers is None)
        others = spread.helper_count(self._helpers) if self._helpers is not None else 0
        self._in_flight = 2 * (self.workers + others)
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[tuple[ImportPlan, Entry]] = deque()

    def __enter__(self) -> Preparer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for _plan, entry in self._pending:  # never published: remove temporary copies
            if isinstance(entry, spread.Handed):
                spread.abandon(entry)
            elif isinstance(entry, Future):
                entry.cancel()
                if entry.done() and not entry.cancelled() and entry.exception() is None:
                    discard(entry.result())
            else:
                discard(entry[1])
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, plan: ImportPlan) -> None:
        if self.inline or not plan.local_files:  # nothing to prepare: no round trip to a worker
            self._pending.append((plan, _prepare_now(plan, self.options)))
        elif self._helpers is not None:
            handed = spread.hand_over(self._helpers, plan.local_files, self.options)
            self._pending.append((plan, handed))
        else:
            self._pending.append((plan, self._here(plan)))

    def _here(self, plan: ImportPlan) -> Future | Ready:
        """``plan`` prepared in this host's processes (in this one when there is only one)."""
        if self.workers <= 1:
            return _prepare_now(plan, self.options)
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(
                ["datasets.intake.prepare", "datasets.intake.publishing"]
            )
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self._pool.submit(prepare_files, plan.local_files, **self.options)

    def ready(self) -> Iterator[Ready]:
        """Finished records in submission order; waits only when too many are in flight."""
        self._take_back()
        limit = 0 if self.inline else self._in_flight
        while self._pending and (len(self._pending) > limit or _done(self._pending[0][1])):
            yield self._take()

    def drain(self) -> Iterator[Ready]:
        while self._pending:
            self._take_back()
            yield self._take()

    def _take_back(self) -> None:
        """While this host's processes have room, the newest hand-overs no worker has started
        are prepared here (workers take the oldest)."""
        if self._helpers is None or self.workers <= 1:
            return  # a single process takes records back only when it must wait (``_take``)
        busy = sum(1 for _p, e in self._pending if isinstance(e, Future) and not e.done())
        for index in range(len(self._pending) - 1, -1, -1):
            if busy >= self.workers:
                return
            plan, entry = self._pending[index]
            if isinstance(entry, spread.Handed) and spread.take_back(entry):
                self._pending[index] = (plan, self._here(plan))
                busy += 1

    def _take(self) -> Ready:
        plan, entry = self._pending.popleft()
        if isinstance(entry, spread.Handed):
            return self._handed(plan, entry)
        if not isinstance(entry, Future):
            return entry
        try:
            return plan, entry.result(), None
        except Exception as exc:  # noqa: BLE001 — reported as the record's error
            return plan, [], exc

    def _handed(self, plan: ImportPlan, handed: spread.Handed) -> Ready:
        if spread.take_back(handed):
            return _prepare_now(plan, self.options)
        try:
            prepared = spread.result(handed)
        except Exception as exc:  # noqa: BLE001 — reported as the record's error
            return plan, [], exc
        return (plan, prepared, None) if prepared is not None else _prepare_now(plan, self.options)


def _done(entry: Entry) -> bool:
    if isinstance(entry, spread.Handed):
        return spread.finished(entry)
    return not isinstance(entry, Future) or entry.done()


def _prepare_now(plan: ImportPlan, options: dict[str, Any]) -> Ready:
    try:
        return plan, prepare_files(plan.local_files, **options), None
    except Exception as exc:  # noqa: BLE001
        return plan, [], exc
