"""WSGI entry point for production: ``gunicorn --preload 'portal.wsgi:app'``."""

import gc
import logging

from datasets.runtime import Runtime
from datasets.search.vocabulary import warm
from portal.app import create_app

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
