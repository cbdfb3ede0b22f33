"""The JSON-LD and RDF/XML writers say exactly what the triples say: parsed back by rdflib,
each is the same graph as rdflib's own graph of the triples, whatever the text holds."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from datasets.catalog.dcat_out import new_graph, zh
from datasets.catalog.turtle import Triples

HOSTILE = [
    "公交线路信息",
    "quotes \" and ' and <tags> & ampersands",
    "</dct:title><rdf:Description rdf:about='x'>",
    "line one\nline two\r\nthree\ttabbed",
    '{"@id": "http://evil/"}',
    "emoji 🚌 and 𠮷 beyond the BMP",
    "]]> <!-- --> <?pi?>",
    "",
]
OTHER = Namespace("http://example.org/vocab/")


def sample() -> Triples:
    g = new_graph()
    ds = URIRef("http://localhost/dataset/bus-lines?x=1&y=2")
    g.add((ds, RDF.type, DCAT.Dataset))
    for n, text in enumerate(HOSTILE):
        g.add((ds, DCTERMS.title, zh(text)))
        g.add((ds, DCTERMS.description, Literal(text)))
        g.add((ds, OTHER[f"note{n}"], Literal(text, lang="en")))
    node = BNode("n1")
    g.add((ds, DCAT.distribution, node))
    g.add((node, RDF.type, DCAT.Distribution))
    g.add((node, DCAT.byteSize, Literal("1024", datatype=XSD.decimal)))
    g.add((node, DCTERMS.modified, Literal("2026-12-07T09:00:00", datatype=XSD.dateTime)))
    g.add((node, DCTERMS.issued, Literal("2026-12-07", datatype=XSD.date)))
    g.add((node, URIRef("http://example.org/odd#has-part"), URIRef("http://example.org/a%20b")))
    g.add((ds, DCTERMS.title, zh("公交线路信息")))  # a duplicate triple, written once
    return g


def test_jsonld_is_the_same_graph() -> None:
    triples = sample()
    body = triples.jsonld()
    parsed = Graph().parse(data=body, format="json-ld")
    assert isomorphic(parsed, triples.graph())
    document = json.loads(body)
    assert set(document["@context"]) >= {"dcat", "dct"}
    types = [node.get("@type") for node in document["@graph"]]
    assert ["dcat:Dataset"] in types and ["dcat:Distribution"] in types


def test_rdfxml_is_the_same_graph() -> None:
    triples = sample()
    body = triples.rdfxml()
    ElementTree.fromstring(body)  # noqa: S314 - our own output, well-formed XML
    parsed = Graph().parse(data=body, format="xml")
    assert isomorphic(parsed, triples.graph())
    assert b"&lt;/dct:title&gt;" in body


def test_text_xml_cannot_carry_is_replaced_not_broken() -> None:
    g = Triples()
    g.add((URIRef("http://x/d"), DCTERMS.title, Literal("bell\x07 and nul\x00 end")))
    parsed = Graph().parse(data=g.rdfxml(), format="xml")
    assert str(parsed.value(URIRef("http://x/d"), DCTERMS.title)) == "bell\ufffd and nul\ufffd end"


def test_a_property_rdfxml_cannot_name_is_refused() -> None:
    g = Triples()
    g.add((URIRef("http://x/d"), URIRef("http://example.org/ends/with/"), Literal("v")))
    with pytest.raises(ValueError):
        g.rdfxml()
