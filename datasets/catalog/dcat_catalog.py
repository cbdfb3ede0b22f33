"""The DCAT-AP catalog of public datasets, one page at a time (Hydra paging as ckanext-dcat
pages it), and one dataset's description, in Turtle, JSON-LD or RDF/XML.

A page reads only its own datasets: their names in order from the ``name`` index (offset and
limit), then those datasets with their departments, files and tags in three queries. Memory per
request is bounded by the page size, whatever the size of the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD
from sqlalchemy import func, select
from sqlalchemy.orm import defer, selectinload

from datasets.catalog.dcat_out import HYDRA, DcatWriter, new_graph, zh
from datasets.catalog.kept_packages import public_packages
from datasets.catalog.packages import package_dict
from datasets.catalog.turtle import Triples
from datasets.errors import NotFound, ValidationError
from datasets.intake.public_root import public_now
from datasets.models import Dataset, Resource
from datasets.runtime import Runtime
from datasets.workdays import shanghai_today

PAGE_SIZE = 100


@dataclass(frozen=True)
class RdfFormat:
    suffix: str
    rdflib: str
    media_type: str


RDF_FORMATS = {
    "ttl": RdfFormat("ttl", "turtle", "text/turtle"),
    "jsonld": RdfFormat("jsonld", "json-ld", "application/ld+json"),
    "rdf": RdfFormat("rdf", "xml", "application/rdf+xml"),
    "xml": RdfFormat("xml", "xml", "application/rdf+xml"),
}
# media types a client may ask for on a dataset's own URL, with the format each gets
NEGOTIATED = {
    "text/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf",
}

_LOAD = (  # a file's preview, schema and scan report are not described: not read
    selectinload(Dataset.organization),
    selectinload(Dataset.resources).defer(Resource.preview).defer(Resource.schema),
    selectinload(Dataset.resources).defer(Resource.pii_report),
    selectinload(Dataset.tags),
    defer(Dataset.unnormalised),
    defer(Dataset.quarantine),
)


@dataclass(frozen=True)
class Document:
    body: bytes
    media_type: str


def rdf_format(suffix: str) -> RdfFormat:
    try:
        return RDF_FORMATS[suffix]
    except KeyError:
        raise NotFound(f"不支持的元数据格式：{suffix}") from None


def catalog_page(rt: Runtime, *, page: int, base_url: str, suffix: str) -> Document:
    """Page ``page`` (from 1) of the catalog; ``NotFound`` past the last page."""
    fmt = rdf_format(suffix)
    if page < 1:
        raise ValidationError("页码须为正整数", {"page": [str(page)]})
    today = shanghai_today()
    with rt.reader() as session:
        total = session.scalar(select(func.count()).select_from(Dataset).where(public_now())) or 0
        last = max(1, -(-total // PAGE_SIZE))
        if page > last:
            raise NotFound(f"目录共 {last} 页，没有第 {page} 页")
        names = list(
            session.scalars(
                select(Dataset.name)
                .where(public_now())
                .order_by(Dataset.name)
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        )
        rows = session.scalars(
            select(Dataset).where(Dataset.name.in_(names)).options(*_LOAD).order_by(Dataset.name)
        ).all()
        packages = [package_dict(ds, base_url=base_url, today=today) for ds in rows]
    graph = new_graph()
    base = base_url.rstrip("/")
    catalog = _catalog_node(graph, base, rt.settings)
    writer = DcatWriter(graph, base)
    for pkg in packages:
        graph.add((catalog, DCAT.dataset, writer.dataset(pkg)))
    _paging(graph, f"{base}/catalog.{fmt.suffix}", page=page, last=last, total=total)
    return Document(_serialize(graph, fmt), fmt.media_type)


def dataset_document(rt: Runtime, *, name: str, base_url: str, suffix: str) -> Document:
    """One public dataset's description; ``NotFound`` for any dataset the catalog leaves out."""
    return dataset_documents(rt, name=name, base_url=base_url, suffixes=(suffix,))[suffix]


