"""What machines read to find the catalog: ``/data.json`` (Project Open Data v1.1), the
sitemaps and ``robots.txt``, and the Atom feeds of new and updated datasets. Every URL in them
is built from the configured base URL (``KAIFANG_BASE_URL``) when there is one."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue

from datasets.catalog import feeds, published, sitemaps
from datasets.catalog.datajson_out import stream_datajson
from datasets.catalog.jsonld import dataset_jsonld, script_json
from datasets.catalog.vocabulary import TOPICS
from datasets.errors import NotFound
from portal.app import base_url, get_runtime

bp = Blueprint("discovery", __name__)

ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _conditional(response: Response) -> ResponseReturnValue:
    """An ETag from the catalog's version and the base URL; a client that holds the same
    document gets 304 and the document is not written again."""
    version = f"{published.catalog_version(get_runtime())}|{base_url()}"
    response.set_etag(hashlib.sha256(version.encode("utf-8")).hexdigest()[:32])
    return response.make_conditional(request)


@bp.get("/data.json")
def datajson() -> ResponseReturnValue:
    rt, base = get_runtime(), base_url()
    body = stream_with_context(stream_datajson(rt, base_url=base))
    return _conditional(Response(body, mimetype="application/json"))


@bp.get("/sitemap.xml")
def sitemap_index() -> ResponseReturnValue:
    body = sitemaps.sitemap_index(get_runtime(), base_url=base_url())
    return Response(body, mimetype="application/xml")


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int) -> ResponseReturnValue:
    part = sitemaps.sitemap_part(get_runtime(), base_url=base_url(), number=number)
    if part is None:
        raise NotFound("没有这一部分站点地图")
    return _conditional(Response(stream_with_context(part), mimetype="application/xml"))


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    return Response(sitemaps.robots_txt(base_url=base_url()), mimetype="text/plain")


def _feed(
    feed: feeds.Feed, *, organization: str | None = None, topic: str | None = None
) -> Response:
    rt, base = get_runtime(), base_url()
    packages = feeds.feed_packages(rt, base_url=base, organization=organization, topic=topic)
    return Response(feeds.atom_feed(feed, packages, base_url=base), content_type=ATOM_TYPE)


def _site_feed(title: str, path: str, page: str) -> feeds.Feed:
    site = get_runtime().settings.site_name
    base = base_url()
    return feeds.Feed(f"{site} · {title}", base + path, base + page, site)


@bp.get("/feeds/dataset.atom")
def dataset_feed() -> ResponseReturnValue:
    page = url_for("catalog.search")
    return _feed(_site_feed("最新数据集", url_for(".dataset_feed"), page))


@bp.get("/feeds/organization/<name>.atom")
def organization_feed(name: str) -> ResponseReturnValue:
    title = published.department_title(get_runtime(), name)
    if title is None:
        raise NotFound("未找到该部门")
    path = url_for(".organization_feed", name=name)
    page = url_for("catalog.organization", name=name)
    return _feed(_site_feed(f"{title}最新数据集", path, page), organization=name)


@bp.get("/feeds/group/<topic>.atom")
def topic_feed(topic: str) -> ResponseReturnValue:
    rt = get_runtime()
    packages = feeds.feed_packages(rt, base_url=base_url(), topic=topic, rows=1)
    if topic not in TOPICS and not packages:
        raise NotFound("未找到该主题")
    path = url_for(".topic_feed", topic=topic)
    page = url_for("catalog.search", topic=topic)
    return _feed(_site_feed(f"{topic}主题最新数据集", path, page), topic=topic)


def page_jsonld(pkg: dict[str, Any], *, listed: bool) -> str | None:
    """The schema.org JSON-LD of a dataset page, for datasets ``listed`` in the public catalog
    only (a held dataset an operator looks at has none)."""
    rt = get_runtime()
    if not listed:
        return None
    data = dataset_jsonld(pkg, base_url=base_url(), site_name=rt.settings.site_name)
    return script_json(data)
