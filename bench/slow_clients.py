"""Slow clients: does the server still answer while many clients download slowly?

``probe_under_downloads`` opens ``clients`` downloads of one file that each read at ``rate``
bytes/s (small ``recv()`` calls with sleeps between them, a small receive buffer, so the
kernel does not absorb the file for them; a finished download starts again), and meanwhile
requests a light page every ~100 ms on a new connection. It reports the probe's latency
(p50/p95/max), its errors (no answer within 10 s, or not 200) and how many downloads got an
answer at all. ``bench/static.py`` calls it against the nginx hybrid as well.

``main`` builds a demo-like instance (the bundled demo sources harvested, plus one 16 MB public
file to download) and runs the probe against the old ``kaifang serve`` (gunicorn gthread, 2
workers × 4 threads: 8 request slots), the current one, and (``hybrid``) the production
hybrid: the instance's static build and gunicorn behind nginx, the file downloaded from the tree,
the probe asking for a page the app answers through nginx.

Run: .venv/bin/python -m bench.slow_clients [--clients 50] [--rate 100000] [--seconds 20]
     [--setups old,new,hybrid] [--rounds 1] [--format CODE]   (also gthread-N, waitress;
     --format: the clients download that conversion of the big table instead of the file)
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROBE_EVERY = 0.1  # seconds between two probes
PROBE_TIMEOUT = 10.0
RECV_BYTES = 4096
RECV_BUFFER = 16384  # the slow client's socket receive buffer
HYBRID_PROBE = "/api/3/action/status_show"  # through nginx, answered by the app


def _address(base_url: str) -> tuple[str, int, str]:
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80, parts.path.rstrip("/")


def _download(
    address: tuple[str, int],
    request: bytes,
    rate: int,
    stop_at: float,
    tally: dict[str, int],
    lock: threading.Lock,
) -> None:
    """One slow client: reads the answer ``RECV_BYTES`` at a time at ``rate`` bytes/s, and
    starts again when it ends, until ``stop_at``."""
    while time.monotonic() < stop_at:
        got, answered = 0, False
        try:
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
                sock.settimeout(max(0.5, stop_at - time.monotonic()))
                sock.connect(address)
                sock.sendall(request)
                due = time.monotonic()
                while time.monotonic() < stop_at:
                    data = sock.recv(RECV_BYTES)
                    if not data:
                        break
                    answered, got = True, got + len(data)
                    due += len(data) / rate
                    time.sleep(max(0.0, due - time.monotonic()))
        except TimeoutError:
            pass
        except OSError:
            with lock:
                tally["errors"] += 1
            time.sleep(0.1)
        with lock:
            tally["bytes"] += got
            tally["answered"] += answered
            tally["started"] += 1


def _probe(
    address: tuple[str, int], path: str, stop_at: float, out: list[float], errors: list[str]
) -> None:
    """A light page every ``PROBE_EVERY`` seconds, each on a new connection."""
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        connection = HTTPConnection(*address, timeout=PROBE_TIMEOUT)
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                errors.append(f"HTTP {answer.status}")
            else:
                out.append(time.perf_counter() - started)
        except OSError as exc:
            errors.append(type(exc).__name__)
        finally:
            connection.close()
        time.sleep(max(0.0, PROBE_EVERY - (time.perf_counter() - started)))


def probe_under_downloads(
    base_url: str,
    download_path: str,
    probe_path: str,
    clients: int = 50,
    rate: int = 100_000,
    seconds: float = 20,
) -> dict[str, Any]:
    """The probe's latency (ms) while ``clients`` slow clients download ``download_path`` at
    ``rate`` bytes/s each for ``seconds``; also the probe's errors and the downloads' volume."""
    host, port, prefix = _address(base_url)
    address = (host, port)
    request = (
        f"GET {prefix}{download_path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "User-Agent: slow-client\r\nConnection: close\r\n\r\n"
    ).encode()
    tally = {"bytes": 0, "answered": 0, "started": 0, "errors": 0}
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_download, args=(address, request, rate, stop_at, tally, lock), daemon=True
        )
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(min(1.0, seconds / 4))  # the downloads are under way before the first probe
    probe = threading.Thread(
        target=_probe, args=(address, prefix + probe_path, stop_at, latencies, errors)
    )
    probe.start()
    probe.join()
    for thread in threads:
        thread.join(timeout=PROBE_TIMEOUT)
    ms = sorted(x * 1e3 for x in latencies)
    return {
        "clients": clients,
        "rate": rate,
        "seconds": seconds,
        "probes": len(ms) + len(errors),
        "probe_errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "p50_ms": statistics.median(ms) if ms else None,
        "p95_ms": ms[min(len(ms) - 1, int(len(ms) * 0.95))] if ms else None,
        "max_ms": ms[-1] if ms else None,
        "downloads_answered": tally["answered"],
        "downloads_started": tally["started"],
        "download_errors": tally["errors"],
        "download_mb_s": tally["bytes"] / seconds / 1e6,
    }


def _big_source(folder: Path, megabytes: int) -> Path:
    """A data package whose one table is a ``megabytes`` MB CSV (the file the clients fetch)."""
    from tests.factories import write_package

    pkg = write_package(folder, "big-table", title="道路交通流量监测明细", rows=[])
    line = "{n},江南大道与滨江路交叉口,{d},小型客车,{v},正常,人工复核\n"
    with (pkg / "data.csv").open("w", encoding="utf-8") as out:
        out.write("序号,监测点,监测日期,车型,车流量,状态,备注\n")
        n = 0
        while out.tell() < megabytes * 1_000_000:
            n += 1
            out.write(line.format(n=n, d=f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}", v=n % 997))
    return folder


def build_instance(instance: Path, megabytes: int = 16, demo: bool = True) -> tuple[str, str]:
    """A demo-like instance (the demo sources, unless ``demo`` is false, and one big public
    table); the download path of the big table and a light page's path."""
    from sqlalchemy import select

    from datasets.models import Dataset, Resource
    from harvester.jobs import run_harvest
    from harvester.sources import add_source, get_sources
    from tests.conftest import harvest_demo
    from tests.factories import make_runtime

    rt = make_runtime(instance)
    try:
        big = _big_source(instance.parent / "big", megabytes)
        add_source(rt, name="bench-big", kind="datapackage", location=str(big))
        if demo:
            harvest_demo(rt)  # harvests every registered source, the big one too
        else:
            assert all(r.status == "finished" for r in run_harvest(rt, get_sources(rt)))
        with rt.reader() as session:
            name, resource_id, size = session.execute(
                select(Dataset.name, Resource.id, Resource.public_size)
                .join(Resource)
                .where(Resource.public_key.is_not(None))
                .order_by(Resource.public_size.desc())
                .limit(1)
            ).one()
        if (size or 0) < megabytes * 900_000:  # the big table must be what is downloaded
            raise SystemExit(f"the {megabytes} MB table was not published (largest: {size} B)")
    finally:
        rt.close()
    return f"/dataset/{name}/resource/{resource_id}/download/data.csv", "/rules"


