"""Downloading the files of changed records during a harvest job.

Files are downloaded concurrently (``harvest_downloads`` at a time, at most
``harvest_host_downloads`` from one host, so a small department server is not flooded), each
within its overall deadline (``HttpClient``). A host that cannot be reached
``harvest_host_failures`` times in a row is given up for the rest of the job: its remaining
files are marked at once with one reason (the circuit breaker). A file that cannot be
downloaded does not drop its dataset: it stays in the record with why
(``FileRecord.unmirrored``) and is published as a link marked 未镜像, tried again next harvest.

Records come out in the order they went in (``ready`` and ``drain``), each with all its files
settled, so the job publishes them in the order the source listed them.
"""

from __future__ import annotations

import ipaddress
import queue
import re
import socket
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar
from urllib.parse import urlsplit

from datasets.intake.records import FileRecord, HarvestRecord, Unmirrored
from harvester.addresses import internal_kind, normal_host, parse_address
from harvester.base import NOT_DOWNLOADED
from harvester.fetch_errors import FetchError

if TYPE_CHECKING:
    from harvester.base import SourceKind

Key = TypeVar("Key")
Outcome = FileRecord | str  # a file settled (downloaded or not), or a line for 未下载资源
JOB_DEADLINE_REASON = "采集任务已到时限，未下载"
# names that only mean something inside an organisation's own network, or nowhere (RFC 2606,
# RFC 6761)
_LOCAL_SUFFIXES = (
    ".local",
    ".localhost",
    ".localdomain",
    ".internal",
    ".intranet",
    ".lan",
    ".corp",
    ".home",
    ".arpa",
    ".invalid",
    ".test",
    ".example",
)


class Breaker:
    """Per-host circuit breaker of one job: after ``threshold`` failures to reach a host in a
    row, the host is open (given up) with one reason for the rest of the job."""

    def __init__(self, threshold: int) -> None:
        self.threshold = max(1, threshold)
        self._failures: Counter[str] = Counter()
        self._open: dict[str, str] = {}
        self._lock = threading.Lock()

    def reason(self, host: str) -> str | None:
        with self._lock:
            return self._open.get(host)

    def record(self, host: str, error: FetchError | None) -> None:
        with self._lock:
            if error is None or not error.unreachable:
                self._failures[host] = 0
                return
            self._failures[host] += 1
            if self._failures[host] >= self.threshold and host not in self._open:
                self._open[host] = (
                    f"该主机连续 {self.threshold} 次无法访问（{error.reason}），本次采集不再尝试"
                )

    @property
    def open_hosts(self) -> dict[str, str]:
        with self._lock:
            return dict(self._open)


@dataclass
class _Task:
    file: FileRecord
    host: str
    future: Future[Outcome]


