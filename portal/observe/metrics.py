"""The Prometheus metrics of the web app, and who may read them.

Counted in each process (summed over gunicorn's workers in multiprocess mode, see
``portal.observe.multiproc``):

- ``kaifang_http_requests_total{method,route,status}`` and
  ``kaifang_http_request_duration_seconds{method,route}`` (until the answer's headers): ``route``
  is the URL rule (``/dataset/<name>``), never the path, and ``unmatched`` for a path no rule
  matches, so no request can add a series; ``method`` is one of ``METHODS`` or ``OTHER``.
- ``kaifang_http_requests_in_progress`` (the live workers' sum).
- ``kaifang_grant_accesses_total{action}``: uses of grants (downloads, row API reads, exports),
  counted when the transaction that logs them commits. Counts only: no user, grant or dataset.

Read from the database at each scrape (``portal.observe.figures``): harvest jobs and outcomes,
open and overdue cases, grants by status.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections import Counter
from functools import cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from datasets.models import GrantAccess
from datasets.settings import Settings

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
UNMATCHED = "unmatched"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
ACTIONS = ("download", "api", "export")  # of datasets.workflows.grants.log_use
MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"
FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
_PENDING = "kaifang.grant_uses"


class Meters:
    """The process's metrics (made once: ``meters()``)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values

        # the value class is chosen when prometheus_client is first imported; a process that
        # imported it before PROMETHEUS_MULTIPROC_DIR was set would keep counting in memory
        values.ValueClass = values.get_value_class()
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "kaifang_http_requests",
            "Requests answered, by method, URL rule and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "kaifang_http_request_duration_seconds",
            "Time from a request's arrival to its answer's headers, by method and URL rule.",
            ("method", "route"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "kaifang_http_requests_in_progress",
            "Requests being answered now.",
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        self.grant_accesses = Counter(
            "kaifang_grant_accesses",
            "Uses of grants of conditional data (downloads, row reads, exports), by action.",
            ("action",),
            registry=self.registry,
        )


@cache
def meters() -> Meters:
    return Meters()


def method_label(method: str) -> str:
    return method if method in METHODS else "OTHER"


def record(method: str, route: str, status: int, seconds: float) -> None:
    """One answered request."""
    m = meters()
    label = method_label(method)
    m.requests.labels(label, route, str(status)).inc()
    m.latency.labels(label, route).observe(seconds)


# -- grant accesses, counted as their transaction commits ----------------------------------


def watch_grant_uses() -> None:
    """Count ``GrantAccess`` rows as the sessions that add them commit (once per process)."""
    if event.contains(Session, "after_flush", _note_uses):
        return
    event.listen(Session, "after_flush", _note_uses)
    event.listen(Session, "after_commit", _count_uses)
    event.listen(Session, "after_rollback", _forget_uses)


def _note_uses(session: Session, _context: Any) -> None:
    uses = [obj.action for obj in session.new if isinstance(obj, GrantAccess)]
    if uses:
        session.info.setdefault(_PENDING, Counter()).update(uses)


def _count_uses(session: Session) -> None:
    pending: Counter[str] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    counter = meters().grant_accesses
    for action, n in pending.items():
        counter.labels(action if action in ACTIONS else "other").inc(n)


def _forget_uses(session: Session) -> None:
    session.info.pop(_PENDING, None)


# -- reading them ----------------------------------------------------------------------------


def may_read(settings: Settings, environ: dict[str, Any]) -> bool:
    """Whether a request may read ``/metrics``: it carries the bearer token of
    ``metrics_token``, or it reached the app directly (no forwarding header: through a proxy on
    this host every visitor would look local) from an address of ``metrics_allowed``."""
    token = settings.metrics_token
    if token:
        scheme, _, offered = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            offered.strip().encode("utf-8", "replace"), token.encode("utf-8")
        ):
            return True
    if any(environ.get(header) for header in FORWARDED):
        return False
    try:
        address = ipaddress.ip_address(environ.get("REMOTE_ADDR", "").strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in settings.metrics_networks)


def exposition(figures: Any) -> tuple[bytes, str]:
    """The text a scrape gets, and its content type: every process's metrics (the workers'
    files in multiprocess mode, else this process's) and the database's ``figures``."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC):
        MultiProcessCollector(registry)
    else:
        registry.register(_Own(meters().registry))
    registry.register(figures)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Own:
    """This process's metrics, as a collector of another registry."""

    def __init__(self, registry: Any) -> None:
        self._registry = registry

    def collect(self) -> Any:
        return self._registry.collect()
