"""The request id and the JSON log format.

A request keeps the id the front server gave it (nginx: ``proxy_set_header X-Request-ID
$request_id``) when that id is well-formed — at most ``MAX_ID`` characters of letters, digits
and ``._:-`` — and gets a new one otherwise; the answer carries it back in ``X-Request-ID``, and
every log record made while the request runs carries it as ``request_id``.

With ``KAIFANG_LOG_FORMAT=json`` every line on standard error is one JSON object: ``time``
(Asia/Shanghai, ISO-8601 with milliseconds), ``level``, ``logger``, ``message``, the request id
and, for the access line of a request (logger ``portal.access``), ``method``, ``route`` (the URL
rule, not the path), ``path`` (never the query string), ``status``, ``duration_ms`` and
``client``. Request bodies, query strings and headers other than the id are never logged.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from datasets.workdays import SHANGHAI

MAX_ID = 128
_WELL_FORMED = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_ID}}}")
# the id of the request this thread (or task) is serving; "" outside requests
CURRENT_ID: ContextVar[str] = ContextVar("kaifang_request_id", default="")
ACCESS = logging.getLogger("portal.access")
# fields of an access line, in the order they are written
REQUEST_FIELDS = ("method", "route", "path", "status", "duration_ms", "client")


def request_id(offered: str | None) -> str:
    """``offered`` when it is a well-formed id, else a new one (32 hex digits, as nginx's)."""
    if offered and _WELL_FORMED.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request it was made in (``request_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = CURRENT_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module's docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, SHANGHAI)
        line: dict[str, Any] = {
            "time": at.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or CURRENT_ID.get() or None,
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(line, ensure_ascii=False, default=str)


class _StandardError(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is when a record comes."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class JsonHandler(_StandardError):
    """The JSON lines of the web app (``KAIFANG_LOG_FORMAT=json``)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestIdFilter())


def use_json_lines() -> None:
    """Every line of the process's log becomes JSON on standard error: a handler of ours on the
    root logger, in place of those writing text to the console (``logging.basicConfig``'s, a
    library's own); others (files, test capture) stay, and warnings go through the log too.
    Safe to call again."""
    root = logging.getLogger()
    if any(isinstance(h, JsonHandler) for h in root.handlers):
        return
    named = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    for logger in (root, *named):
        for handler in list(logger.handlers):
            stream = getattr(handler, "stream", None)
            if type(handler) is logging.StreamHandler and stream in (sys.stderr, sys.stdout):
                logger.removeHandler(handler)
                logger.propagate = True
    root.addHandler(JsonHandler())
    logging.captureWarnings(True)
    ACCESS.setLevel(logging.INFO)


def access_line(fields: dict[str, Any]) -> None:
    """The one line of a finished request (JSON format only: the text format has gunicorn's)."""
    message = f"{fields['method']} {fields['route']} {fields['status']}"
    ACCESS.info(message, extra=fields)


def gunicorn_logging(level: str = "INFO") -> dict[str, Any]:
    """gunicorn's ``logconfig_dict`` writing its own lines (start, workers, errors) as JSON
    on standard error, and no access lines of its own (they hold the query string; the app
    writes one per request). The app's records reach the root logger's JSON handler."""
    stream = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"console": stream, "error_console": stream},
        "loggers": {
            "gunicorn.error": {
                "level": level.upper(),
                "handlers": ["error_console"],
                "propagate": False,
            },
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": []},
    }
