"""A static file server on 127.0.0.1 for harvester tests, and a guard against outside hosts.

``quick_folder(fallback)`` is a scratch folder in memory (``/dev/shm``) when there is one:
SQLite commits there cost no disk flush, which keeps harvest tests of many objects fast.

``FileServer(folder)`` serves ``folder`` on a free loopback port from a daemon thread and keeps
the path of every request it answered (``requests``), so tests can assert what was (and was
not) downloaded; ``redirects`` maps a path to the URL it redirects to (302).
``block_outside_hosts(monkeypatch)`` makes every name lookup other than the loopback address
fail and records it: a test that tried to reach the Internet shows up there.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CONTENT_TYPES = {
    ".ttl": "text/turtle",
    ".rdf": "application/rdf+xml",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}

    def __init__(self, *args: Any, server_state: FileServer, **kwargs: Any) -> None:
        self.state = server_state
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 — http.server's naming
        path = urlsplit(self.path).path
        with self.state.lock:
            self.state.requests.append(path)
        target = self.state.redirects.get(path)
        if target is not None:
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = self.state.statuses.get(path)
        if status is not None:
            self.send_error(status)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output clean


class FileServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.requests: list[str] = []
        self.statuses: dict[str, int] = {}  # path → status answered instead of the file
        self.redirects: dict[str, str] = {}  # path → URL it redirects to
        self.lock = threading.Lock()
        handler = partial(_Handler, server_state=self, directory=str(root))
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def write(self, path: str, data: str | bytes) -> str:
        """Put a file in the served folder; returns its URL."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data)
        return self.url(path)

    def count(self, path: str) -> int:
        with self.lock:
            return self.requests.count("/" + path.lstrip("/"))

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def block_outside_hosts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse name lookups of every host but the loopback; returns the hosts that were tried."""
    tried: list[str] = []
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOOPBACK:
            tried.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"test blocks outside host {name}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    return tried


@contextmanager
def quick_folder(fallback: Path) -> Iterator[Path]:
    """A temporary folder on tmpfs when the machine has one, else ``fallback``."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield fallback
        return
    folder = Path(tempfile.mkdtemp(prefix="kaifang-test-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


LOCAL_ONLY = {"download_hosts": "127.0.0.1"}


def harvest_catalog(rt, kind, name, location, config=None, **kw):  # type: ignore[no-untyped-def]
    """Add (or reuse) a catalog source downloading from loopback only, and harvest it."""
    from harvester.jobs import run_source
    from harvester.sources import add_source, get_sources

    add_source(
        rt,
        name=name,
        kind=kind,
        location=str(location),
        config=LOCAL_ONLY if config is None else config,
        exist_ok=True,
    )
    return run_source(rt, get_sources(rt, [name])[0], **kw)


def errored(rt, result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """identifier → message of every errored object of a job."""
    from harvester.jobs import job_objects

    return {
        o["identifier"]: o["message"]
        for o in job_objects(rt, result.job_id)
        if o["outcome"] == "errored"
    }


def stored_dataset(rt, identifier):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from datasets.models import Dataset

    with rt.reader() as session:
        ds = session.scalar(select(Dataset).where(Dataset.source_identifier == identifier))
        assert ds is not None, identifier
        session.expunge(ds)
        return ds


def shown_package(rt, identifier):  # type: ignore[no-untyped-def]
    from datasets.catalog import services as catalog

    return catalog.package_show(rt, id_or_name=stored_dataset(rt, identifier).name, base_url="")