def server_command(setup: str, port: int, workers: int) -> list[str]:
    """``old``: kaifang serve before (gunicorn gthread, 4 threads per worker); ``gthread-N``:
    the same with N threads; ``waitress``: one waitress process (8 threads); ``new``: kaifang
    serve now."""
    bin_dir = Path(sys.executable).parent
    bind = ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "portal.wsgi:app"]
    if setup == "old" or setup.startswith("gthread-"):
        threads = "4" if setup == "old" else setup.removeprefix("gthread-")
        gunicorn = [str(bin_dir / "gunicorn"), "--preload", "-w", str(workers), "-k", "gthread"]
        return gunicorn + ["--threads", threads] + bind
    if setup == "waitress":
        waitress = [str(bin_dir / "waitress-serve"), "--threads", "8", f"--port={port}"]
        return waitress + ["--host=127.0.0.1", "portal.wsgi:app"]
    return [str(bin_dir / "kaifang"), "serve", "--port", str(port), "--workers", str(workers)]


@contextmanager
def _hybrid(instance: Path, port: int, workers: int, env: dict[str, str]) -> Iterator[str]:
    """The production hybrid on ``port``: the instance's static build, then ``behind_nginx``;
    nginx's URL."""
    from portal.app import create_app
    from portal.publish.build import build

    out, base = instance.parent / "static", f"http://127.0.0.1:{port}"
    app = create_app({"instance": str(instance), "base_url": base, "ratelimit_enabled": False})
    build(app, out, base_url=base)
    app.extensions["kaifang"].close()
    with behind_nginx(instance, out, port, workers, env):
        yield base


