"""A web worker killed (SIGKILL, as the OOM killer does) in the middle of a download of a large
public file: its client sees a broken transfer (fewer bytes than ``Content-Length``), while a
download on the other worker ends whole and a client making requests on the other worker
meanwhile never notices; gunicorn's master starts a new worker, which answers."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest
from sqlalchemy import select, update

from datasets.models import Dataset, Resource
from harvester.jobs import run_harvest
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime, write_package
from tests.faults.stack import Gunicorn, get, wait_for

pytestmark = pytest.mark.slow

PROBE = "/api/3/action/status_show"


def _big_file(instance: Path, folder: Path, database_url: str) -> tuple[str, int, str]:
    """An instance with one public table whose public file is 8 MB: its download path, size
    and SHA-256. The table is harvested small and its public file then replaced by a large
    one in the store (what a harvest of 8 MB would leave, without validating 8 MB here)."""
    rt = make_runtime(instance, database_url=database_url)
    try:
        write_package(folder, "big-table", title="道路交通流量监测明细")
        add_source(rt, name="big", kind="datapackage", location=str(folder))
        assert all(r.status == "finished" for r in run_harvest(rt, get_sources(rt)))
        big = folder / "big.csv"
        with big.open("w", encoding="utf-8") as out:
            out.write("序号,监测点,车流量\n")
            n = 0
            while out.tell() < 8_000_000:
                n += 1
                out.write(f"{n},江南大道与滨江路交叉口,{n % 997}\n")
        stored = rt.store.put(big, root="public", extension="csv")
        with rt.engine.begin() as connection:
            name, resource_id = connection.execute(
                select(Dataset.name, Resource.id)
                .join(Resource)
                .where(Resource.public_key.is_not(None))
            ).one()
            connection.execute(
                update(Resource)
                .where(Resource.id == resource_id)
                .values(public_key=stored.key, public_sha256=stored.sha256, public_size=stored.size)
            )
    finally:
        rt.close()
    return f"/dataset/{name}/resource/{resource_id}/download/data.csv", stored.size, stored.sha256


def _inode(server_port: int, client_port: int) -> int | None:
    """The inode of the server's end of the connection from ``client_port``."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1].split(":"), fields[2].split(":")
        if int(local[1], 16) == server_port and int(remote[1], 16) == client_port:
            return int(fields[9])
    return None


def owner(server_port: int, client: socket.socket, pids: set[int]) -> int | None:
    """Which of ``pids`` holds the server's end of ``client``'s connection."""
    inode = _inode(server_port, client.getsockname()[1])
    link = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == link:
                    return pid
            except OSError:
                continue
    return None


class Download:
    """A download that reads its headers and first 64 KB, then nothing until told."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += self.sock.recv(4096)
        head, _, self.body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].split()[1] == "200", lines[0]
        length = [
            v for k, _s, v in (h.partition(":") for h in lines[1:]) if k.lower() == "content-length"
        ]
        self.length = int(length[0])
        while len(self.body) < 65536:
            self.body += self.sock.recv(65536)

    def rest(self) -> bytes:
        """Everything else until the server ends the connection (or resets it)."""
        try:
            while len(self.body) < self.length and (chunk := self.sock.recv(1 << 20)):
                self.body += chunk
        except ConnectionResetError:
            pass
        self.sock.close()
        return self.body


def _on_each_worker(port: int, path: str, pids: set[int]) -> dict[int, Download]:
    """Downloads opened until each worker has one (the kernel picks the worker)."""
    held: dict[int, Download] = {}
    for _ in range(60):
        download = Download(port, path)
        pid = wait_for(lambda d=download: owner(port, d.sock, pids), "the download's worker", 10)
        if pid in held:
            download.sock.close()
            continue
        held[pid] = download
        if len(held) == len(pids):
            return held
    raise AssertionError("the downloads never reached every worker")


def _keep_alive_on(port: int, pid: int, pids: set[int]) -> HTTPConnection:
    """A keep-alive connection that ``pid`` serves."""
    for _ in range(60):
        connection = HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", PROBE)
        connection.getresponse().read()
        assert connection.sock is not None
        if owner(port, connection.sock, pids) == pid:
            return connection
        connection.close()
    raise AssertionError(f"no connection reached worker {pid}")


def test_a_killed_worker_breaks_its_own_download_and_nothing_else(
    tmp_path: Path, own_database: str
) -> None:
    path, size, sha = _big_file(tmp_path / "instance", tmp_path / "big", own_database)
    env = {
        "KAIFANG_INSTANCE": str(tmp_path / "instance"),
        "KAIFANG_DATABASE_URL": own_database,
        "KAIFANG_RATELIMIT_ENABLED": "0",
    }
    server = Gunicorn(tmp_path, env)
    server.start()
    try:
        pids = server.worker_pids()
        held = _on_each_worker(server.port, path, pids)
        victim, survivor = sorted(held)
        steady = _keep_alive_on(server.port, survivor, pids)
        answers: list[int] = []
        running = [True]

        def probe() -> None:
            while running[0]:
                steady.request("GET", PROBE)
                reply = steady.getresponse()
                reply.read()
                answers.append(reply.status)
                time.sleep(0.02)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        time.sleep(0.3)
        os.kill(victim, signal.SIGKILL)
        time.sleep(0.7)
        broken = held[victim].rest()
        whole = held[survivor].rest()
        running[0] = False
        prober.join(timeout=30)
        assert len(broken) < held[victim].length == size, "the killed download looked whole"
        assert len(whole) == size and hashlib.sha256(whole).hexdigest() == sha
        assert len(answers) >= 10 and set(answers) == {200}, answers
        # the master replaces the worker; new connections are answered meanwhile and after
        assert all(get(server.port, PROBE).status == 200 for _ in range(10))

        def replaced_workers() -> set[int] | None:
            now = server.worker_pids()
            return now if len(now) == 2 and victim not in now else None

        replaced = wait_for(replaced_workers, "a new worker in place of the killed one", 60)
        newcomer = (replaced - {survivor}).pop()
        _keep_alive_on(server.port, newcomer, replaced).close()
    finally:
        server.stop()
