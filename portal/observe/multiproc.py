"""prometheus-client's multiprocess mode under gunicorn: each worker counts in files of its own
in ``PROMETHEUS_MULTIPROC_DIR``, and ``/metrics``, whichever worker answers, sums them all —
those of workers that have exited too, so counters never go back.

The folder must be set before the app (and with it prometheus-client) is loaded:
``prepare_dir`` makes a private temporary one when the variable is unset. gunicorn's hooks:
``on_starting`` empties it (figures of an earlier run would be added in), ``child_exit`` marks a
worker that ended dead (its live gauges, the requests in progress, leave the sum) and
``on_exit`` removes a folder ``prepare_dir`` made. ``kaifang serve`` sets all of this up
(``portal.server.options``); a gunicorn of one's own reads it from ``portal.gunicorn_conf``.

Nothing here imports prometheus-client before it is needed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"
_MADE = "KAIFANG_METRICS_DIR_MADE"  # the folder prepare_dir made (removed on exit)


def prepare_dir() -> Path:
    """The folder of the workers' metric files: ``PROMETHEUS_MULTIPROC_DIR`` (made if missing),
    else a new private temporary folder, which the variable then names. Safe to call again."""
    configured = os.environ.get(MULTIPROC)
    if configured:
        path = Path(configured)
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path
    path = Path(tempfile.mkdtemp(prefix="kaifang-metrics-"))
    os.environ[MULTIPROC] = str(path)
    os.environ[_MADE] = str(path)
    return path


def empty_dir(path: Path) -> int:
    """Remove the metric files in ``path``; how many went."""
    removed = 0
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)
        removed += 1
    return removed


def on_starting(server: Any) -> None:
    """gunicorn's master, once, before its first workers: no figures of an earlier run."""
    empty_dir(prepare_dir())


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's master, after a worker ended (stopped, crashed or killed)."""
    from prometheus_client import multiprocess

    if os.environ.get(MULTIPROC):
        multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """gunicorn's master, as it stops: the temporary folder ``prepare_dir`` made goes."""
    made = os.environ.get(_MADE)
    if made and made == os.environ.get(MULTIPROC):
        shutil.rmtree(made, ignore_errors=True)


def gunicorn_hooks() -> dict[str, Any]:
    """The gunicorn settings of the multiprocess mode, for ``kaifang serve``."""
    return {"on_starting": on_starting, "child_exit": child_exit, "on_exit": on_exit}