class Downloader(Generic[Key]):
    """The downloads of one job (or of one record, ``SourceKind.fetch_files``)."""

    def __init__(self, kind: SourceKind, *, deadline: float | None = None) -> None:
        settings = kind.rt.settings
        self.kind = kind
        self.deadline = deadline
        self.client = kind.download_client().until(deadline)
        self.breaker = Breaker(settings.harvest_host_failures)
        self.per_host = max(1, settings.harvest_host_downloads)
        self.window = 4 * max(1, settings.harvest_downloads)  # records in flight at most
        self._pool = _Threads(max(1, settings.harvest_downloads), "harvest-download")
        self._lock = threading.Lock()
        self._active: Counter[str] = Counter()
        self._waiting: dict[str, deque[_Task]] = defaultdict(deque)
        self._pending: deque[tuple[Key, HarvestRecord, list[Future[Outcome]]]] = deque()
        self._links: dict[str, bool] = {}

    def __enter__(self) -> Downloader[Key]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(wait=exc is None)

    def close(self, *, wait: bool = True) -> None:
        """Stop; ``wait=False`` (the job is being stopped) leaves downloads in flight to die
        with the process: the threads are daemons and never hold it up."""
        with self._lock:
            for tasks in self._waiting.values():
                for task in tasks:
                    task.future.cancel()
            self._waiting.clear()
        self._pool.close(wait=wait)

    # -- in the job's thread --------------------------------------------------------------

    def submit(self, key: Key, record: HarvestRecord) -> None:
        """Start downloading the files ``record`` only names."""
        futures: list[Future[Outcome]] = []
        for file in record.files:
            if file.path is not None or file.unmirrored is not None:
                futures.append(_settled(file))
            else:
                futures.append(self._schedule(file))
        self._pending.append((key, record, futures))

    def ready(self) -> Iterator[tuple[Key, HarvestRecord, BaseException | None]]:
        """Records whose files are all settled, in order; waits only when too many are in
        flight."""
        while self._pending and (
            len(self._pending) > self.window or all(f.done() for f in self._pending[0][2])
        ):
            yield self._take()

    def drain(self) -> Iterator[tuple[Key, HarvestRecord, BaseException | None]]:
        while self._pending:
            yield self._take()

    @property
    def given_up(self) -> dict[str, str]:
        """Hosts the circuit breaker gave up in this job, with why."""
        return self.breaker.open_hosts

    def _take(self) -> tuple[Key, HarvestRecord, BaseException | None]:
        key, record, futures = self._pending.popleft()
        outcomes: list[Outcome] = []
        error: BaseException | None = None
        for future in futures:
            try:
                outcomes.append(future.result())
            except BaseException as exc:  # noqa: BLE001 — the record errors, the job goes on
                error = error or exc
        if error is not None:
            self.kind.forget_downloads(
                replace(record, files=tuple(o for o in outcomes if isinstance(o, FileRecord)))
            )
            return key, record, error
        return key, _settle(record, outcomes), None

    def _schedule(self, file: FileRecord) -> Future[Outcome]:
        task = _Task(file, host_of(file.source_url), Future())
        with self._lock:
            start = self._active[task.host] < self.per_host
            if start:
                self._active[task.host] += 1
            else:
                self._waiting[task.host].append(task)
        if start:
            self._pool.submit(self._run, task)
        return task.future

    # -- in the pool's threads ------------------------------------------------------------

    def _run(self, task: _Task) -> None:
        try:
            if task.future.set_running_or_notify_cancel():
                try:
                    task.future.set_result(self._download(task.file, task.host))
                except BaseException as exc:  # noqa: BLE001 — handed to the job's thread
                    task.future.set_exception(exc)
        finally:
            self._next(task.host)

    def _next(self, host: str) -> None:
        with self._lock:
            waiting = self._waiting.get(host)
            task = waiting.popleft() if waiting else None
            if task is None:
                self._active[host] -= 1
        if task is not None:
            self._pool.submit(self._run, task)

    def _download(self, file: FileRecord, host: str) -> Outcome:
        url = file.source_url or ""
        given_up = self.breaker.reason(host)
        if given_up is not None:
            return self._unmirrored(file, host, given_up)
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return self._unmirrored(file, host, JOB_DEADLINE_REASON)
        if urlsplit(url).scheme not in ("http", "https") or not host:
            return self._unmirrored(file, host, "不是 http/https 地址", link=False)
        suffix = f".{file.format}" if re.fullmatch(r"[a-z0-9]{1,8}", file.format or "") else ""
        try:
            path = self.client.download(url, self.kind.download_folder(), suffix=suffix)
        except FetchError as exc:
            self.breaker.record(host, exc)
            link = exc.kind != "internal"
            return self._unmirrored(file, host, exc.reason, link=link, detail=exc.message)
        self.breaker.record(host, None)
        return self.kind.accept_download(file, path)

    def _unmirrored(
        self, file: FileRecord, host: str, reason: str, *, link: bool = True, detail: str = ""
    ) -> Outcome:
        if link:
            with self._lock:
                known = self._links.get(host)
            if known is None:
                known = public_address(host)
                with self._lock:
                    self._links[host] = known
            link = known
        tried = datetime.now(UTC).isoformat(timespec="seconds")
        missing = Unmirrored(reason, tried, host, link, detail or f"{reason}：{file.source_url}")
        return replace(file, path=None, unmirrored=missing)


class _Threads:
    """A few daemon threads running what they are given, started on first use. Unlike a
    ``ThreadPoolExecutor`` (whose threads the interpreter waits for at exit), a harvester
    stopped by a signal exits at once, whatever its downloads are doing."""

    def __init__(self, count: int, name: str) -> None:
        self._count, self._name = count, name
        self._queue: queue.SimpleQueue[tuple[Callable[[_Task], None], _Task] | None]
        self._queue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def submit(self, run: Callable[[_Task], None], task: _Task) -> None:
        if not self._threads:
            self._threads = [
                threading.Thread(target=self._work, name=f"{self._name}-{n}", daemon=True)
                for n in range(self._count)
            ]
            for thread in self._threads:
                thread.start()
        self._queue.put((run, task))

    def _work(self) -> None:
        while (work := self._queue.get()) is not None:
            run, task = work
            run(task)

    def close(self, *, wait: bool) -> None:
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


def _settled(file: FileRecord) -> Future[Outcome]:
    future: Future[Outcome] = Future()
    future.set_result(file)
    return future


def _settle(record: HarvestRecord, outcomes: list[Outcome]) -> HarvestRecord:
    """The record with its files settled; downloads that were web pages listed, not kept."""
    files = tuple(o for o in outcomes if isinstance(o, FileRecord))
    pages = [o for o in outcomes if isinstance(o, str)]
    record = replace(record, files=files)
    if pages:
        listed = list(record.unnormalised.get(NOT_DOWNLOADED) or [])
        record = replace(
            record, unnormalised={**record.unnormalised, NOT_DOWNLOADED: listed + pages}
        )
    return record


def host_of(url: str | None) -> str:
    try:
        return normal_host(urlsplit(url or "").hostname or "")
    except ValueError:
        return ""


def public_address(host: str) -> bool:
    """Whether ``host`` is a public address the harvester itself would be allowed to fetch,
    so an unconditional entry may link to a file there it could not download: every address
    it resolves to is public; a name that does not resolve from here must look like a public
    one (dotted, no organisation-internal suffix). Never an internal address."""
    if not host:
        return False
    try:
        return internal_kind(ipaddress.ip_address(host)) is None
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return "." in host and not host.endswith(_LOCAL_SUFFIXES) and not host.isdigit()
    addresses = {parse_address(str(sockaddr[0])) for *_, sockaddr in found}
    return bool(addresses) and all(internal_kind(ip) is None for ip in addresses)
