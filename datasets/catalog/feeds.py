"""Atom feeds (RFC 4287) of new and updated datasets: the whole catalog, one department, one
topic — CKAN's ``/feeds/dataset.atom``, ``/feeds/organization/<name>.atom`` and
``/feeds/group/<topic>.atom``.

The entries are the newest public datasets as ``package_search`` finds them (sorted by
``metadata_modified``), so a feed lists exactly what search lists. Times are in Asia/Shanghai
with their offset; an entry's id is its dataset page's URL.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from datasets.catalog import services as catalog
from datasets.catalog.datajson_out import dataset_url
from datasets.catalog.published import shanghai_time
from datasets.runtime import Runtime
from datasets.search.query import search_request
from datasets.text import plain_text

ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 30  # entries per feed
SUMMARY_MAX = 500  # characters of the 摘要 in an entry's summary
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the time of a feed without entries


@dataclass(frozen=True)
class Feed:
    """What a feed is about: its title, its own URL and the HTML page it mirrors."""

    title: str
    self_url: str
    page_url: str
    author: str


def feed_packages(
    rt: Runtime,
    *,
    base_url: str,
    organization: str | None = None,
    topic: str | None = None,
    rows: int = ENTRIES,
) -> list[dict[str, Any]]:
    """The newest public package dicts, of one department or topic when named."""
    params: dict[str, Any] = {"sort": "metadata_modified desc", "rows": rows, "facet.field": []}
    if organization:
        params["organization"] = [organization]
    if topic:
        params["topic"] = [topic]
    wanted = search_request(params, now=datetime.now(UTC), max_rows=rows, default_rows=rows)
    return list(catalog.package_search(rt, wanted, base_url=base_url)["results"])


def atom_feed(feed: Feed, packages: list[dict[str, Any]], *, base_url: str) -> bytes:
    """The feed as UTF-8 XML. A feed without entries says it was never updated (the epoch), not
    the moment it was asked for: the same answer until an entry comes, so that a static copy
    is the app's answer."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    _text(root, "id", feed.self_url)
    _text(root, "title", feed.title)
    updated = max((_updated(p) for p in packages), default=None)
    _text(root, "updated", updated or shanghai_time(EPOCH) or "")
    _link(root, feed.self_url, "self", "application/atom+xml")
    _link(root, feed.page_url, "alternate", "text/html")
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", feed.author)
    _text(root, "generator", feed.author)
    for pkg in packages:
        _entry(root, pkg, base_url)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _entry(root: ET.Element, pkg: dict[str, Any], base_url: str) -> None:
    entry = ET.SubElement(root, f"{{{ATOM}}}entry")
    url = dataset_url(base_url, pkg["name"])
    _text(entry, "id", url)
    _text(entry, "title", pkg["title"])
    _text(entry, "updated", _updated(pkg))
    published = shanghai_time(pkg.get("metadata_created"))
    if published:
        _text(entry, "published", published)
    _link(entry, url, "alternate", "text/html")
    author = ET.SubElement(entry, f"{{{ATOM}}}author")
    _text(author, "name", pkg["organization"]["title"])
    if pkg.get("topic"):
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": pkg["topic"]})
    summary = f"{pkg['openness_title']} · {pkg['organization']['title']}"
    notes = plain_text(pkg.get("notes") or "").strip()
    if notes:
        cut = notes if len(notes) <= SUMMARY_MAX else notes[: SUMMARY_MAX - 1] + "…"
        summary += f"\n{cut}"
    _text(entry, "summary", summary)


def _updated(pkg: dict[str, Any]) -> str:
    return shanghai_time(pkg.get("metadata_modified") or pkg.get("metadata_created")) or ""


def _text(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = value


def _link(parent: ET.Element, href: str, rel: str, media: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}link", {"rel": rel, "type": media, "href": href})
