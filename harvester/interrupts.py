"""Stopping a harvest on a signal: the job is marked interrupted at once, not left "running".

Inside ``interruptible()`` a SIGTERM (or SIGINT) raises ``Interrupted`` wherever the harvest is;
it unwinds like KeyboardInterrupt (past the ``except Exception`` that keeps one bad object from
stopping a job), rolls back the open transaction, and ``run_source`` records the job as failed
with the reason and releases the source's lock. Further signals are ignored while that happens;
SIGKILL cannot be caught, and then the next run reaps the job (``locks.reap``).

Python drops an exception raised where it cannot propagate (a signal handled while a weakref
callback or a ``__del__`` runs: "Exception ignored in …"), so a stop is also kept as pending
until the job has it: ``check()``, called for every object a job finishes, raises it again.
"""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class Interrupted(BaseException):
    """The harvest was stopped from outside (a signal, its time limit)."""

    def __init__(self, message: str, *, signum: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.signum = signum

    @classmethod
    def by_signal(cls, signum: int) -> Interrupted:
        name = signal.Signals(signum).name
        return cls(f"任务中断：收到终止信号（{name}）", signum=signum)

    @property
    def exit_status(self) -> int:
        """The shell's status of a process ended by this signal (143 for SIGTERM)."""
        return 128 + (self.signum or signal.SIGTERM)


_pending: list[Interrupted] = []


def request(stop: Interrupted) -> Interrupted:
    """Keep ``stop`` pending until ``delivered``; returns it, to be raised."""
    _pending[:] = [stop]
    return stop


def pending() -> Interrupted | None:
    """The stop that was requested and not delivered yet, if any."""
    return _pending[0] if _pending else None


def check() -> None:
    """Raise the stop that was requested and not delivered yet, if any."""
    if _pending:
        raise _pending[0]


def delivered() -> None:
    """The job has recorded the stop."""
    _pending.clear()


def forget_frames(exc: BaseException) -> None:
    """Drop the tracebacks of ``exc`` and of the exceptions it was raised from, and what only
    they kept alive (a stop raised inside a database statement keeps that statement's cursor,
    and with it SQLite's write lock, for as long as its frames live)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        current = current.__cause__ or current.__context__
    gc.collect()


@contextmanager
def interruptible(
    signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT),
) -> Iterator[None]:
    """Turn ``signals`` into ``Interrupted`` while the block runs (in the main thread only;
    elsewhere signals cannot be handled and the block runs unchanged)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum: int, _frame: FrameType | None) -> None:
        nonlocal fired
        if fired:  # the first one is being handled: let the job record it
            return
        fired = True
        raise request(Interrupted.by_signal(signum))

    previous: dict[signal.Signals, Any] = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        delivered()
        for sig, old in previous.items():
            signal.signal(sig, old)
