"""WSGI entry point for production: ``gunicorn --preload 'portal.wsgi:app'``."""

import ctypes
import ctypes.util
import gc
import logging

from datasets.runtime import Runtime
from datasets.search.vocabulary import warm
from portal.app import create_app

_M_ARENA_MAX = -8  # glibc's mallopt parameter


def _few_arenas() -> None:
    """Two malloc arenas per process instead of glibc's eight per core: with one per thread,
    the peaks of a worker's threads (a large search read by a database driver) each stay in an
    arena of their own long after they are freed. What ``MALLOC_ARENA_MAX=2`` does, for the
    threads started after this (a worker's); nothing where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(_M_ARENA_MAX, 2)
    except OSError:
        return


_few_arenas()
app = create_app()


def _warm(runtime: Runtime) -> None:
    """The catalog's search vocabulary read once, here, for every worker; the master's
    database connections closed before it forks (workers open their own)."""
    try:
        with runtime.reader() as session:
            warm(session)
    except Exception as exc:  # noqa: BLE001 — a database not ready is the first search's to meet
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        logging.getLogger(__name__).warning("启动时未能读取检索词表：%s", reason)
    finally:
        runtime.close()


_warm(app.extensions["kaifang"])
# The app's long-lived objects (search's dictionaries above all) leave the collector's reach:
# workers forked from a preloading master then share their pages, instead of each copying them
# as the collector walks them.
gc.freeze()
