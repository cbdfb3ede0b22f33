"""Real ``kaifang worker`` processes for the queue tests, and what to look at while they run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from datasets.models import HarvestJob, HarvestSource
from datasets.runtime import Runtime

KAIFANG = str(Path(sys.executable).with_name("kaifang"))


def queue_env(instance: Path, redis_url: str, queue: str, **settings: str) -> dict[str, str]:
    """The environment of a worker or command using the queue ``queue``."""
    env = {
        "KAIFANG_INSTANCE": str(instance),
        "KAIFANG_REDIS_URL": redis_url,
        "KAIFANG_HARVEST_QUEUE": queue,
        "KAIFANG_HARVEST_WORKERS": "2",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    env.update({f"KAIFANG_{k.upper()}": v for k, v in settings.items()})
    return env


def kaifang(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KAIFANG, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


class Workers:
    """Starts ``kaifang worker`` processes (each in its own session, output in a log file) and
    kills whatever is left of them when the test ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"worker-{len(self.started)}.log").open("wb")
        process = subprocess.Popen(
            [KAIFANG, "worker", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def log(self, n: int = -1) -> str:
        index = n if n >= 0 else len(self.started) + n
        return (self.folder / f"worker-{index}.log").read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """Poll ``predicate`` until it returns something true; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def lock_owner_pid(rt: Runtime, source: str) -> int | None:
    """The pid the source's lock names as its owner (None when the lock is free)."""
    with rt.reader() as session:
        owner = session.scalar(select(HarvestSource.lock_owner).where(HarvestSource.name == source))
    return int(owner.rpartition(":")[2]) if owner else None


def parent_pid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


def jobs_of(rt: Runtime, source: str) -> list[HarvestJob]:
    """The source's harvest jobs, oldest first."""
    with rt.reader() as session:
        return list(
            session.scalars(
                select(HarvestJob)
                .join(HarvestSource, HarvestSource.id == HarvestJob.source_id)
                .where(HarvestSource.name == source)
                .order_by(HarvestJob.started_at)
            )
        )
