"""What ``/readyz`` checks, each with a short time limit: the database (reachable, schema at the
newest revision), Redis where one is configured (the rate limits' storage, the harvest queue),
the instance's storage (a small file written, read back and removed) and search (the Chinese
analysis loaded, a full-text query answered).

A reason is Chinese and names no address, user or password: the error itself goes to the log,
once each time a check changes between ok and failed.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from datasets.runtime import Runtime

log = logging.getLogger("portal.readyz")

SECONDS = 2  # time limit of a connection and of a statement (libpq's connect_timeout: ≥ 2)
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_CREDENTIALS = re.compile(r"://[^@\s/]*@")
OK = "ok"
FAILED = "failed"
# a part the portal serves without, failed: the harvest queue's Redis, and the rate limits'
# while KAIFANG_RATELIMIT_STORAGE_DOWN=serve (each process counts in its memory meanwhile)
DEGRADED = "degraded"


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | degraded | failed
    reason: str
    duration_ms: float

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "duration_ms": self.duration_ms}


class Failed(Exception):
    """A check failed; ``args[0]`` is the reason shown, ``detail`` what the log gets."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.detail = detail


def redis_urls(rt: Runtime) -> dict[str, str]:
    """The Redis servers the portal uses, by check name: the rate limits' storage and the
    harvest queue's (``KAIFANG_REDIS_URL``, else the rate limits' own, as the queue takes it)."""
    s = rt.settings
    found: dict[str, str] = {}
    if s.ratelimit_storage_uri.startswith(REDIS_SCHEMES):
        found["redis_ratelimit"] = s.ratelimit_storage_uri
    queue = s.redis_url.strip()
    if queue:
        found["redis_queue"] = queue
    return found


class Probes:
    """The checks of one app, with a database engine of their own: no pool (every probe
    connects, as a new worker would) and short time limits."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._last: dict[str, str] = {}

    @cached_property
    def engine(self) -> Engine:
        url = self.rt.settings.resolved_database_url
        args: dict[str, Any] = {}
        if url.startswith("sqlite"):
            args = {"timeout": SECONDS}
        elif url.startswith("postgresql"):
            args = {"connect_timeout": SECONDS, "options": f"-c statement_timeout={SECONDS}s"}
        return create_engine(url, poolclass=NullPool, connect_args=args)

    @cached_property
    def head(self) -> str | None:
        from datasets.database import head_revision

        return head_revision(self.rt)

    def connect(self) -> Connection:
        """A connection of the probe engine, or ``Failed``."""
        url = make_url(self.rt.settings.resolved_database_url)
        file = url.database if url.get_backend_name() == "sqlite" else None
        if file and file != ":memory:" and not Path(file).exists():
            raise Failed("数据库文件不存在：请先运行 kaifang init")  # connecting would create it
        try:
            return self.engine.connect()
        except Exception as exc:  # noqa: BLE001 — any driver error means the same to a probe
            raise Failed(f"无法在 {SECONDS} 秒内连接数据库", _first_line(exc)) from None

    def run(self) -> list[Check]:
        """Every check, in order."""
        checks = [self._timed("database", self._database)]
        for name, url in redis_urls(self.rt).items():
            checks.append(self._serving_without(self._timed(name, functools.partial(_redis, url))))
        checks.append(self._timed("storage", self._storage))
        checks.append(self._timed("search", self._search))
        return checks

    def _serving_without(self, check: Check) -> Check:
        """A failed Redis the portal keeps serving without is degraded, not failed: a front
        server that reads ``/readyz`` keeps sending requests (to every node, all of which lost
        the same Redis)."""
        needed = (
            check.name == "redis_ratelimit" and self.rt.settings.ratelimit_storage_down != "serve"
        )
        if check.status != FAILED or needed:
            return check
        if check.name == "redis_queue":
            serving = "门户照常服务，暂时无法排队采集任务"
        else:
            serving = "门户照常服务，限流暂由各进程分别计数"
        return Check(check.name, DEGRADED, f"{check.reason}（{serving}）", check.duration_ms)

    def _timed(self, name: str, check: Callable[[], str]) -> Check:
        started = time.perf_counter()
        try:
            status, reason, detail = OK, check(), ""
        except Failed as failure:
            status, reason, detail = FAILED, str(failure), failure.detail
        except Exception as exc:  # noqa: BLE001 — a probe answers, whatever went wrong
            status, reason, detail = FAILED, "检查时出错", _first_line(exc)
        took = round((time.perf_counter() - started) * 1000, 1)
        if self._last.get(name) != status:  # a change, not every probe, goes to the log
            self._last[name] = status
            level = logging.INFO if status == OK else logging.WARNING
            log.log(level, "就绪检查 %s：%s %s", name, reason, detail)
        return Check(name, status, reason, took)

    def _database(self) -> str:
        with self.connect() as connection:
            try:
                revision = connection.execute(text("SELECT version_num FROM alembic_version"))
                current = revision.scalar()
            except Exception as exc:  # noqa: BLE001
                raise Failed("数据库尚未初始化：请运行 kaifang init", _first_line(exc)) from None
        if current != self.head:
            raise Failed("数据库版本不是最新：请运行 kaifang init 升级", f"{current} ≠ {self.head}")
        return "可以连接，数据库版本为最新"

    def _storage(self) -> str:
        folder = self.rt.paths.staging
        probe = folder / f".readyz-{os.getpid()}-{secrets.token_hex(4)}"
        payload = secrets.token_bytes(32)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(payload)
            same = probe.read_bytes() == payload
        except OSError as exc:
            raise Failed(
                "实例目录不可写或不可读", f"{type(exc).__name__}: {exc.strerror}"
            ) from None
        finally:
            with contextlib.suppress(OSError):
                probe.unlink(missing_ok=True)
        if not same:
            raise Failed("实例目录写入的内容读回不一致")
        files = self.rt.paths.files
        if files.exists() and not os.access(files, os.R_OK | os.W_OK | os.X_OK):
            raise Failed("文件目录不可读写")
        return "实例目录可写可读"

    def _search(self) -> str:
        from datasets.models import SearchEntry
        from datasets.search.analysis import query_words
        from datasets.search.engines import text_engine

        words = query_words("公交数据")
        if not words:
            raise Failed("中文分词未能切分检索词")
        with self.connect() as connection:
            engine = text_engine(connection.dialect.name)
            query = select(SearchEntry.doc).where(engine.matches(words)).limit(1)
            try:
                connection.execute(query).all()
            except Exception as exc:  # noqa: BLE001
                raise Failed("全文检索查询失败", _first_line(exc)) from None
        return "全文检索可用"


def _redis(url: str) -> str:
    from redis import Redis

    try:
        client = Redis.from_url(url, socket_connect_timeout=SECONDS, socket_timeout=SECONDS)
    except ValueError as exc:
        raise Failed("Redis 地址无法识别", _first_line(exc)) from None
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 — refused, timed out, refused auth: not reachable
        raise Failed(f"无法在 {SECONDS} 秒内连接 Redis", _first_line(exc)) from None
    finally:
        client.close()
    return "可以连接"


def _first_line(exc: BaseException) -> str:
    """The first line of an error, for the log, with any credentials of a URL in it masked."""
    lines = str(exc).strip().splitlines()
    line = _CREDENTIALS.sub("://***@", lines[0] if lines else "")
    return f"{type(exc).__name__}: {line}"[:300]
