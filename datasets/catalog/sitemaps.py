"""``/sitemap.xml`` (a sitemap index), its parts ``/sitemap-<n>.xml`` and ``/robots.txt``.

The sitemaps list every public page and nothing else: the home page, the search page without
parameters, the departments, every public dataset page (what ``package_list`` lists), the
openness rules, the public services and transparency pages and the 开发者中心. No search
permutation, no hidden dataset. Each part holds at most ``MAX_URLS`` URLs (the protocol's
50,000); a part is written as it is read, in batches. ``lastmod`` is the W3C datetime (Asia/
Shanghai) of the page's last change: a dataset's metadata, a department's newest dataset, and
for the other pages the catalog's newest change.

``robots.txt`` points to the sitemap and keeps crawlers out of search-result permutations
(query strings of the search, department and row pages), sign-in, forms, workspaces and API
actions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote
from xml.sax.saxutils import escape

from datasets.catalog.published import (
    department_count,
    department_stamps,
    latest_change,
    page_stamps,
    public_count,
    shanghai_time,
)
from datasets.runtime import Runtime

MAX_URLS = 50_000
NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# the public pages besides departments and datasets (paths of the portal)
PAGES = (
    "/",
    "/search",
    "/organization/",
    "/rules",
    "/services",
    "/transparency",
    "/transparency/stats",
    "/api",
)
DISALLOWED = (
    "/search?",
    "/*?*q=",
    "/*?*sort=",
    "/*?*fq=",
    "/*?*organization=",
    "/*?*topic=",
    "/*?*groups=",
    "/*?*tags=",
    "/*?*openness=",
    "/*?*res_format=",
    "/*?*update_cycle=",
    "/*?*license_id=",
    "/dataset/*/resource/*/rows",
    "/login",
    "/logout",
    "/register",
    "/account",
    "/notifications",
    "/services/",
    "/workspace",
    "/bureau",
    "/admin/",
    "/api/3/",
    "/api/action/",
    "/api/v1/",
)


def _others(rt: Runtime) -> list[tuple[str, datetime | None]]:
    """(path, last change) of the pages listed before the datasets."""
    latest = latest_change(rt)
    pages = [(path, latest) for path in PAGES]
    pages += [
        (f"/organization/{quote(name)}", stamp or latest) for name, stamp in department_stamps(rt)
    ]
    return pages


def part_count(rt: Runtime) -> int:
    total = len(PAGES) + department_count(rt) + public_count(rt)
    return max(1, -(-total // MAX_URLS))


def sitemap_index(rt: Runtime, *, base_url: str) -> str:
    base = base_url.rstrip("/")
    stamp = shanghai_time(latest_change(rt))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{NS}">']
    for n in range(1, part_count(rt) + 1):
        lastmod = f"<lastmod>{stamp}</lastmod>" if stamp else ""
        lines.append(f"<sitemap><loc>{escape(base)}/sitemap-{n}.xml</loc>{lastmod}</sitemap>")
    lines.append("</sitemapindex>\n")
    return "\n".join(lines)


def sitemap_part(rt: Runtime, *, base_url: str, number: int) -> Iterator[str] | None:
    """Part ``number`` (from 1) in pieces, or ``None`` when there is no such part."""
    if number < 1 or number > part_count(rt):
        return None
    return _part(rt, base_url.rstrip("/"), number)


def _part(rt: Runtime, base: str, number: int) -> Iterator[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NS}">\n'
    first = (number - 1) * MAX_URLS
    others = _others(rt)
    shown = others[first : first + MAX_URLS]
    for path, stamp in shown:
        yield _url(base + path, stamp)
    left = MAX_URLS - len(shown)
    offset = max(0, first - len(others))
    for name, stamp in page_stamps(rt, offset=offset, limit=left):
        yield _url(f"{base}/dataset/{quote(name)}", stamp)
    yield "</urlset>\n"


def _url(loc: str, stamp: datetime | None) -> str:
    lastmod = shanghai_time(stamp)
    tail = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(loc)}</loc>{tail}</url>\n"


def robots_txt(*, base_url: str) -> str:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "Allow: /"]
    lines += ["", f"Sitemap: {base_url.rstrip('/')}/sitemap.xml", ""]
    return "\n".join(lines)
