"""Where the rate limits count: each app's own storage (``KAIFANG_RATELIMIT_STORAGE_URI``),
guarded against that storage being down.

One limiter serves every app of a process (its decorators are made at import time), so the
limiter's storage is ``AppStorage``, which hands each call to the storage of the app answering
the request (``Guarded``, kept in ``app.extensions``): two apps in one process never count in
each other's storage.

When Redis does not answer, ``KAIFANG_RATELIMIT_STORAGE_DOWN`` decides: ``serve`` (the default)
counts in the process's memory meanwhile (each worker keeps its own budget, as without Redis),
``refuse`` answers 503. Either way the failure is logged at ERROR, once a minute and not on
every request, Redis is tried again every few seconds (not on every request: an unreachable
host would make each one wait), and its return is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import current_app
from limits.storage import MemoryStorage, SlidingWindowCounterSupport, Storage, storage_from_string
from werkzeug.exceptions import ServiceUnavailable

log = logging.getLogger("portal.limits")

EXTENSION = "kaifang.limits"
SCHEME = "kaifang-app"
LOG_EVERY = 60.0  # seconds between two ERROR lines about the same outage
RETRY_EVERY = 5.0  # seconds between two attempts to reach a storage that failed
TIMEOUT = 0.5  # seconds to connect to Redis or wait for its answer
MODES = ("serve", "refuse")


class LimitsUnavailable(ServiceUnavailable):
    """503: the limits' storage is down and ``KAIFANG_RATELIMIT_STORAGE_DOWN`` is ``refuse``."""

    description = "服务暂时不可用：访问频率计数服务无法连接，请稍后再试"
    retry_after = int(RETRY_EVERY * 2)


class Guarded:
    """One app's storage (Redis or memory) with the policy of ``mode`` for its failures."""

    def __init__(self, uri: str, *, mode: str, key_prefix: str) -> None:
        self.uri = uri
        self.mode = mode
        self.remote = not uri.startswith("memory://")
        options: dict[str, Any] = {}
        if uri.startswith(("redis://", "rediss://", "redis+unix://")):
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            options = {
                "key_prefix": key_prefix or "LIMITS",
                "socket_connect_timeout": TIMEOUT,
                "socket_timeout": TIMEOUT,
                "retry": Retry(NoBackoff(), 1),  # once, on a fresh connection after a restart
            }
        self.primary: Any = storage_from_string(uri, **options)
        self._fallback: MemoryStorage | None = None
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._logged_at = 0.0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def fallback(self) -> MemoryStorage:
        with self._lock:
            if self._fallback is None:
                self._fallback = MemoryStorage()
            return self._fallback

    def call(self, name: str, *args: Any, write: bool = True) -> Any:
        """``name`` of the primary storage, or what the mode says while it is down. A read
        (the headers of an answer already made) never refuses: it reads the memory instead."""
        now = time.monotonic()
        if self._down_since is None or now >= self._retry_at:
            try:
                result = getattr(self.primary, name)(*args)
            except Exception as exc:  # noqa: BLE001 — any failure of the storage is an outage
                self._failed(exc, now)
            else:
                self._recovered(now)
                return result
        if write and self.mode == "refuse":
            raise LimitsUnavailable(retry_after=LimitsUnavailable.retry_after)
        return getattr(self.fallback(), name)(*args)

    def _failed(self, exc: Exception, now: float) -> None:
        with self._lock:
            if self._down_since is None:
                self._down_since = now
            self._retry_at = now + RETRY_EVERY
            due = now - self._logged_at >= LOG_EVERY
            if due:
                self._logged_at = now
        if due:
            then = "本进程暂按内存计数" if self.mode == "serve" else "受限请求答复 503"
            log.error(
                "访问频率限制的存储 %s 无法使用（已持续 %.0f 秒），%s：%s",
                _shown(self.uri),
                now - (self._down_since or now),
                then,
                (str(exc).splitlines() or [type(exc).__name__])[0],
            )

    def _recovered(self, now: float) -> None:
        if self._down_since is None:
            return
        with self._lock:
            since, self._down_since, self._logged_at = self._down_since, None, 0.0
        if since is not None:
            log.warning(
                "访问频率限制的存储 %s 已恢复（中断约 %.0f 秒）", _shown(self.uri), now - since
            )


def _shown(uri: str) -> str:
    """The storage's address without a password."""
    scheme, sep, rest = uri.partition("://")
    return scheme + sep + rest.rsplit("@", 1)[-1]


def guarded() -> Guarded:
    return current_app.extensions[EXTENSION]


class AppStorage(Storage, SlidingWindowCounterSupport):
    """The limiter's storage: each call goes to the answering app's ``Guarded`` storage."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return int(guarded().call("incr", key, expiry, amount))

    def get(self, key: str) -> int:
        return int(guarded().call("get", key, write=False))

    def get_expiry(self, key: str) -> float:
        return float(guarded().call("get_expiry", key, write=False))

    def check(self) -> bool:
        return bool(guarded().call("check", write=False))

    def reset(self) -> int | None:
        result = guarded().call("reset")
        return None if result is None else int(result)

    def clear(self, key: str) -> None:
        guarded().call("clear", key)

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        return bool(guarded().call("acquire_sliding_window_entry", key, limit, expiry, amount))

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        window = guarded().call("get_sliding_window", key, expiry, write=False)
        return (int(window[0]), float(window[1]), int(window[2]), float(window[3]))

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        guarded().call("clear_sliding_window", key, expiry)
