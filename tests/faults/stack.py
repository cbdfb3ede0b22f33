"""The production stack of the fault tests, started by the tests themselves and by nothing
else: a PostgreSQL server of their own (``initdb`` into a temporary folder, run as the
``postgres`` user when the tests run as root), a Redis server of their own, and gunicorn as the
production section of the README runs it. The shared servers are never stopped or touched."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from typing import Any, NoReturn

import pytest

BIN = Path(sys.executable).parent
PG_BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason``; fail instead under KAIFANG_REQUIRE_SERVICES=1 (as CI sets it)."""
    if os.environ.get("KAIFANG_REQUIRE_SERVICES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _as_postgres() -> dict[str, Any]:
    """Popen arguments running a server binary as ``postgres`` when we are root (PostgreSQL
    refuses to run as root)."""
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


class OwnPostgres:
    """A PostgreSQL server in a temporary folder on a free port (trust authentication on
    127.0.0.1, its socket in the folder); ``stop`` and ``start`` restart it."""

    def __init__(self) -> None:
        if not PG_BINS or not Path(PG_BINS[-1], "initdb").exists():
            unavailable("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) are missing")
        self.bin = Path(PG_BINS[-1])
        self.folder = Path(tempfile.mkdtemp(prefix="kaifang-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log = self.folder / "server.log"
        done = subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]
            + ["-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **_as_postgres(),
        )
        if done.returncode != 0:
            unavailable(f"initdb failed: {done.stderr.strip()[-500:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        log = self._log.open("ab")
        self.process = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port)]
            + ["-k", str(self.folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]
            + ["-c", "full_page_writes=off", "-c", "max_connections=60"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **_as_postgres(),
        )
        log.close()
        wait_for(self.accepts, "the PostgreSQL server to accept connections", 60)

    def accepts(self) -> bool:
        import psycopg

        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"PostgreSQL exited: {self.log()[-2000:]}")
        try:
            with psycopg.connect(
                f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", connect_timeout=2
            ):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self) -> None:
        """Fast shutdown (SIGINT): open sessions are ended, their transactions rolled back."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=60)
        self.process = None

    def create_database(self, name: str, template: str = "template1") -> str:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as connection:  # names of the tests' own, never input
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def log(self) -> str:
        return self._log.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        """Immediate shutdown (SIGQUIT): the data goes with the folder."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)


class OwnRedis:
    """A Redis server on a free port, nothing saved to disk; ``stop`` and ``start`` again."""

    def __init__(self, folder: Path) -> None:
        found = shutil.which("redis-server")
        if found is None:
            unavailable("redis-server is not installed")
        self.binary = found
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        import redis

        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.folder)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        def pong() -> bool:
            try:
                return bool(redis.Redis.from_url(self.url(), socket_connect_timeout=1).ping())
            except (redis.RedisError, OSError):
                return False

        wait_for(pong, "the Redis server to answer", 30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


class Gunicorn:
    """``gunicorn --preload -w 2 -k gthread --threads 4 portal.wsgi:app`` (the README's
    production command, two workers for two cores) on a free port, its output in a log."""

    def __init__(self, folder: Path, env: dict[str, str], workers: int = 2) -> None:
        self.folder, self.port, self.workers = folder, free_port(), workers
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_path: str = "/api/3/action/status_show") -> None:
        log = (self.folder / "gunicorn.log").open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--preload", "-w", str(self.workers), "-k", "gthread"]
            + ["--threads", "4", "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "5"]
            + ["--log-level", "warning", "portal.wsgi:app"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        def up() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log()[-3000:]
            try:
                return get(self.port, ready_path, timeout=5).status == 200
            except OSError:
                return False

        wait_for(up, "gunicorn to answer", 120)
        wait_for(lambda: len(self.worker_pids()) == self.workers, "gunicorn's workers", 60)

    def worker_pids(self) -> set[int]:
        assert self.process is not None
        return children(self.process.pid)

    def log(self) -> str:
        return (self.folder / "gunicorn.log").read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # quick shutdown: the test is over
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rpartition(")")[2].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Answer:
    """One request on a connection of its own; the whole answer."""
    connection = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        data = answer.read()
        return Answer(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data)
    finally:
        connection.close()


def get(port: int, path: str, *, timeout: float = 30.0, **headers: str) -> Answer:
    return request(port, "GET", path, headers=headers, timeout=timeout)
