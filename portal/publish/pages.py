"""Which URLs the static tree holds and how each is rendered: by the app itself, as an anonymous
visitor with no cookie, so a static page is the dynamic one by construction.

A URL with a query string is written only where the web server can map it back safely
(``package_show?id=<name>`` → ``_q/api/3/action/package_show/<name>.json``, a folder nginx
never serves by its own URL); every other query string goes to the app. A page the app answers
with anything but 200, with a cookie, not to be stored, or with a form carrying a CSRF token (it
would belong to no session) is left to the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from flask import Flask

from datasets.catalog.sitemaps import part_count
from datasets.errors import KaifangError
from datasets.publish.sources import SAFE_NAME
from datasets.publish.tree import METADATA_SUFFIXES, QUERIED, relative_path
from datasets.runtime import Runtime

# pages that depend on neither the catalog's version nor a dataset: written by every build
# (the statistics of a catalog past ``build.DOCUMENTS_INLINE`` datasets: by full builds only)
STATISTICS = "/transparency/stats"
SITE_PAGES = (
    "/rules",
    "/services",
    "/transparency",
    STATISTICS,
    "/api",
    "/api/index.json",
    "/robots.txt",
)
ACTION = "/api/3/action/"


@dataclass(frozen=True)
class Page:
    url: str  # path and query string, as requested from the app
    file: str  # the file inside the tree


def page(url: str) -> Page:
    """A URL without a query string, at the file nginx's ``try_files`` finds for it."""
    return Page(url, relative_path(url))


def action_page(action: str, name: str) -> Page | None:
    """``/api/3/action/<action>?id=<name>`` at ``_q/api/3/action/<action>/<name>.json``, for
    the names nginx maps (``SAFE_NAME``)."""
    if not SAFE_NAME.fullmatch(name):
        return None
    return Page(f"{ACTION}{action}?id={name}", f"{QUERIED}api/3/action/{action}/{name}.json")


def dataset_pages(name: str) -> list[Page]:
    """A dataset's page and its package_show twin."""
    twin = action_page("package_show", name)
    page_ = Page(f"/dataset/{quote(name)}", relative_path(f"/dataset/{name}"))
    return [page_, twin] if twin else [page_]


def dataset_documents(name: str) -> dict[str, Page]:
    """A dataset's DCAT documents by suffix (written from one graph, see ``build``)."""
    return {
        suffix: Page(f"/dataset/{quote(name)}.{suffix}", relative_path(f"/dataset/{name}.{suffix}"))
        for suffix in METADATA_SUFFIXES
    }


def document_pages(rt: Runtime) -> Iterator[Page]:
    """The documents of the whole catalog, whose cost grows with it: data.json, the DCAT
    catalog's first page, the sitemaps, 开放清单."""
    yield page("/data.json")
    yield from (page(f"/catalog.{s}") for s in (*METADATA_SUFFIXES, "xml"))
    yield page("/sitemap.xml")
    yield from (page(f"/sitemap-{n}.xml") for n in range(1, part_count(rt) + 1))
    yield page("/transparency/open-list.csv")


def list_pages(rt: Runtime) -> Iterator[Page]:
    """The pages that list the newest of the whole catalog (a page of results each): written
    again whenever its version changes. The lists of departments: ``department_list_pages``;
    a department's own pages: ``organization_pages``; a topic's feed: ``topic_pages``."""
    yield from (page(u) for u in ("/", "/search", "/feeds/dataset.atom"))


def department_list_pages(rt: Runtime) -> Iterator[Page]:
    """The list of departments and its JSON twins, written again when a department or the
    number of its datasets changed."""
    yield page("/organization/")
    yield Page(f"{ACTION}organization_list", f"{QUERIED}api/3/action/organization_list.json")
    yield Page(
        f"{ACTION}organization_list?all_fields=true",
        f"{QUERIED}api/3/action/organization_list.all_fields.json",
    )


def topic_pages(topic: str) -> list[Page]:
    """A topic's feed."""
    return [Page(f"/feeds/group/{quote(topic)}.atom", relative_path(f"/feeds/group/{topic}.atom"))]


def organization_pages(name: str) -> list[Page]:
    """A department's page, its feed and its organization_show twin."""
    pages = [
        Page(f"/organization/{quote(name)}", relative_path(f"/organization/{name}")),
        Page(
            f"/feeds/organization/{quote(name)}.atom",
            relative_path(f"/feeds/organization/{name}.atom"),
        ),
    ]
    twin = action_page("organization_show", name)
    return [*pages, twin] if twin else pages


def render(app: Flask, url: str, base_url: str) -> bytes | None:
    """The body the app answers an anonymous GET of ``url`` with, or None when that answer
    must stay dynamic (not 200, a cookie set, not to be stored, a CSRF token in it)."""
    client = app.test_client(use_cookies=False)
    # the build's own renders are not uses of the datasets (portal.usage)
    response = client.get(url, base_url=base_url, environ_overrides={"kaifang.uncounted": True})
    try:
        if response.status_code == 429 or response.status_code >= 500:
            # never a page left out by chance: the build stops and says why
            raise KaifangError(f"静态构建未能生成 {url}：应用返回 {response.status}")
        if response.status_code != 200 or "Set-Cookie" in response.headers:
            return None
        if "no-store" in response.headers.get("Cache-Control", ""):
            return None
        body = response.get_data()
    finally:
        response.close()
    if b'name="csrf_token"' in body:
        return None
    return body
