"""The harvester's only HTTP client: timeouts, retries with backoff, size limits, clear errors.

Remote sources are configured by operators, but what they list is not: only http and https URLs
are followed, every read has a deadline and a byte limit, no connection reaches an internal
address the source's ``AddressGuard`` does not allow (checked on the address connected to, see
``harvester.addresses``), and redirects are followed here, at most ``MAX_REDIRECTS`` of them,
each hop checked again (scheme, ``download_hosts``, address). Every failure becomes a
``FetchError`` with a one-line reason, which the kinds turn into a failed job (the source as a
whole) or an errored object.

A client is made for one source (``HttpClient.for_source``): the source's own origin is what
it may read even on an internal address, so there is no client without a guard.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from datasets.settings import Settings
from harvester.addresses import AddressGuard, RefusedAddress, host_matches
from harvester.connections import guarded_session
from harvester.fetch_errors import (
    FetchError,
    past_deadline,
    read_body,
    request_failure,
    retry_after,
    short,
    status_error,
    too_large,
)
from harvester.json_input import JsonInputError, load_json

log = logging.getLogger(__name__)

USER_AGENT = "kaifang-harvester/0.1 (+open government data portal)"
_CHUNK = 64 * 1024
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_REDIRECTS = 5
DOWNLOAD_HOSTS = "download_hosts"


@dataclass(frozen=True)
class HttpClient:
    guard: AddressGuard  # where connections may go: public addresses, the origin, allowed ones
    timeout: float = 30.0
    retries: int = 2
    max_bytes: int = 200 * 1024 * 1024
    backoff: float = 0.5
    hosts: tuple[str, ...] = ()  # download_hosts: every hop must be on one of them (empty: any)
    download_seconds: float = 300.0  # overall deadline of one download, retries included
    deadline: float | None = None  # a time.monotonic() no request may outlast (the job's)

    @classmethod
    def for_source(cls, location: str | None, settings: Settings) -> HttpClient:
        """The client of a source at ``location`` (a URL, or a local path: no origin)."""
        return cls(
            AddressGuard.for_source(location, settings),
            timeout=settings.harvest_timeout,
            retries=settings.harvest_retries,
            max_bytes=settings.max_file_bytes,
            download_seconds=settings.harvest_download_seconds,
        )

    def until(self, deadline: float | None) -> HttpClient:
        """The same client, with no request outlasting ``deadline`` (a ``time.monotonic()``)."""
        return replace(self, deadline=deadline)

    def _deadline(self, seconds: float) -> float:
        end = time.monotonic() + seconds
        return end if self.deadline is None else min(end, self.deadline)

    def only_hosts(self, hosts: Iterable[str]) -> HttpClient:
        """The same client, reading only from ``hosts`` (``download_hosts``) on every hop."""
        return replace(self, hosts=tuple(hosts))

    def get_bytes(
        self, url: str, *, params: dict[str, Any] | None = None, max_bytes: int | None = None
    ) -> tuple[bytes, str]:
        """The body of ``url`` (at most ``max_bytes``) and its content type."""
        limit = max_bytes or self.max_bytes
        deadline = self._deadline(max(self.download_seconds, self.timeout))
        response = self._request(url, params, deadline)
        try:
            _check_length(response, limit, url)
            chunks: list[bytes] = []
            total = 0
            for chunk in read_body(response, url, deadline, self.timeout, self.download_seconds):
                total += len(chunk)
                if total > limit:
                    raise too_large(limit, url)
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("Content-Type", "")
        finally:
            response.close()

    def get_json(self, url: str, *, params: dict[str, Any] | None = None) -> Any:
        body, _ = self.get_bytes(url, params=params, max_bytes=min(self.max_bytes, 64 << 20))
        try:
            return load_json(body)
        except JsonInputError as exc:
            raise FetchError(f"返回的不是有效的 JSON：{short(url)}（{exc.reason}）") from None

    def download(self, url: str, folder: Path, *, suffix: str = "") -> Path:
        """Stream ``url`` into a new file in ``folder``; removed again if anything goes wrong."""
        folder.mkdir(parents=True, exist_ok=True)
        deadline = self._deadline(self.download_seconds)
        response = self._request(url, None, deadline)
        try:
            _check_length(response, self.max_bytes, url)
            fd, name = tempfile.mkstemp(dir=folder, suffix=suffix)
        except BaseException:
            response.close()
            raise
        path = Path(name)
        try:
            total = 0
            with os.fdopen(fd, "wb") as out:
                for chunk in read_body(
                    response, url, deadline, self.timeout, self.download_seconds
                ):
                    total += len(chunk)
                    if total > self.max_bytes:
                        raise too_large(self.max_bytes, url)
                    out.write(chunk)
            return path
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        finally:
            response.close()

    def _request(
        self, url: str, params: dict[str, Any] | None, deadline: float
    ) -> requests.Response:
        """The response to GET ``url``, following redirects (each hop checked again)."""
        with guarded_session(self.guard) as session:
            current = url
            for _ in range(MAX_REDIRECTS + 1):
                self._check_target(current)
                response = self._send(session, current, params, deadline)
                target = session.get_redirect_target(response)
                if target is None:
                    return response
                response.close()  # a redirect's body is never read
                current, params = urljoin(response.url, target), None
        raise FetchError(
            f"重定向次数过多（超过 {MAX_REDIRECTS} 次）：{short(url)}",
            kind="redirects",
            reason=f"重定向次数过多（超过 {MAX_REDIRECTS} 次）",
        )

    def _check_target(self, url: str) -> None:
        check_url(url)
        if self.hosts:
            try:
                host = parse_url(url).host or ""  # the host urllib3 will connect to
            except LocationParseError:
                raise FetchError(
                    f"地址无效：{short(url)}", kind="invalid", reason="地址无效"
                ) from None
            if not host_matches(host, self.hosts):
                raise FetchError(
                    f"主机不在 {DOWNLOAD_HOSTS} 中：{short(url)}",
                    kind="invalid",
                    reason=f"主机不在 {DOWNLOAD_HOSTS} 中",
                )

    def _send(
        self,
        session: requests.Session,
        url: str,
        params: dict[str, Any] | None,
        deadline: float,
    ) -> requests.Response:
        """One request, retried only where another try may succeed (429 and 5xx answers, a
        connection that broke off), never past ``deadline``."""
        last: FetchError | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                pause = retry_after(last, self.backoff * 2 ** (attempt - 1))
                if time.monotonic() + pause >= deadline:
                    break
                time.sleep(pause)
            left = deadline - time.monotonic()
            if left <= 0:
                raise past_deadline(url, self.download_seconds)
            try:
                response = session.get(
                    url,
                    params=params,
                    timeout=(min(self.timeout, left), min(self.timeout, left)),
                    stream=True,
                    # the body is read raw (``read_body``), byte for byte as stored: no gzip
                    headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
                    allow_redirects=False,
                )
            except RefusedAddress as exc:
                reason = "内部地址，不予访问"
                raise FetchError(exc.message, kind="internal", reason=reason) from None
            except requests.RequestException as exc:
                last = request_failure(exc, url, self.timeout)
                if last.kind == "timeout" and time.monotonic() >= deadline - 0.01:
                    raise past_deadline(url, self.download_seconds) from None
                if last.kind != "reset":
                    raise last from None
                continue
            if response.status_code in RETRY_STATUSES:
                response.close()
                last = status_error(response, url)
                continue
            if response.status_code >= 400:
                response.close()
                raise status_error(response, url)
            return response
        assert last is not None
        raise last


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FetchError(f"只支持 http/https 地址：{short(url)}")


def is_url(location: str) -> bool:
    try:
        return urlsplit(location).scheme in ("http", "https")
    except ValueError:  # "http://[::1": an unclosed IPv6 address
        return False


def _check_length(response: requests.Response, limit: int, url: str) -> None:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise FetchError(
            f"文件超过大小上限（{int(length)} > {limit} 字节）：{short(url)}",
            kind="too-large",
            reason=f"文件超过大小上限（{int(length)} > {limit} 字节）",
        )
