"""``kaifang serve`` keeps answering while clients hold downloads open without reading them:
20 connections each read the first 4 KB of an 8 MB file and stall, and a page still answers
within a second or two (gunicorn's gthread workers, the setup before, gave no answer at all:
their 8 threads were each held by a stalled download)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.client import HTTPConnection
from pathlib import Path

import pytest

from bench.slow_clients import build_instance

STALLED = 20
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """An instance with one 8 MB public table: (instance, its download path, a page's path)."""
    instance = tmp_path_factory.mktemp("serve") / "instance"
    download, page = build_instance(instance, megabytes=8, demo=False)
    return instance, download, page


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, timeout: float = 10.0) -> int:
    connection = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


@contextmanager
def running(command: list[str], instance: Path, port: int, page: str) -> Iterator[None]:
    env = {**os.environ, "KAIFANG_INSTANCE": str(instance), "KAIFANG_RATELIMIT_ENABLED": "0"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if get(port, page) == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)


def stall(port: int, path: str, count: int) -> tuple[list[socket.socket], int]:
    """``count`` downloads that read their first 4 KB and then read nothing more; how many of
    them began within 5 s."""
    held = []
    for _ in range(count):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        sock.settimeout(30)
        sock.connect(("127.0.0.1", port))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        held.append(sock)
    begun, deadline = 0, time.monotonic() + 5
    for sock in held:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        with suppress(TimeoutError):
            begun += bool(sock.recv(4096))
    return held, begun


def page_latencies(command: list[str], big: tuple[Path, str, str]) -> tuple[list[float], int]:
    """Seconds of five requests for a page while ``STALLED`` downloads stall (10 s: no
    answer), and how many of the downloads began."""
    instance, download, page = big
    port = free_port()
    command = [c.replace("{port}", str(port)) for c in command]
    with running(command, instance, port, page):
        held, begun = stall(port, download, STALLED)
        try:
            times = []
            for _ in range(5):
                started = time.monotonic()
                with suppress(TimeoutError):
                    assert get(port, page) == 200
                times.append(time.monotonic() - started)
            return times, begun
        finally:
            for sock in held:
                sock.close()


KAIFANG_SERVE = [str(BIN / "kaifang"), "serve", "--port", "{port}", "--workers", "2"]
OLD_SERVE = [str(BIN / "gunicorn"), "--preload", "-w", "2", "-k", "gthread", "--threads", "4"]
OLD_SERVE += ["-b", "127.0.0.1:{port}", "portal.wsgi:app"]


@pytest.mark.slow
def test_stalled_downloads_leave_kaifang_serve_answering(big):
    times, begun = page_latencies(KAIFANG_SERVE, big)
    assert max(times) < 2.0, times  # the old setup: 10 s each, no answer
    assert begun == STALLED  # the old setup: 8
