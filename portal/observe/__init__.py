"""Watching the portal run: ``/healthz`` and ``/readyz`` for the front server and orchestrators,
Prometheus metrics at ``/metrics``, a request id on every request and, as a setting, one JSON
object per log line.

Everything here wraps the app's WSGI callable (``hooks.Observed``) rather than living in a
blueprint: the three endpoints answer before sessions, sign-in, CSRF, rate limits and usage
counting see the request, so a probe never sets a cookie, never counts as a use, is never
refused for its rate, and ``/healthz`` does no I/O at all.

``multiproc`` (the gunicorn side of the metrics) imports nothing of prometheus-client at import
time: ``PROMETHEUS_MULTIPROC_DIR`` has to be set before the first metric is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Wrap ``app`` with the probes, the metrics and the request log (once per app)."""
    from portal.observe.hooks import install

    install(app)
