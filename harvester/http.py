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

import json
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

from datasets.errors import SourceError
from datasets.settings import Settings
from harvester.addresses import AddressGuard, RefusedAddress, host_matches
from harvester.connections import guarded_session

log = logging.getLogger(__name__)

USER_AGENT = "kaifang-harvester/0.1 (+open government data portal)"
_CHUNK = 64 * 1024
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_REDIRECTS = 5
DOWNLOAD_HOSTS = "download_hosts"


class FetchError(SourceError):
    """A remote read failed; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class HttpClient:
    guard: AddressGuard  # where connections may go: public addresses, the origin, allowed ones
    timeout: float = 30.0
    retries: int = 2
    max_bytes: int = 200 * 1024 * 1024
    backoff: float = 0.5
    hosts: tuple[str, ...] = ()  # download_hosts: every hop must be on one of them (empty: any)

    @classmethod
    def for_source(cls, location: str | None, settings: Settings) -> HttpClient:
        """The client of a source at ``location`` (a URL, or a local path: no origin)."""
        return cls(
            AddressGuard.for_source(location, settings),
            timeout=settings.harvest_timeout,
            retries=settings.harvest_retries,
            max_bytes=settings.max_file_bytes,
        )

    def only_hosts(self, hosts: Iterable[str]) -> HttpClient:
        """The same client, reading only from ``hosts`` (``download_hosts``) on every hop."""
        return replace(self, hosts=tuple(hosts))

    def get_bytes(
        self, url: str, *, params: dict[str, Any] | None = None, max_bytes: int | None = None
    ) -> tuple[bytes, str]:
        """The body of ``url`` (at most ``max_bytes``) and its content type."""
        limit = max_bytes or self.max_bytes
        response = self._request(url, params)
        try:
            _check_length(response, limit, url)
            chunks, total = [], 0
            for chunk in response.iter_content(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise FetchError(f"响应超过大小上限（{limit} 字节）：{_short(url)}")
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("Content-Type", "")
        except requests.RequestException as exc:
            raise FetchError(f"读取中断：{_short(url)}（{type(exc).__name__}）") from None
        finally:
            response.close()

    def get_json(self, url: str, *, params: dict[str, Any] | None = None) -> Any:
        body, _ = self.get_bytes(url, params=params, max_bytes=min(self.max_bytes, 64 << 20))
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FetchError(f"返回的不是有效的 JSON：{_short(url)}（{exc}）") from None

    def download(self, url: str, folder: Path, *, suffix: str = "") -> Path:
        """Stream ``url`` into a new file in ``folder``; removed again if anything goes wrong."""
        folder.mkdir(parents=True, exist_ok=True)
        response = self._request(url, None)
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
                for chunk in response.iter_content(_CHUNK):
                    total += len(chunk)
                    if total > self.max_bytes:
                        raise FetchError(
                            f"文件超过大小上限（{self.max_bytes} 字节）：{_short(url)}"
                        )
                    out.write(chunk)
            return path
        except requests.RequestException as exc:
            path.unlink(missing_ok=True)
            raise FetchError(f"下载中断：{_short(url)}（{type(exc).__name__}）") from None
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        finally:
            response.close()

    def _request(self, url: str, params: dict[str, Any] | None) -> requests.Response:
        """The response to GET ``url``, following redirects (each hop checked again)."""
        with guarded_session(self.guard) as session:
            current = url
            for _ in range(MAX_REDIRECTS + 1):
                self._check_target(current)
                response = self._send(session, current, params)
                target = session.get_redirect_target(response)
                if target is None:
                    return response
                response.close()  # a redirect's body is never read
                current, params = urljoin(response.url, target), None
        raise FetchError(f"重定向次数过多（超过 {MAX_REDIRECTS} 次）：{_short(url)}")

    def _check_target(self, url: str) -> None:
        check_url(url)
        if self.hosts:
            try:
                host = parse_url(url).host or ""  # the host urllib3 will connect to
            except LocationParseError:
                raise FetchError(f"地址无效：{_short(url)}") from None
            if not host_matches(host, self.hosts):
                raise FetchError(f"主机不在 {DOWNLOAD_HOSTS} 中：{_short(url)}")

    def _send(
        self, session: requests.Session, url: str, params: dict[str, Any] | None
    ) -> requests.Response:
        """One request, retried on timeouts, failed connections and 429/5xx answers."""
        last: FetchError | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = session.get(
                    url,
                    params=params,
                    timeout=self.timeout,
                    stream=True,
                    headers={"User-Agent": USER_AGENT},
                    allow_redirects=False,
                )
            except RefusedAddress as exc:
                raise FetchError(exc.message) from None
            except requests.Timeout:
                last = FetchError(f"连接超时（{self.timeout:g} 秒）：{_short(url)}")
                continue
            except requests.RequestException as exc:
                last = FetchError(f"无法连接：{_short(url)}（{type(exc).__name__}）")
                continue
            if response.status_code in RETRY_STATUSES:
                response.close()
                last = FetchError(
                    f"来源返回 HTTP {response.status_code}：{_short(url)}", response.status_code
                )
                continue
            if response.status_code >= 400:
                response.close()
                raise FetchError(
                    f"来源返回 HTTP {response.status_code}：{_short(url)}", response.status_code
                )
            return response
        assert last is not None
        raise last


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FetchError(f"只支持 http/https 地址：{_short(url)}")


def is_url(location: str) -> bool:
    return urlsplit(location).scheme in ("http", "https")


def _check_length(response: requests.Response, limit: int, url: str) -> None:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise FetchError(f"文件超过大小上限（{int(length)} > {limit} 字节）：{_short(url)}")


def _short(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"
