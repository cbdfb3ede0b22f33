"""Validating and scanning the files of changed records in worker processes.

Frictionless validation and the personal-information scan are CPU-bound and independent per
record, so they run in a process pool (``harvest_workers``, default one per CPU) while the job
publishes finished records one at a time, in the order they were gathered. Small jobs run
inline: starting workers costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any

from datasets.intake.planning import ImportPlan
from datasets.intake.prepare import PreparedFile
from datasets.intake.publishing import discard, prepare_files, prepare_options
from datasets.runtime import Runtime

POOL_THRESHOLD = 8  # records a job must expect before workers are started

Ready = tuple[ImportPlan, list[PreparedFile], BaseException | None]


def worker_count(rt: Runtime, workers: int | None = None) -> int:
    if workers is not None:
        return max(1, workers)
    return rt.settings.harvest_workers or os.cpu_count() or 1


class Preparer:
    def __init__(self, rt: Runtime, *, workers: int | None = None, expected: int = 0) -> None:
        self.options: dict[str, Any] = prepare_options(rt)
        self.workers = worker_count(rt, workers)
        self.inline = self.workers <= 1 or expected < POOL_THRESHOLD
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[tuple[ImportPlan, Future | Ready]] = deque()

    def __enter__(self) -> Preparer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for _plan, entry in self._pending:  # never published: remove temporary copies
            if isinstance(entry, Future):
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
            return
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(
                ["datasets.intake.prepare", "datasets.intake.publishing"]
            )
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        self._pending.append(
            (plan, self._pool.submit(prepare_files, plan.local_files, **self.options))
        )

    def ready(self) -> Iterator[Ready]:
        """Finished records in submission order; waits only when too many are in flight."""
        limit = 0 if self.inline else 2 * self.workers
        while self._pending and (len(self._pending) > limit or _done(self._pending[0][1])):
            yield self._take()

    def drain(self) -> Iterator[Ready]:
        while self._pending:
            yield self._take()

    def _take(self) -> Ready:
        plan, entry = self._pending.popleft()
        if not isinstance(entry, Future):
            return entry
        try:
            return plan, entry.result(), None
        except Exception as exc:  # noqa: BLE001 — reported as the record's error
            return plan, [], exc


def _done(entry: Future | Ready) -> bool:
    return not isinstance(entry, Future) or entry.done()


def _prepare_now(plan: ImportPlan, options: dict[str, Any]) -> Ready:
    try:
        return plan, prepare_files(plan.local_files, **options), None
    except Exception as exc:  # noqa: BLE001
        return plan, [], exc
