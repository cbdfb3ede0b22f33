"""The DCAT documents the leak crawler reads (``tests/leaks.py``): every page of the catalog in
every format, and every dataset's RDF in every format (404 for those the catalog leaves out)."""

from __future__ import annotations

from collections.abc import Iterable

from datasets.catalog.dcat_catalog import PAGE_SIZE, RDF_FORMATS


def dcat_urls(client, names: Iterable[str]) -> list[str]:  # type: ignore[no-untyped-def]
    total = client.get("/api/3/action/package_search?rows=0").get_json()["result"]["count"]
    pages = max(1, -(-total // PAGE_SIZE))
    urls = [f"/catalog.{suffix}?page={n}" for suffix in RDF_FORMATS for n in range(1, pages + 1)]
    for name in names:
        urls += [f"/dataset/{name}.{suffix}" for suffix in ("ttl", "jsonld", "rdf")]
    return urls