@contextmanager
def behind_nginx(
    instance: Path, out: Path, port: int, workers: int, env: dict[str, str]
) -> Iterator[int]:
    """gunicorn (gthread, as in production) serving ``instance``, and nginx on ``port`` with
    config/nginx-static.conf.template serving the static tree ``out`` in front of it; the
    app's own port."""
    from bench.search_corpus import free_port, serve
    from tests.nginx import nginx

    app_port = free_port()
    ready = "/api/3/action/status_show"
    with (
        serve([server_command("old", app_port, workers)], env, [app_port], ready),
        nginx(
            instance.parent / "nginx",
            port=port,
            static_root=out / "current",
            app_url=f"http://127.0.0.1:{app_port}",
            files_dir=instance / "files",
        ),
    ):
        yield app_port


def compare(instance: Path, setups: list[str], args: Any) -> dict[str, list[dict[str, Any]]]:
    """Each setup's rounds of ``probe_under_downloads`` on a demo-like instance made in
    ``instance``: ``hybrid`` probes a page the app answers through nginx (the downloads come
    from the static tree); the others probe a light page of the portal itself."""
    from bench.search_corpus import free_port, serve

    download, page = build_instance(instance, args.megabytes)
    if args.format:
        download += f"?format={args.format}"
    env = {**os.environ, "KAIFANG_INSTANCE": str(instance), "KAIFANG_LOG_LEVEL": "WARNING"}
    env["KAIFANG_RATELIMIT_ENABLED"] = "false"
    results: dict[str, list[dict[str, Any]]] = {}
    for setup in setups:
        for n in range(args.rounds):
            port = free_port()
            probe = HYBRID_PROBE if setup == "hybrid" else page
            server = (
                _hybrid(instance, port, args.workers, env)
                if setup == "hybrid"
                else serve([server_command(setup, port, args.workers)], env, [port], page)
            )
            with server:
                result = probe_under_downloads(
                    f"http://127.0.0.1:{port}",
                    download,
                    probe,
                    args.clients,
                    args.rate,
                    args.seconds,
                )
            results.setdefault(setup, []).append(result)
            print(f"{setup} round {n + 1}: " + _line(result), flush=True)
    return results


def options(parser: argparse.ArgumentParser) -> None:
    """The options of the slow clients (also those of ``bench.static``)."""
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--megabytes", type=int, default=16)
    parser.add_argument("--format", default="", help="download a conversion (?format=…)")


def main() -> None:

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options(parser)
    parser.add_argument("--setups", default="old,new")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print("building a demo-like instance …", flush=True)
        compare(Path(folder) / "instance", args.setups.split(","), args)


def _line(result: dict[str, Any]) -> str:
    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f}"

    return (
        f"probe p50 {ms(result['p50_ms'])} ms, p95 {ms(result['p95_ms'])} ms, "
        f"max {ms(result['max_ms'])} ms; {result['probe_errors']} of {result['probes']} probes "
        f"failed {result['error_kinds'] or ''}; downloads answered {result['downloads_answered']}"
        f" of {result['downloads_started']}, {result['download_mb_s']:.1f} MB/s in all"
    )


if __name__ == "__main__":
    main()
