"""Triples collected in a list and written as Turtle directly.

rdflib's Turtle serializer looks up a prefix for every term it writes and spends two thirds of a
catalog page's time doing so; our documents use a handful of known namespaces, so a term is
matched against them once, and the rest is the terms' own N-Triples form (valid Turtle). JSON-LD
and RDF/XML are written the same way (``rdf_text``); ``graph`` gives rdflib's graph of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from datasets.catalog.rdf_text import to_jsonld, to_rdfxml

Triple = tuple[Node, Node, Node]
_LOCAL = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


class Triples:
    """A list of triples with rdflib's ``Graph.add`` and ``bind``, for building documents."""

    def __init__(self) -> None:
        self.triples: list[Triple] = []
        self.prefixes: dict[str, str] = {}

    def add(self, triple: Triple) -> None:
        self.triples.append(triple)

    def bind(self, prefix: str, namespace: object) -> None:
        self.prefixes[prefix] = str(namespace)

    def graph(self) -> Graph:
        g = Graph(bind_namespaces="core")
        for prefix, namespace in self.prefixes.items():
            g.bind(prefix, namespace)
        g.addN((s, p, o, g) for s, p, o in self.triples)
        return g

    def turtle(self) -> bytes:
        return to_turtle(self.triples, self.prefixes).encode("utf-8")

    def jsonld(self) -> bytes:
        return to_jsonld(self.triples, self.prefixes).encode("utf-8")

    def rdfxml(self) -> bytes:
        return to_rdfxml(self.triples, self.prefixes).encode("utf-8")


def to_turtle(triples: Iterable[Triple], prefixes: dict[str, str]) -> str:
    """Turtle of ``triples``, grouped by subject in the order subjects first appear; duplicate
    triples written once."""
    prefixes = {**prefixes, "xsd": str(XSD)}  # typed literals are written with it
    by_subject: dict[Node, dict[Node, list[Node]]] = {}
    seen: set[Triple] = set()
    for triple in triples:
        if triple in seen:
            continue
        seen.add(triple)
        s, p, o = triple
        by_subject.setdefault(s, {}).setdefault(p, []).append(o)
    ordered = sorted(prefixes.items(), key=lambda item: -len(item[1]))
    lines = [f"@prefix {prefix}: <{ns}> ." for prefix, ns in sorted(prefixes.items())]
    for subject, predicates in by_subject.items():
        lines.append("")
        parts = []
        for predicate, objects in predicates.items():
            verb = "a" if predicate == RDF.type else _term(predicate, ordered)
            parts.append(f"    {verb} " + ",\n        ".join(_term(o, ordered) for o in objects))
        lines.append(_term(subject, ordered) + "\n" + " ;\n".join(parts) + " .")
    return "\n".join(lines) + "\n"


def _term(node: Node, prefixes: list[tuple[str, str]]) -> str:
    if isinstance(node, URIRef):
        text = str(node)
        for prefix, ns in prefixes:
            if text.startswith(ns) and _LOCAL.match(text[len(ns) :]):
                return f"{prefix}:{text[len(ns) :]}"
    if isinstance(node, BNode):
        return f"_:b{node}"
    text = str(node.n3())
    if isinstance(node, Literal) and text.endswith(">") and f"^^<{XSD}" in text:
        head, _, local = text[:-1].rpartition(f"^^<{XSD}")
        return f"{head}^^xsd:{local}"
    return text