def dataset_documents(
    rt: Runtime, *, name: str, base_url: str, suffixes: tuple[str, ...]
) -> dict[str, Document]:
    """One public dataset's description in several formats, from one read and one graph."""
    found = datasets_documents(rt, names=[name], base_url=base_url, suffixes=suffixes)
    if name not in found:
        raise NotFound(f"未找到数据集 {name}")
    return found[name]


def datasets_documents(
    rt: Runtime, *, names: list[str], base_url: str, suffixes: tuple[str, ...]
) -> dict[str, dict[str, Document]]:
    """The descriptions of the public datasets among ``names``, by name then suffix: one read
    of them all (the static build writes a chunk's documents at once), one graph each."""
    formats = {suffix: rdf_format(suffix) for suffix in suffixes}
    with rt.reader() as session:  # the dataset pages that follow find them kept
        packages = public_packages(session, Dataset.name.in_(names), base_url=base_url)
    out = {}
    for pkg in packages:
        graph = new_graph()
        DcatWriter(graph, base_url).dataset(pkg)
        out[pkg["name"]] = {
            s: Document(_serialize(graph, fmt), fmt.media_type) for s, fmt in formats.items()
        }
    return out


def negotiated_suffix(accept: Any) -> str | None:
    """The RDF format a request's ``Accept`` header prefers to HTML, if any (``accept`` is a
    werkzeug ``MIMEAccept`` or anything with ``best_match``)."""
    best = accept.best_match([*NEGOTIATED, "text/html", "application/xhtml+xml"])
    if best in NEGOTIATED and accept[best] > accept["text/html"]:
        return NEGOTIATED[best]
    return None


def _catalog_node(graph: Triples, base: str, settings: Any) -> URIRef:
    catalog = URIRef(f"{base}/catalog")
    publisher = URIRef(f"{base}/#publisher")
    home = URIRef(f"{base}/")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, zh(settings.site_name)))
    graph.add(
        (catalog, DCTERMS.description, zh(f"{settings.region_name}公共数据开放目录（DCAT-AP）"))
    )
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, zh(settings.supervisor_name)))
    graph.add((catalog, FOAF.homepage, home))
    graph.add((home, RDF.type, FOAF.Document))
    language = URIRef("http://publications.europa.eu/resource/authority/language/ZHO")
    graph.add((catalog, DCTERMS.language, language))
    graph.add((language, RDF.type, DCTERMS.LinguisticSystem))
    for scheme, title in (
        (URIRef("http://publications.europa.eu/resource/authority/data-theme"), "EU 数据主题"),
        (URIRef(f"{base}/search#topics"), "主题分类"),
    ):
        graph.add((catalog, DCAT.themeTaxonomy, scheme))
        graph.add((scheme, RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#ConceptScheme")))
        graph.add((scheme, DCTERMS.title, zh(title)))
    return catalog


def _paging(graph: Triples, url: str, *, page: int, last: int, total: int) -> None:
    """Hydra's ``PartialCollectionView`` of this page, as ckanext-dcat writes it."""
    view = URIRef(f"{url}?page={page}")
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    graph.add((view, HYDRA.itemsPerPage, Literal(PAGE_SIZE, datatype=XSD.integer)))
    graph.add((view, HYDRA.first, URIRef(f"{url}?page=1")))
    graph.add((view, HYDRA.last, URIRef(f"{url}?page={last}")))
    if page > 1:
        graph.add((view, HYDRA.previous, URIRef(f"{url}?page={page - 1}")))
    if page < last:
        graph.add((view, HYDRA.next, URIRef(f"{url}?page={page + 1}")))


def _serialize(triples: Triples, fmt: RdfFormat) -> bytes:
    if fmt.rdflib == "turtle":
        return triples.turtle()
    if fmt.rdflib == "json-ld":
        return triples.jsonld()
    return triples.rdfxml()
