"""Running the portal from the ``kaifang serve`` command: gunicorn's master (preloading, worker
processes, restarts, signals) with workers whose connections waitress serves.

A gthread worker holds one of its threads for the whole length of every response, so a few
clients downloading slowly took every request slot (10 clients at 1 MB/s stalled the portal
for 20 s). Waitress's threads only run the app: a file response (``wsgi.file_wrapper``, which
Flask's ``send_file`` uses) and up to ``outbuf_high_watermark`` bytes of any other answer
(conversions, granted row streams) are handed to its event loop, which sends them as each
client drains them; the thread is free for the next request at once. Behind nginx (README,
"Running in production") proxy buffering and ``X-Accel-Redirect`` do that job, and plain
gthread workers serve as before."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from gunicorn.workers.base import Worker

if TYPE_CHECKING:
    from flask import Flask

THREADS = 4  # app threads per worker process: they run requests, never wait on slow clients
CONNECTIONS = 1000  # open connections per worker process (waitress's default is 100)
BUFFERED_BYTES = 16 * 1024 * 1024  # of a streamed answer, queued before its thread waits


class WaitressWorker(Worker):
    """A gunicorn worker serving its listening sockets with waitress (poll(), not select(),
    so more than 1,024 connections are possible). gunicorn's heartbeat is kept by a thread;
    SIGTERM stops the event loop (waitress closes its connections)."""

    def run(self) -> None:
        from waitress.server import BaseWSGIServer, create_server

        servers: dict[int, Any] = {}
        server = create_server(
            self._logged(self.wsgi),
            map=servers,
            sockets=[listener.sock for listener in self.sockets],
            threads=THREADS,
            connection_limit=CONNECTIONS,
            outbuf_high_watermark=BUFFERED_BYTES,
            asyncore_use_poll=True,
            channel_timeout=max(int(self.timeout), 60),
            ident="kaifang",
        )
        for listening in list(servers.values()):
            if isinstance(listening, BaseWSGIServer):
                listening.channel_class = utf8_channel()
        threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True).start()
        server.run()  # returns (closing the server) on SystemExit, raised by handle_exit

    def _logged(self, app: Any) -> Any:
        """``app`` writing one line per request to gunicorn's access log (waitress keeps none),
        when its answer starts."""
        if not self.cfg.accesslog:  # KAIFANG_LOG_FORMAT=json: the app writes its own lines
            return app
        access = self.log.access_log

        def logged(environ: dict[str, Any], start_response: Any) -> Any:
            def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                query = environ.get("QUERY_STRING")
                path = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
                method, address = environ.get("REQUEST_METHOD"), environ.get("REMOTE_ADDR")
                access.info('%s "%s %s" %s', address, method, path, status.split(" ", 1)[0])
                return start_response(status, headers, exc_info)

            return app(environ, start)

        return logged

    def _heartbeat(self) -> None:
        parent = self.ppid
        while self.alive:
            self.notify()
            if os.getppid() != parent:  # the master is gone: stop as gunicorn's workers do
                self.log.info("Parent changed, shutting down: %s", self)
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(1.0)

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.alive = False
        sys.exit(0)  # in the main thread: ends waitress's loop


class PortalServer(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from portal.wsgi import app

        return app


def options(*, host: str, port: int, workers: int, log_format: str = "text") -> dict[str, Any]:
    """The gunicorn settings of ``kaifang serve``: with the hooks of prometheus-client's
    multiprocess mode (``portal.observe.multiproc``), and in the JSON log format no access log
    of gunicorn's (the app writes one JSON line per request) and gunicorn's own lines as JSON."""
    from portal.observe.logs import gunicorn_logging
    from portal.observe.multiproc import gunicorn_hooks

    json_lines = log_format == "json"
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "portal.server.WaitressWorker",
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": None if json_lines else "-",
        "errorlog": "-",
        "loglevel": "warning",
        "preload_app": True,  # one copy of search's dictionaries, shared by the workers
        **({"logconfig_dict": gunicorn_logging("WARNING")} if json_lines else {}),
        **gunicorn_hooks(),
    }


def serve(*, host: str, port: int, workers: int, log_format: str = "text") -> None:
    from portal.observe.multiproc import prepare_dir

    prepare_dir()  # before the app, and prometheus-client with it, is loaded
    PortalServer(options(host=host, port=port, workers=workers, log_format=log_format)).run()


def quote_raw_target(header: bytes) -> bytes:
    """The request head with the bytes of its request line outside ASCII percent-encoded: a
    client that sends ``GET /api/3/action/package_search?q=公交`` unencoded (curl does) means
    the UTF-8 text, as browsers and nginx take it; waitress alone refuses such a line."""
    end = header.find(b"\r\n")
    line = header[:end] if end >= 0 else header
    if line.isascii():
        return header
    quoted = b"".join(b"%%%02X" % b if b > 0x7F else bytes([b]) for b in line)
    return quoted + header[len(line) :]


def utf8_request_lines() -> None:
    """gunicorn's own workers (``portal.gunicorn_conf``) read a request line with raw UTF-8 as
    ``quote_raw_target`` has it: gunicorn refuses any byte outside printable ASCII in the
    target, and nginx passes a client's raw bytes on as they came."""
    from gunicorn.http.message import Request

    parse = Request.parse_request_line
    if getattr(parse, "quotes_utf8", False):
        return

    def parse_request_line(self: Request, line_bytes: bytes) -> None:
        parse(self, quote_raw_target(bytes(line_bytes)))

    parse_request_line.quotes_utf8 = True  # type: ignore[attr-defined]
    Request.parse_request_line = parse_request_line


def utf8_channel() -> type:
    """Waitress's connection class, its parser reading raw UTF-8 request lines
    (``quote_raw_target``)."""
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser

    class Utf8RequestParser(HTTPRequestParser):
        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(quote_raw_target(header_plus))

    class Utf8Channel(HTTPChannel):
        parser_class = Utf8RequestParser

    return Utf8Channel
