"""Counting a use of a dataset from a request (``datasets.catalog.usage``): a page view, a
download or an API call. Called after the answer is known to succeed; HEAD requests and the
static build's own renders (``kaifang.uncounted`` in the WSGI environment) do not count."""

from __future__ import annotations

from flask import request

from datasets.catalog import usage
from portal.app import get_runtime

UNCOUNTED = "kaifang.uncounted"


def count(kind: str, dataset: str | None = None, *, resource_id: str | None = None) -> None:
    """One use of ``kind`` of the dataset named (id or name) or of the file's dataset."""
    if request.method not in ("GET", "POST") or request.environ.get(UNCOUNTED):
        return
    ref = usage.RESOURCE + resource_id if resource_id else dataset
    if ref:
        usage.counters(get_runtime()).hit(kind, ref)
