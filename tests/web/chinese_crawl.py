"""A crawler reading every HTML page a client reaches from the home page (and a few starting
points of its role), for words people read that are not Chinese.

What people read is the text of the page and its ``title``, ``alt``, ``aria-label`` and
``placeholder`` attributes, without scripts and styles and without code (``code``, ``pre``,
``kbd``, ``samp``: API names, identifiers and code samples are shown as code). A word is a run
of Latin letters; words holding a digit or an underscore are codes (references, user names,
licence codes), URLs and e-mail addresses are left out, and ``ALLOWED`` lists the names of
formats, standards and interfaces that have no Chinese name. Times must be Shanghai times:
no ISO timestamp (``2026-12-07T01:30``) and no "UTC" in the text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

# names without a Chinese equivalent: formats, standards, protocols, interfaces; units and the
# abbreviations the departments' descriptions use (mg/L, hPa, AQI, HJ 633 standards, SC licences)
_ALLOWED_WORDS = """
    API APIs CSV TSV JSON JSONL GeoJSON XLSX XLS ODS XML PDF DOC DOCX ZIP HTML HTTP HTTPS URL URI
    ID SQL CKAN DCAT DCAT-AP RDF Turtle TTL JSON-LD SHACL Atom RSS OpenAPI Swagger ASCII UTF
    DataStore CC BY CC-BY SA NC ND Creative Commons
    data.json sitemap sitemaps robots.txt GET POST Authorization Bearer SHA HMAC PNG JPG JPEG
    Excel Word WPS CSRF IP E-mail email GB KB MB TB NDJSON BOM App
    mg km kW hPa mm pH CO AQI GDP PM YYYYMMDD YYYY-MM HJ SC
"""
ALLOWED = frozenset(_ALLOWED_WORDS.split())
_ALLOWED_UPPER = frozenset(word.upper() for word in ALLOWED)
SKIPPED_TAGS = {"script", "style", "code", "pre", "kbd", "samp", "textarea"}
# tables of the departments' data (previews, the row browser): their cells are data, not words
DATA_TABLES = {"preview-table", "rows-table"}
READ_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")
_NOISE = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|/[\w./?=&%-]*[\w/]"  # URLs, mails, paths
)
# a word starts after no letter or digit: the letters inside an id (3f00ff) are not words
_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9_]*(?:[-.'][A-Za-z0-9_]+)*")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\bUTC\b")
# not HTML pages, or pages that change state or only send files
_SKIP_PATHS = re.compile(
    r"^/(?:static|feeds|download)/|/download/|^/api/(?!$)|^/logout|\.(?:csv|json|jsonld|xml|ttl|"
    r"rdf|atom|txt|xlsx|geojson|zip)$|^/sitemap"
)
# the developer center documents the API itself: its identifiers and code samples are its words
DEVELOPER_PAGES = re.compile(r"^/api$")
_VARIANTS_PER_PATH = 3  # query-string variants followed per path (facets multiply fast)


class _Reader(HTMLParser):
    """The text people read on a page, and the links of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.tables: list[bool] = []  # open tables: whether each holds data
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag == "table":
            data = bool(DATA_TABLES & set((values.get("class") or "").split()))
            self.tables.append(data)
            self.skipping += data
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        elif not self.skipping:
            self.text.extend(values[a] or "" for a in READ_ATTRIBUTES if values.get(a))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1
        if tag == "table" and self.tables and self.tables.pop():
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.text.append(data)


def english_words(text: str) -> list[str]:
    """The words of ``text`` that are neither Chinese, codes nor ``ALLOWED`` names."""
    words = []
    for word in _WORD.findall(_NOISE.sub(" ", text)):
        if len(word) < 2 or re.search(r"[\d_]", word) or word in ALLOWED:
            continue
        if word.upper() in _ALLOWED_UPPER or word.rstrip(".") in ALLOWED:
            continue
        words.append(word)
    return words


def read_page(html: str) -> tuple[str, list[str]]:
    reader = _Reader()
    reader.feed(html)
    return " ".join(reader.text), reader.links


def _key(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.path, query


def crawl(client: Any, starts: Iterable[str], *, limit: int = 2000) -> dict[str, Any]:
    """Visit every page reachable from ``starts``; returns the pages read and, per page, the
    English words and the timestamps found (``{"pages": n, "words": {url: [...]}, ...}``)."""
    queue = list(starts)
    seen: set[tuple[str, str]] = set()
    variants: dict[str, int] = defaultdict(int)
    found: dict[str, list[str]] = {}
    times: dict[str, list[str]] = {}
    pages = 0
    while queue and pages < limit:
        url = queue.pop(0)
        path, query = _key(url)
        if (path, query) in seen or _SKIP_PATHS.search(path) or "format=" in query:
            continue
        if query and variants[path] >= _VARIANTS_PER_PATH:
            continue
        seen.add((path, query))
        variants[path] += 1 if query else 0
        response = client.get(path + (f"?{query}" if query else ""))
        if 300 <= response.status_code < 400:  # follow it (a redirect's body is no page)
            target = urlsplit(response.location)
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
            continue
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        pages += 1
        text, links = read_page(response.get_data(as_text=True))
        if (words := english_words(text)) and not DEVELOPER_PAGES.match(path):
            found[url] = words
        if stamps := _TIMESTAMP.findall(text):
            times[url] = stamps
        for link in links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return {"pages": pages, "words": found, "times": times, "seen": seen}


def report(found: dict[str, list[str]], most: int = 40) -> str:
    """The English words found, each with the first pages it stands on."""
    where: dict[str, list[str]] = defaultdict(list)
    for url, words in found.items():
        for word in dict.fromkeys(words):
            where[word].append(url)
    lines = [
        f"{word}: {len(urls)} 页，如 {', '.join(urls[:3])}"
        for word, urls in sorted(where.items(), key=lambda kv: -len(kv[1]))
    ]
    return "\n".join(lines[:most])
