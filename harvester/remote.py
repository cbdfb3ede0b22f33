"""What the catalog kinds ``dcat`` and ``datajson`` share: reading a catalog from a URL or a
local file, turning distributions into remote ``FileRecord``s, and downloading those into a
staging folder of their own when the catalog asks for them.

Only http(s) distributions are ever downloaded, always through the kind's ``HttpClient`` (which
refuses internal addresses other than the source's own origin, and checks ``download_hosts``
again on every redirect); everything else a catalog lists (landing pages, APIs, local or relative
paths, hosts outside ``download_hosts``) is kept with the entry under ``未下载资源`` instead.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from datasets.errors import SourceError, ValidationError
from datasets.intake.records import FileRecord
from datasets.runtime import Runtime
from harvester.addresses import host_matches
from harvester.base import NOT_DOWNLOADED as NOT_DOWNLOADED
from harvester.base import SourceConfig, SourceKind
from harvester.http import DOWNLOAD_HOSTS, HttpClient, is_url
from harvester.normalise import storable
from harvester.remote_formats import file_format, looks_like_file

PROVIDER = "provider"  # the department to record when an entry names no publisher
MAX_UNNORMALISED = 500  # characters kept of one value the catalog could not map
MAX_LISTED = 50  # distributions listed under 未下载资源


def check_location(location: str, *, what: str) -> str:
    """An http(s) URL as given, or an existing local file (resolved)."""
    location = location.strip()
    if is_url(location):
        parts = urlsplit(location)
        if not parts.netloc:
            raise SourceError(f"{what}地址无效：{location}")
        return location
    if "://" in location:
        raise SourceError(f"{what}须为 http/https 地址或本地文件：{location}")
    path = Path(location).expanduser()
    if not path.is_file():
        raise SourceError(f"{what}不存在或不是文件：{location}")
    return str(path.resolve())


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str  # without parameters, lower case; "" for local files
    name: str  # the URL or the file path, for messages
    base: str  # what relative references resolve against: the URL or the file's URI


def read_document(client: HttpClient, location: str, *, what: str) -> Document:
    """The bytes of a catalog at a URL (read with the source's ``client``) or a local path;
    ``SourceError`` with one line if it cannot be read."""
    limit = min(client.max_bytes, 256 << 20)
    if is_url(location):
        body, content_type = client.get_bytes(location, max_bytes=limit)
        return Document(body, content_type.split(";")[0].strip().lower(), location, location)
    path = Path(location)
    try:
        size = path.stat().st_size
        if size > limit:
            raise SourceError(f"{what}超过大小上限（{size} > {limit} 字节）：{location}")
        body = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{what}无法读取：{location}（{exc.strerror or exc}）") from None
    return Document(body, "", str(path), path.resolve().as_uri())


def fit_identifier(identifier: str) -> str:
    """Identifiers are stored in 300 characters; longer ones keep a hash of the rest."""
    identifier = storable(identifier)
    if len(identifier) <= 300:
        return identifier
    digest = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:16]
    return identifier[:280] + "#" + digest


def one_line(text: object, limit: int = 300) -> str:
    """Text on one line, cut at ``limit`` characters."""
    flat = re.sub(r"\s+", " ", storable(str(text))).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def truncate(text: str, limit: int = MAX_UNNORMALISED) -> str:
    text = storable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _TextOnly(HTMLParser):
    _BREAKS = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")


def html_to_text(value: str | None) -> str | None:
    """Descriptions that are HTML (ArcGIS Hub, Socrata) as plain text; other text unchanged."""
    if not value or not _TAG.search(value):
        return value
    parser = _TextOnly()
    try:
        parser.feed(value)
        parser.close()
    except Exception:  # noqa: BLE001 — fall back to the raw text rather than lose it
        return value
    text = html.unescape("".join(parser.parts))
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def http_url(value: str | None) -> str | None:
    """``value`` when it is an absolute http(s) URL with a host, else ``None``."""
    if not value:
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:  # "http://[::1": an unclosed IPv6 address
        return None
    if parts.scheme.lower() in ("http", "https") and hostname:
        return value
    return None


@dataclass(frozen=True)
class Distribution:
    """One distribution as a catalog describes it, before we decide whether to download it."""

    download_url: str | None = None
    access_url: str | None = None
    title: str | None = None
    description: str | None = None
    format: str | None = None
    media_type: str | None = None
    fingerprint: tuple[str, ...] = ()  # what the catalog says of the content


def parse_hosts(value: str | None) -> tuple[str, ...]:
    return tuple(h.strip().lower() for h in re.split(r"[,\s;]+", value or "") if h.strip())


def host_allowed(url: str, hosts: tuple[str, ...]) -> bool:
    return not hosts or host_matches(urlsplit(url).hostname or "", hosts)


def check_download_hosts(config: dict[str, str]) -> dict[str, str]:
    if DOWNLOAD_HOSTS in config:
        hosts = parse_hosts(config[DOWNLOAD_HOSTS])
        bad = [h for h in hosts if not re.fullmatch(r"\.?[a-z0-9.\-\[\]:]+", h)]
        if bad:
            raise ValidationError(
                f"{DOWNLOAD_HOSTS} 须为以逗号分隔的主机名：{'、'.join(bad)}",
                {"config": [DOWNLOAD_HOSTS]},
            )
        config = {**config, DOWNLOAD_HOSTS: ",".join(hosts)}
    return config


def remote_files(
    distributions: list[Distribution], *, hosts: tuple[str, ...] = ()
) -> tuple[tuple[FileRecord, ...], list[str]]:
    """The distributions to download as ``FileRecord(path=None)``, and one line for each of
    the others saying what it is and why it is not downloaded."""
    files: list[FileRecord] = []
    skipped: list[str] = []
    names: set[str] = set()
    for n, dist in enumerate(distributions, start=1):
        url, reason = _choose_url(dist)
        if url is not None and len(url) > 1000:
            url, reason = None, "地址过长"
        if url is not None and not host_allowed(url, hosts):
            url, reason = None, f"主机不在 {DOWNLOAD_HOSTS} 中"
        label = one_line(dist.title or dist.format or dist.media_type or f"资源 {n}", 100)
        if url is None:
            shown = dist.download_url or dist.access_url or "无地址"
            skipped.append(truncate(f"{label}：{shown}（{reason}）"))
            continue
        fmt = file_format(dist.format, dist.media_type, url)
        name = _unique(_file_name(dist.title, url, n), names, url)
        parts = [p for p in dist.fingerprint if p] + [url]
        files.append(
            FileRecord(
                path=None,
                name=name,
                format=fmt,
                title=one_line(dist.title, 200) if dist.title else "",
                description=dist.description or "",
                media_type=_short_media_type(dist.media_type),
                source_url=url,
                fingerprint=hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest(),
            )
        )
    if len(skipped) > MAX_LISTED:
        skipped = skipped[:MAX_LISTED] + [f"……另有 {len(skipped) - MAX_LISTED} 项"]
    return tuple(files), skipped


def _choose_url(dist: Distribution) -> tuple[str | None, str]:
    download = http_url(dist.download_url)
    if download:
        return download, ""
    access = http_url(dist.access_url)
    if access and looks_like_file(access, dist.media_type):
        return access, ""
    if dist.download_url:
        return None, "下载地址不是 http/https 地址，只下载 http/https 资源"
    if dist.access_url and not access:
        return None, "访问地址不是 http/https 地址，只下载 http/https 资源"
    if access:
        return None, "访问地址不是数据文件（网页、接口或服务）"
    return None, "没有下载地址"


def _short_media_type(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if "://" in value:
        match = re.search(r"media-types/(.+)$", value)
        value = match.group(1) if match else value
    return value[:100] or None


def _file_name(title: str | None, url: str, n: int) -> str:
    if title and title.strip():
        return one_line(title, 200)
    base = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return one_line(base, 200) or f"资源 {n}"


def _unique(name: str, taken: set[str], url: str) -> str:
    candidate, k = name, 2
    base = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    if candidate in taken and base and base != name:
        candidate = f"{name}（{one_line(base, 80)}）"
    while candidate in taken:
        candidate = f"{name}（{k}）"
        k += 1
    taken.add(candidate)
    return candidate


def _sniff(path: Path) -> str | None:
    """What the first bytes of a download say it is: html, xlsx (a zip) or xls (OLE)."""
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


class RemoteCatalogKind(SourceKind):
    """What the catalog kinds read from a URL or a file share: the location check, the
    ``download_hosts`` setting and downloads into a folder of their own."""

    what = "目录"  # how messages name the location

    def __init__(self, source: SourceConfig, rt: Runtime) -> None:
        super().__init__(source, rt)
        self._hosts = parse_hosts(source.config.get(DOWNLOAD_HOSTS))

    @classmethod
    def check_location(cls, location: str) -> str:
        return check_location(location, what=cls.what)

    @classmethod
    def check_config(cls, config: dict[str, str]) -> dict[str, str]:
        return check_download_hosts(super().check_config(config))

    def download_client(self) -> HttpClient:
        return self.http.only_hosts(self._hosts)

    def accept_download(self, file: FileRecord, path: Path) -> FileRecord | str:
        """A download that turns out to be a web page is dropped and listed under 未下载资源;
        an Excel file is kept under the format its bytes say (xls or xlsx)."""
        sniffed = _sniff(path)
        if sniffed == "html" and file.format not in ("html", "htm", "xml", "txt"):
            path.unlink(missing_ok=True)
            return truncate(f"{file.name}：{file.source_url}（下载到的是网页，不是数据文件）")
        if file.format in ("xls", "xlsx") and sniffed in ("xls", "xlsx"):
            file = replace(file, format=sniffed)
        return replace(file, path=path)
