"""The Turtle writer of the DCAT documents: what it writes parses back to the same graph,
whatever the text holds."""

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from datasets.catalog.turtle import Triples


def test_turtle_parses_back_to_the_same_graph() -> None:
    triples = Triples()
    triples.bind("dcat", DCAT)
    triples.bind("dct", DCTERMS)
    ds = URIRef("https://data.example.gov.cn/dataset/%E5%85%AC%E4%BA%A4")
    period = BNode("p1")
    for triple in [
        (ds, RDF.type, DCAT.Dataset),
        (ds, DCTERMS.title, Literal('公交 "线路"\n第二行 \\ 反斜杠', lang="zh")),
        (ds, DCTERMS.description, Literal("a;b.c ,d")),
        (ds, DCTERMS.issued, Literal("2024-01-31", datatype=XSD.date)),
        (ds, DCAT.byteSize, Literal("12", datatype=XSD.decimal)),
        (ds, URIRef(str(DCTERMS) + "has.dot"), Literal(3)),
        (ds, DCTERMS.temporal, period),
        (period, DCAT.startDate, Literal("2020-01-01", datatype=XSD.date)),
        (ds, DCTERMS.title, Literal('公交 "线路"\n第二行 \\ 反斜杠', lang="zh")),  # twice
    ]:
        triples.add(triple)
    parsed = Graph().parse(data=triples.turtle(), format="turtle")
    assert isomorphic(parsed, triples.graph())
    assert len(parsed) == 8
