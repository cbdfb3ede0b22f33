"""What can go wrong reading a remote file, in words fit for each audience, and reading a body
within a deadline.

Every failure becomes one ``FetchError``: ``message`` names the URL (for operators and the
harvest history), ``reason`` says the same without URL or host (it may be shown with a file of
any openness class), ``kind`` says what failed, which decides whether it is retried (only a
connection that broke off, and 429/5xx answers) and whether it counts against the host in the
per-job circuit breaker (``UNREACHABLE``).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NameResolutionError, NewConnectionError

from datasets.errors import SourceError

CHUNK = 64 * 1024
MAX_RETRY_AFTER = 30.0  # seconds of a Retry-After answer we are willing to wait


class FetchError(SourceError):
    """A remote read failed. ``status``: the HTTP status when there was one; ``kind``: what
    failed (one of ``FAILURES``); ``reason``: the same in words without the URL or host, fit
    to be shown with a file of any openness class."""

    def __init__(
        self, message: str, status: int | None = None, *, kind: str = "other", reason: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.reason = reason or (f"来源返回 HTTP {status}" if status else "下载失败")
        self.retry_after: str | None = None  # a 429/503 answer's Retry-After header

    @property
    def unreachable(self) -> bool:
        """A failure to reach the host at all (what the per-host circuit breaker counts)."""
        return self.kind in UNREACHABLE


# what failed → whether it says the host cannot be reached (counted by the circuit breaker)
FAILURES = {
    "dns": True,  # the name does not resolve
    "refused": True,  # nothing listens
    "connect-timeout": True,  # no connection within the timeout
    "timeout": True,  # connected, but no answer within the timeout
    "deadline": True,  # the whole download took longer than its deadline (a drip)
    "reset": False,  # the connection broke off (retried)
    "tls": False,
    "http": False,  # an HTTP error status
    "too-large": False,
    "internal": False,  # refused by the address guard
    "redirects": False,
    "invalid": False,  # not an http(s) URL, or not on download_hosts
    "other": False,
}
UNREACHABLE = frozenset(k for k, counts in FAILURES.items() if counts)


def short(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"


def _cause(exc: BaseException) -> BaseException | None:
    """The urllib3 error behind a requests exception (``MaxRetryError.reason`` or the cause)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NameResolutionError | NewConnectionError):
            return current
        reason = getattr(current, "reason", None)
        nested = current.args[0] if current.args else None
        if isinstance(reason, BaseException):
            current = reason
        elif isinstance(nested, BaseException):
            current = nested
        else:
            current = current.__cause__ or current.__context__
    return None


def request_failure(exc: requests.RequestException, url: str, timeout: float) -> FetchError:
    """A requests exception as a ``FetchError`` of the right kind."""
    cause = _cause(exc)
    if isinstance(exc, requests.ConnectTimeout):
        kind, reason = "connect-timeout", f"无法连接：连接超时（{timeout:g} 秒）"
    elif isinstance(exc, requests.Timeout):
        kind, reason = "timeout", f"响应超时：服务器 {timeout:g} 秒内无响应"
    elif isinstance(cause, NameResolutionError) or "NameResolution" in repr(exc):
        kind, reason = "dns", "无法连接：域名无法解析"
    elif isinstance(cause, NewConnectionError):
        refused = "refused" in str(cause).lower() or "拒绝" in str(cause)
        kind, reason = "refused", "无法连接：连接被拒绝" if refused else "无法连接"
    elif isinstance(exc, requests.exceptions.SSLError):
        kind, reason = "tls", "无法连接：TLS 握手或证书校验失败"
    elif isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        kind, reason = "reset", "连接中断"
    else:
        kind, reason = "other", f"下载失败（{type(exc).__name__}）"
    message = f"{reason}：{short(url)}（{type(exc).__name__}）"
    return FetchError(message, kind=kind, reason=reason)


def status_error(response: requests.Response, url: str) -> FetchError:
    status = response.status_code
    error = FetchError(f"来源返回 HTTP {status}：{short(url)}", status, kind="http")
    error.retry_after = response.headers.get("Retry-After")
    return error


def retry_after(last: FetchError | None, backoff: float) -> float:
    """Seconds to wait before the next try: the answer's Retry-After (bounded), else backoff."""
    if last is None or not last.retry_after:
        return backoff
    value = last.retry_after.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return backoff
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - datetime.now(UTC)).total_seconds(), MAX_RETRY_AFTER))


def too_large(limit: int, url: str) -> FetchError:
    reason = f"文件超过大小上限（{limit} 字节）"
    return FetchError(f"{reason}：{short(url)}", kind="too-large", reason=reason)


def past_deadline(url: str, seconds: float) -> FetchError:
    reason = f"下载超时：超过 {seconds:g} 秒仍未完成"
    return FetchError(f"{reason}：{short(url)}", kind="deadline", reason=reason)


def read_body(
    response: requests.Response, url: str, deadline: float, timeout: float, seconds: float
) -> Iterator[bytes]:
    """The body of ``response`` as it arrives, ending with a ``FetchError`` once ``deadline``
    (a ``time.monotonic()``) has passed: each read returns what the socket has (``read1``) and
    waits at most until the deadline, so a server sending one byte a second cannot hold it.
    ``seconds``: the deadline's length, for the message."""
    raw = response.raw
    sock = _socket_of(raw)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise past_deadline(url, seconds)
        if sock is not None:
            sock.settimeout(min(timeout, left))
        try:
            chunk = raw.read1(CHUNK)
        except (Urllib3Error, OSError, requests.RequestException) as exc:
            if time.monotonic() >= deadline - 0.01:
                raise past_deadline(url, seconds) from None
            if isinstance(exc, TimeoutError | socket.timeout) or "timed out" in str(exc):
                reason = f"响应超时：服务器 {timeout:g} 秒内无响应"
                raise FetchError(f"{reason}：{short(url)}", kind="timeout", reason=reason) from None
            raise FetchError(
                f"下载中断：{short(url)}（{type(exc).__name__}）", kind="reset", reason="连接中断"
            ) from None
        if not chunk:
            return
        yield chunk


def _socket_of(raw: object) -> socket.socket | None:
    connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None
