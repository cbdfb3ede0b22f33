"""gunicorn's settings for running the portal under a gunicorn of one's own (README, "Running in
production")::

    export PROMETHEUS_MULTIPROC_DIR=/run/kaifang/metrics   # optional: else a temporary folder
    gunicorn -c python:portal.gunicorn_conf --preload -w 4 -k gthread --threads 4 \\
        -b 127.0.0.1:8000 'portal.wsgi:app'

What it sets: keep-alive longer than nginx's to the app (``keepalive``); request lines with raw
UTF-8 read as the UTF-8 text they carry (nginx passes ``curl '…?q=公交'`` on unencoded, which
gunicorn alone answers with its bare 400 page: ``utf8_request_lines``); the metric files'
folder of prometheus-client's multiprocess mode (so ``/metrics`` sums every worker), emptied as
gunicorn starts, and each exited worker marked dead (``portal.observe.multiproc``); with
``KAIFANG_LOG_FORMAT=json``, gunicorn's own lines as JSON and no access log of its own (the app
writes one JSON line per request).
"""

from __future__ import annotations

import os

from portal.observe.multiproc import child_exit, on_exit, on_starting, prepare_dir
from portal.server import utf8_request_lines

__all__ = ["child_exit", "keepalive", "logconfig_dict", "on_exit", "on_starting"]

# seconds an idle connection stays open: longer than the nginx site's upstream keepalive_timeout
# (2 s), so nginx, not gunicorn, closes an idle connection and no request meets a closing one
keepalive = 5

utf8_request_lines()
prepare_dir()  # before the app, and prometheus-client with it, is loaded

logconfig_dict: dict[str, object] = {}
if os.environ.get("KAIFANG_LOG_FORMAT", "").strip() == "json":
    from portal.observe.logs import gunicorn_logging

    logconfig_dict = gunicorn_logging()
