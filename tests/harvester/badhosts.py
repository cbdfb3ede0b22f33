"""Hosts that misbehave, on loopback, for the harvester's download tests.

``BadHost(mode)`` listens on 127.0.0.1 and, for every connection, either drips an answer one
byte every ``interval`` seconds (``"drip"``), accepts and never answers (``"silent"``), or
answers a small CSV after ``delay`` seconds (``"slow"``), counting connections and the most
connections it held at once.
"""

from __future__ import annotations

import socket
import threading
import time

CSV = "名称,数量\n公交,1\n地铁,2\n".encode()


class BadHost:
    def __init__(self, mode: str, *, interval: float = 0.5, delay: float = 0.3) -> None:
        self.mode, self.interval, self.delay = mode, interval, delay
        self.connections = 0
        self.most_at_once = 0
        self._open = 0
        self._counted: dict[int, bool] = {}  # answering threads still counted as open
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def __enter__(self) -> BadHost:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with self._lock:
                self.connections += 1
                self._open += 1
                self.most_at_once = max(self.most_at_once, self._open)
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with self._lock:
            self._counted[threading.get_ident()] = True
        try:
            conn.settimeout(1)
            try:
                conn.recv(65536)  # the request
            except OSError:
                return
            if self.mode == "silent":
                self._stop.wait(60)
            elif self.mode == "drip":
                head = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\n"
                )
                conn.sendall(head)
                while not self._stop.wait(self.interval):
                    conn.sendall(b"a")
            else:
                time.sleep(self.delay)
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: text/csv; charset=utf-8\r\n"
                    f"Content-Length: {len(CSV)}\r\nConnection: close\r\n\r\n"
                ).encode()
                self._done()  # before the answer: the client may connect again once it has it
                conn.sendall(head + CSV)
        except OSError:
            pass
        finally:
            self._done()
            conn.close()

    def _done(self) -> None:
        with self._lock:
            if self._counted.pop(threading.get_ident(), False):
                self._open -= 1
