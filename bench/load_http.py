"""A small HTTP/1.1 client on asyncio streams, for ``bench.load``'s virtual users: one keep-alive
connection per user (opened again when the server closed it while idle, as browsers do),
Content-Length and chunked answers, and each answer's time from the request's first byte to
the answer's last. Standard library only, so hundreds of users cost the generator little CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

TIMEOUT = 60.0


@dataclass
class Answer:
    status: int  # 0: no answer (the error says why)
    headers: dict[str, str]
    body: bytes
    seconds: float
    error: str = ""


class Connection:
    """One client connection to ``host:port``, kept alive between requests."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Answer:
        """The answer to one request; a connection the server had closed is opened again once."""
        started = time.perf_counter()
        for attempt in (1, 2):
            reused = self.writer is not None
            try:
                return await asyncio.wait_for(
                    self._exchange(method, path, headers or {}, body, started), TIMEOUT
                )
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                await self.close()
                if reused and attempt == 1:
                    continue
                return Answer(0, {}, b"", time.perf_counter() - started, type(exc).__name__)
            except (TimeoutError, OSError, ValueError) as exc:
                await self.close()
                return Answer(0, {}, b"", time.perf_counter() - started, type(exc).__name__)
        return Answer(0, {}, b"", time.perf_counter() - started, "unreachable")

    async def _exchange(
        self, method: str, path: str, headers: dict[str, str], body: bytes, started: float
    ) -> Answer:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status, answer_headers = await _head(self.reader)
        data = await _body(self.reader, method, status, answer_headers)
        if answer_headers.get("connection", "").lower() == "close":
            await self.close()
        return Answer(status, answer_headers, data, time.perf_counter() - started)


async def _head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    line = await reader.readline()
    if not line:
        raise ConnectionResetError("closed before the answer")
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ValueError(f"not an HTTP answer: {line[:80]!r}")
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n"):
            return int(parts[1]), headers
        if not line:
            raise asyncio.IncompleteReadError(b"", None)
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()


async def _body(
    reader: asyncio.StreamReader, method: str, status: int, headers: dict[str, str]
) -> bytes:
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    headers["connection"] = "close"  # the body runs to the end of the connection
    return await reader.read()
