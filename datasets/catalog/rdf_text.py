"""JSON-LD and RDF/XML of a list of triples, written directly (as ``turtle`` writes Turtle).

rdflib's serializers build a graph, look up every term's prefix and, for JSON-LD, run its
compaction: about three quarters of the time of a dataset's three DCAT documents. Our documents
are flat lists of triples over a handful of known namespaces, so each is written in one pass,
grouped by subject in the order subjects first appear, duplicate triples once:

- JSON-LD: ``{"@context": {prefix: namespace}, "@graph": [node, …]}``; predicates and types as
  compact IRIs where a known namespace fits, node identifiers always in full; a literal as its
  string, or ``{"@value", "@language"}`` / ``{"@value", "@type"}`` (typed literals keep their
  lexical form, so nothing is lost to JSON numbers).
- RDF/XML: one ``rdf:Description`` per subject, ``rdf:about`` or ``rdf:nodeID``, every property
  an element with ``rdf:resource``, ``rdf:nodeID``, ``xml:lang`` or ``rdf:datatype``. A predicate
  outside the known namespaces gets a generated prefix (``ns1`` …). Characters XML 1.0 cannot
  carry (control characters, lone surrogates) are written as U+FFFD; a carriage return as
  ``&#13;`` so that it survives parsing.

Blank nodes are named ``b0``, ``b1`` … in order of appearance in both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

Triple = tuple[Node, Node, Node]
_LOCAL = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_NCNAME_TAIL = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*\Z")
# what XML 1.0 cannot hold: C0 controls but tab, newline and carriage return; lone surrogates;
# U+FFFE and U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
RDF_NS = str(RDF)


class _Grouped:
    """Triples by subject then predicate, in order of first appearance, each triple once; blank
    nodes renamed ``b0`` …"""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.subjects: dict[Node, dict[Node, list[Node]]] = {}
        self.blank: dict[Node, str] = {}
        seen: set[Triple] = set()
        for triple in triples:
            if triple in seen:
                continue
            seen.add(triple)
            s, p, o = triple
            self.subjects.setdefault(s, {}).setdefault(p, []).append(o)

    def blank_id(self, node: Node) -> str:
        if node not in self.blank:
            self.blank[node] = f"b{len(self.blank)}"
        return self.blank[node]


def _compact(iri: str, prefixes: list[tuple[str, str]]) -> str:
    for prefix, ns in prefixes:
        if iri.startswith(ns) and _LOCAL.match(iri[len(ns) :]):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def _longest_first(prefixes: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(prefixes.items(), key=lambda item: -len(item[1]))


# -- JSON-LD -----------------------------------------------------------------------------------


def to_jsonld(triples: Iterable[Triple], prefixes: dict[str, str]) -> str:
    grouped = _Grouped(triples)
    ordered = _longest_first(prefixes)
    nodes = []
    for subject, predicates in grouped.subjects.items():
        node: dict[str, Any] = {"@id": _jsonld_id(subject, grouped)}
        for predicate, objects in predicates.items():
            if predicate == RDF.type and all(isinstance(o, URIRef) for o in objects):
                node["@type"] = [_compact(str(o), ordered) for o in objects]
                continue
            key = _compact(str(predicate), ordered)
            node[key] = [_jsonld_value(o, grouped, ordered) for o in objects]
        nodes.append(node)
    document = {"@context": dict(sorted(prefixes.items())), "@graph": nodes}
    return json.dumps(document, ensure_ascii=False)  # one line: the C encoder


def _jsonld_id(node: Node, grouped: _Grouped) -> str:
    if isinstance(node, BNode):
        return f"_:{grouped.blank_id(node)}"
    return str(node)


def _jsonld_value(node: Node, grouped: _Grouped, ordered: list[tuple[str, str]]) -> Any:
    if not isinstance(node, Literal):
        return {"@id": _jsonld_id(node, grouped)}
    if node.language:
        return {"@value": str(node), "@language": node.language}
    if node.datatype is not None:
        return {"@value": str(node), "@type": _compact(str(node.datatype), ordered)}
    return str(node)


# -- RDF/XML -----------------------------------------------------------------------------------


def to_rdfxml(triples: Iterable[Triple], prefixes: dict[str, str]) -> str:
    grouped = _Grouped(triples)
    names = _XmlNames({"rdf": RDF_NS, **prefixes})
    body = []
    for subject, predicates in grouped.subjects.items():
        if isinstance(subject, BNode):
            head = f'rdf:nodeID="{grouped.blank_id(subject)}"'
        else:
            head = f'rdf:about="{_attribute(str(subject))}"'
        lines = [f"  <rdf:Description {head}>"]
        for predicate, objects in predicates.items():
            tag = names.qname(str(predicate))
            lines += [f"    {_property(tag, o, grouped)}" for o in objects]
        lines.append("  </rdf:Description>")
        body.append("\n".join(lines))
    declarations = "".join(
        f'\n   xmlns:{prefix}="{_attribute(ns)}"' for prefix, ns in sorted(names.used.items())
    )
    head = f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{declarations}\n>'
    return "\n".join([head, *body, "</rdf:RDF>"]) + "\n"


class _XmlNames:
    """Qualified names for predicates: a known prefix where the rest is an XML name, else a
    generated prefix for the IRI's namespace part."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.ordered = _longest_first(prefixes)
        self.used: dict[str, str] = {"rdf": RDF_NS}
        self.generated: dict[str, str] = {}

    def qname(self, iri: str) -> str:
        for prefix, ns in self.ordered:
            if iri.startswith(ns) and _NCNAME_TAIL.match(iri[len(ns) :]):
                self.used[prefix] = ns
                return f"{prefix}:{iri[len(ns) :]}"
        match = _NCNAME_TAIL.search(iri)
        if match is None or match.start() == 0:
            raise ValueError(f"RDF/XML cannot name the property {iri}")
        ns = iri[: match.start()]
        if ns not in self.generated:
            self.generated[ns] = f"ns{len(self.generated) + 1}"
            self.used[self.generated[ns]] = ns
        return f"{self.generated[ns]}:{match.group()}"


def _property(tag: str, node: Node, grouped: _Grouped) -> str:
    if isinstance(node, BNode):
        return f'<{tag} rdf:nodeID="{grouped.blank_id(node)}"/>'
    if not isinstance(node, Literal):
        return f'<{tag} rdf:resource="{_attribute(str(node))}"/>'
    if node.language:
        attribute = f' xml:lang="{_attribute(node.language)}"'
    elif node.datatype is not None:
        attribute = f' rdf:datatype="{_attribute(str(node.datatype))}"'
    else:
        attribute = ""
    return f"<{tag}{attribute}>{_text(str(node))}</{tag}>"


def _text(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _NOT_XML.sub("\ufffd", value).replace("\r", "&#13;")


def _attribute(value: str) -> str:
    value = _text(value).replace('"', "&quot;")
    return value.replace("\n", "&#10;").replace("\t", "&#9;")
