"""The WSGI wrapper of the app: the request id, the probes and ``/metrics``, and for every other
request its metrics and (JSON format) its log line.

``/healthz`` (liveness) answers 200 as long as the process answers, without I/O. ``/readyz``
answers 200 when every check of ``probes`` passes and 503 otherwise, each check named with
``ok`` or ``failed`` and a Chinese reason. ``/metrics`` answers the Prometheus text to those
``metrics.may_read`` lets in and 403 to others. All three: GET or HEAD, ``Cache-Control:
no-store``, no cookie, no rate limit, never a use of a dataset.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request, request_started

from datasets.runtime import Runtime
from portal.observe import logs, metrics
from portal.observe.figures import DatabaseFigures
from portal.observe.probes import DEGRADED, FAILED, OK, Probes

StartResponse = Callable[..., Any]
ROUTE = "kaifang.route"  # the URL rule of the request, set when Flask has matched it
UNCOUNTED = "kaifang.uncounted"  # the static build's own renders (portal.usage)
JSON = "application/json; charset=utf-8"


class Observed:
    """``app.wsgi_app`` with the request id, the probes, the metrics and the access log."""

    def __init__(self, wsgi: Callable[..., Any], rt: Runtime) -> None:
        self.wsgi = wsgi
        self.rt = rt
        self.probes = Probes(rt)
        self.figures = DatabaseFigures(self.probes)
        self.json_lines = rt.settings.log_format == "json"
        self.own: dict[str, Callable[[dict[str, Any]], tuple[int, bytes, str]]] = {
            "/healthz": self.healthz,
            "/readyz": self.readyz,
            "/metrics": self.metrics,
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        rid = logs.request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ["HTTP_X_REQUEST_ID"] = rid  # what the app reads is the id answered with
        token = logs.CURRENT_ID.set(rid)
        status = [500]

        def start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = int(code.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            return start_response(code, [*headers, ("X-Request-ID", rid)], exc_info)

        meters = metrics.meters()
        meters.in_progress.inc()
        path = environ.get("PATH_INFO", "")
        try:
            if path in self.own:
                environ[ROUTE] = path
                return self._answer(self.own[path], environ, start)
            return self.wsgi(environ, start)
        finally:
            meters.in_progress.dec()
            self._finished(environ, status[0], time.perf_counter() - started)
            logs.CURRENT_ID.reset(token)

    def _finished(self, environ: dict[str, Any], status: int, seconds: float) -> None:
        if environ.get(UNCOUNTED):
            return
        method = environ.get("REQUEST_METHOD", "")
        route = environ.get(ROUTE, metrics.UNMATCHED)
        metrics.record(method, route, status, seconds)
        if self.json_lines:
            logs.access_line(
                {
                    "method": metrics.method_label(method),
                    "route": route,
                    "path": environ.get("PATH_INFO", ""),
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "client": environ.get("REMOTE_ADDR", ""),
                }
            )

    def _answer(
        self,
        view: Callable[[dict[str, Any]], tuple[int, bytes, str]],
        environ: dict[str, Any],
        start: StartResponse,
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "")
        if method not in ("GET", "HEAD"):
            code, body, kind = 405, _json({"status": FAILED, "reason": "只接受 GET 或 HEAD"}), JSON
            extra = [("Allow", "GET, HEAD")]
        else:
            (code, body, kind), extra = view(environ), []
        headers = [
            ("Content-Type", kind),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            *extra,
        ]
        start(f"{code} {_REASONS.get(code, '')}".strip(), headers)
        return [b""] if method == "HEAD" else [body]

    def healthz(self, _environ: dict[str, Any]) -> tuple[int, bytes, str]:
        process = {"status": OK, "reason": "进程正在应答"}
        return 200, _json({"status": OK, "checks": {"process": process}}), JSON

    def readyz(self, _environ: dict[str, Any]) -> tuple[int, bytes, str]:
        checks = self.probes.run()
        ready = all(check.status != FAILED for check in checks)
        degraded = any(check.status == DEGRADED for check in checks)
        answer = {
            "status": (DEGRADED if degraded else OK) if ready else FAILED,
            "checks": {check.name: check.as_dict() for check in checks},
        }
        return (200 if ready else 503), _json(answer), JSON

    def metrics(self, environ: dict[str, Any]) -> tuple[int, bytes, str]:
        if not metrics.may_read(self.rt.settings, environ):
            reason = "无权读取运行指标：仅限本机直接访问或持有指标令牌"
            return 403, _json({"status": FAILED, "reason": reason}), JSON
        body, kind = metrics.exposition(self.figures)
        return 200, body, kind


_REASONS = {200: "OK", 403: "Forbidden", 405: "Method Not Allowed", 503: "Service Unavailable"}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _note_route(sender: Flask, **_extra: Any) -> None:
    """The URL rule of the request Flask is about to dispatch (``unmatched`` when none)."""
    rule = request.url_rule
    request.environ[ROUTE] = rule.rule if rule is not None else metrics.UNMATCHED


def install(app: Flask) -> None:
    """Wrap ``app``: its WSGI callable, the route of each request, the grant counter and, with
    ``KAIFANG_LOG_FORMAT=json``, the JSON lines of the process's log."""
    rt: Runtime = app.extensions["kaifang"]
    if rt.settings.log_format == "json":
        logs.use_json_lines()
    metrics.meters()  # made before gunicorn forks its workers, as they are used
    metrics.watch_grant_uses()
    request_started.connect(_note_route, app)
    app.wsgi_app = Observed(app.wsgi_app, rt)  # type: ignore[method-assign]
    app.extensions["kaifang.observed"] = app.wsgi_app
