"""Counting a use of a dataset from a request (``datasets.catalog.usage``): a page view, a
download or an API call. Called after the answer is known to succeed; HEAD requests, the static
build's own renders (``kaifang.uncounted`` in the WSGI environment) and crawlers that say what
they are in their User-Agent (search engines, archivers, link previews) do not count."""

from __future__ import annotations

import re

from flask import request

from datasets.catalog import usage
from portal.app import get_runtime

UNCOUNTED = "kaifang.uncounted"
# the words crawlers put in their User-Agent (Googlebot, Baiduspider, bingbot, Sogou web
# spider, YisouSpider, Bytespider, ia_archiver, facebookexternalhit, Slurp …)
CRAWLER = re.compile(r"bot\b|bot/|spider|crawl|slurp|archiver|externalhit|preview", re.I)


def is_crawler(user_agent: str) -> bool:
    """Whether a User-Agent names a crawler."""
    return bool(CRAWLER.search(user_agent[:512]))


def count(kind: str, dataset: str | None = None, *, resource_id: str | None = None) -> None:
    """One use of ``kind`` of the dataset named (id or name) or of the file's dataset."""
    if request.method not in ("GET", "POST") or request.environ.get(UNCOUNTED):
        return
    if is_crawler(request.headers.get("User-Agent", "")):
        return
    ref = usage.RESOURCE + resource_id if resource_id else dataset
    if ref:
        usage.counters(get_runtime()).hit(kind, ref)
