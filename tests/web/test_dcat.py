"""The DCAT-AP catalog and each dataset's RDF: valid against the DCAT-AP SHACL shapes, paged with
Hydra, only public datasets, only public files, URIs from the configured base URL, and content
negotiation on the dataset's own URL."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH
from sqlalchemy import select

from datasets.catalog import dcat_catalog
from datasets.catalog.dcat_out import HYDRA, SPDX
from datasets.intake.public_root import public_now
from datasets.models import Dataset, Resource
from portal.app import create_app
from tests.conftest import REALDATA

SHACL = REALDATA / "dcat-ckanext-dcat" / "shacl"
PARSERS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml", "xml": "xml"}


def read_catalog(client: Any, suffix: str = "ttl") -> tuple[Graph, list[str]]:
    """Every page of the catalog, following hydra:next from the first, merged."""
    merged, pages = Graph(), []
    url: str | None = f"/catalog.{suffix}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        page = Graph().parse(data=response.get_data(), format=PARSERS[suffix])
        merged += page
        pages.append(url)
        nexts = list(page.objects(None, HYDRA.next))
        url = str(nexts[0]).removeprefix("http://localhost") if nexts else None
        assert len(pages) < 100
    return merged, pages


def shapes(*names: str, drop_sha1: bool = False) -> Graph:
    graph = Graph()
    for name in names:
        graph.parse(SHACL / name)
    if drop_sha1:
        # DCAT-AP 2.1.1 accepts only SHA-1 checksums; DCAT-AP 3 lifted that. We publish the
        # SHA-256 we store (checked against the DCAT-AP 3 shapes below).
        graph.remove((None, SH.hasValue, SPDX.checksumAlgorithm_sha1))
    return graph


def violations(
    data: Graph, shapes_graph: Graph, inference: str = "none", *, besides: tuple[Any, ...] = ()
) -> tuple[int, str]:
    """The number of violations (leaving out those on the paths ``besides``) and the report."""
    from pyshacl import validate

    _, report, text = validate(data, shacl_graph=shapes_graph, inference=inference)
    found = [
        r
        for r in report.subjects(SH.resultSeverity, SH.Violation)
        if report.value(r, SH.resultPath) not in besides
    ]
    return len(found), text


def public_names(rt: Any) -> set[str]:
    with rt.reader() as session:
        return set(session.scalars(select(Dataset.name).where(public_now())))


def test_whole_catalog_conforms_to_dcat_ap_2_1_1(client, demo_rt):  # type: ignore[no-untyped-def]
    graph, _ = read_catalog(client)
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == len(public_names(demo_rt))
    ap2 = shapes(
        "dcat-ap_2.1.1_shacl_shapes.ttl",
        "dcat-ap_2.1.1_shacl_range.ttl",
        "dcat-ap_2.1.1_shacl_shapes_recommended.ttl",
        drop_sha1=True,
    )
    count, text = violations(graph, ap2)
    assert count == 0, text
    # DCAT-AP 3 (with RDFS inference, as its shapes expect) accepts our SHA-256 checksums; its
    # byteSize is an xsd:nonNegativeInteger where 2.1.1 wants an xsd:decimal, so that is left out
    ap3 = shapes("dcat-ap_3_shacl_shapes.ttl")
    count, text = violations(graph, ap3, inference="rdfs", besides=(DCAT.byteSize,))
    assert count == 0, text


def test_every_format_carries_the_same_catalog(client):  # type: ignore[no-untyped-def]
    turtle, _ = read_catalog(client, "ttl")
    for suffix in ("jsonld", "rdf", "xml"):
        graph, _ = read_catalog(client, suffix)
        assert len(graph) == len(turtle), suffix
        assert set(graph.subjects(RDF.type, DCAT.Dataset)) == set(
            turtle.subjects(RDF.type, DCAT.Dataset)
        )


def test_only_public_datasets_and_public_files(client, demo_rt):  # type: ignore[no-untyped-def]
    graph, _ = read_catalog(client)
    listed = {str(o) for o in graph.objects(None, DCTERMS.identifier) if isinstance(o, Literal)}
    assert public_names(demo_rt) <= listed
    with demo_rt.reader() as session:
        hidden = set(session.scalars(select(Dataset.name).where(~public_now())))
        private = set(
            session.scalars(select(Resource.sha256).where(Resource.storage_root == "private"))
        ) - set(session.scalars(select(Resource.public_sha256)))
        open_ids = set(
            session.scalars(
                select(Resource.id)
                .join(Dataset)
                .where(public_now(), Resource.public_key.is_not(None))
            )
        )
    assert not hidden & listed
    sums = {str(o) for o in graph.objects(None, SPDX.checksumValue)}
    assert sums and not sums & private
    distributions = {str(d).rsplit("/", 1)[-1] for d in graph.subjects(RDF.type, DCAT.Distribution)}
    assert distributions and distributions <= open_ids
    for right, label in (
        (URIRef(dcat_out_eu("RESTRICTED")), "conditional"),
        (URIRef(dcat_out_eu("NON_PUBLIC")), "closed"),
    ):
        for ds in graph.subjects(DCTERMS.accessRights, right):
            assert not list(graph.objects(ds, DCAT.distribution)), (label, ds)


def dcat_out_eu(code: str) -> str:
    return f"http://publications.europa.eu/resource/authority/access-right/{code}"


def test_hydra_pages(client, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(dcat_catalog, "PAGE_SIZE", 25)
    graph, pages = read_catalog(client)
    assert len(pages) == 3
    second = Graph().parse(data=client.get("/catalog.ttl?page=2").get_data(), format="turtle")
    view = URIRef("http://localhost/catalog.ttl?page=2")
    assert (view, RDF.type, HYDRA.PartialCollectionView) in second
    for pred, page in ((HYDRA.first, 1), (HYDRA.previous, 1), (HYDRA.next, 3), (HYDRA.last, 3)):
        assert second.value(view, pred) == URIRef(f"http://localhost/catalog.ttl?page={page}")
    assert len(list(second.subjects(RDF.type, DCAT.Dataset))) == 25
    assert client.get("/catalog.ttl?page=4").status_code == 404
    assert client.get("/catalog.ttl?page=0").status_code == 400
    assert client.get("/catalog.ttl?page=x").status_code == 400


def test_content_negotiation_on_the_dataset_url(client):  # type: ignore[no-untyped-def]
    for accept, mime in (
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
    ):
        response = client.get("/dataset/jiangzhou-bus-lines", headers={"Accept": accept})
        assert response.mimetype == mime and "Accept" in response.headers["Vary"]
        graph = Graph().parse(
            data=response.get_data(),
            format=PARSERS[
                {"text/turtle": "ttl", "application/ld+json": "jsonld"}.get(mime, "rdf")
            ],
        )
        assert (
            URIRef("http://localhost/dataset/jiangzhou-bus-lines"),
            RDF.type,
            DCAT.Dataset,
        ) in graph
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = client.get("/dataset/jiangzhou-bus-lines", headers={"Accept": browser})
    assert page.mimetype == "text/html" and "Accept" in page.headers["Vary"]
    for suffix, mime in (
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("rdf", "application/rdf+xml"),
    ):
        assert client.get(f"/dataset/jiangzhou-bus-lines.{suffix}").mimetype == mime


def test_hidden_datasets_have_no_rdf(client, demo_rt):  # type: ignore[no-untyped-def]
    with demo_rt.reader() as session:
        hidden = list(session.scalars(select(Dataset.name).where(~public_now())))
    assert hidden  # the demo's quarantined datasets
    for name in hidden:
        assert client.get(f"/dataset/{name}.ttl").status_code == 404
        answer = client.get(f"/dataset/{name}", headers={"Accept": "text/turtle"})
        assert answer.mimetype != "text/turtle"


def test_uris_come_from_the_configured_base_url(demo_rt):  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "instance": str(demo_rt.paths.root),
            "ratelimit_enabled": False,
            "base_url": "https://data.jiangzhou.gov.cn/",
        }
    )
    response = app.test_client().get("/catalog.ttl", headers={"Host": "evil.example"})
    text = response.get_data(as_text=True)
    assert "evil.example" not in text
    graph = Graph().parse(data=text, format="turtle")
    ds = URIRef("https://data.jiangzhou.gov.cn/dataset/jiangzhou-bus-lines")
    assert (ds, RDF.type, DCAT.Dataset) in graph
    downloads = [str(u) for u in graph.objects(None, DCAT.downloadURL)]
    assert downloads and all(
        u.startswith("https://data.jiangzhou.gov.cn/dataset/") for u in downloads
    )


@pytest.mark.parametrize("suffix", ["ttl", "jsonld", "rdf"])
def test_chinese_text_is_tagged(client, suffix):  # type: ignore[no-untyped-def]
    body = client.get(f"/dataset/jiangzhou-bus-lines.{suffix}").get_data()
    graph = Graph().parse(data=body, format=PARSERS[suffix])
    title = graph.value(URIRef("http://localhost/dataset/jiangzhou-bus-lines"), DCTERMS.title)
    assert isinstance(title, Literal) and title.language == "zh" and str(title) == "公交线路信息"


def test_a_page_is_read_in_a_fixed_number_of_queries(demo_rt):  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(demo_rt.engine, "before_cursor_execute", count)
    try:
        document = dcat_catalog.catalog_page(demo_rt, page=1, base_url="http://x", suffix="ttl")
    finally:
        event.remove(demo_rt.engine, "before_cursor_execute", count)
    assert document.body.count(b" a dcat:Dataset") == len(public_names(demo_rt)) > 50
    assert len(statements) <= 8, statements  # count, names, datasets, and one per relation
