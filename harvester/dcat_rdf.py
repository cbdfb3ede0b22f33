"""Reading a DCAT catalog into one RDF graph: format detection, clear parse errors, remote
JSON-LD contexts fetched through the source's ``HttpClient`` (never by rdflib itself, so the same
address rules apply to them), and hydra paging.
"""

from __future__ import annotations

import contextlib
import json
import warnings
import xml.sax
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname
from xml.parsers import expat

from rdflib import Graph, Literal, Namespace
from rdflib.namespace import RDF
from rdflib.term import Node

from datasets.errors import SourceError
from harvester.http import HttpClient, is_url
from harvester.json_input import JsonInputError, load_json
from harvester.remote import Document, one_line, read_document

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DEFAULT_MAX_PAGES = 100

FORMATS_BY_TYPE = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "n3",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/trig": "trig",
}
FORMATS_BY_SUFFIX = {
    ".ttl": "turtle",
    ".n3": "n3",
    ".nt": "nt",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".trig": "trig",
}
FORMAT_LABELS = {"turtle": "Turtle", "xml": "RDF/XML", "json-ld": "JSON-LD", "nt": "N-Triples"}
MAX_CONTEXTS = 10
MAX_EXPANSION = 10  # what the entities of an RDF/XML document may expand it to, times its size


@dataclass
class Catalog:
    """A catalog's pages merged into one graph."""

    graph: Graph
    pages: list[str] = field(default_factory=list)
    # page reference → why the catalog could be read only in part
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.problems


def read_catalog(
    client: HttpClient, location: str, *, max_pages: int = DEFAULT_MAX_PAGES
) -> Catalog:
    """Parse the catalog at ``location`` and every page hydra paging leads to, reading URLs
    with the source's ``client``.

    The first page must parse (else ``SourceError``); a later page that cannot be read ends the
    paging and is reported in ``problems`` (the catalog was read only in part).
    """
    contexts: dict[str, Any] = {}
    merged = Graph()
    catalog = Catalog(merged)
    current: str | None = location
    seen: set[str] = set()
    while current is not None:
        key = _page_key(current)
        if key in seen:
            break  # a loop in the paging: every page has been read
        if len(catalog.pages) >= max_pages:
            catalog.problems[current] = (
                f"已读取 {max_pages} 页，达到分页上限（max_pages），其余未读"
            )
            break
        seen.add(key)
        try:
            page = parse_document(
                client, read_document(client, current, what="DCAT 目录"), contexts
            )
        except SourceError as exc:
            if not catalog.pages:
                raise
            catalog.problems[current] = f"第 {len(catalog.pages) + 1} 页无法读取：{exc.message}"
            break
        catalog.pages.append(current)
        merged += page
        following, problem = _next_page(page, current, local=not is_url(location))
        if problem:
            catalog.problems[current] = problem
        current = following
    return catalog


def parse_document(
    client: HttpClient, doc: Document, contexts: dict[str, Any] | None = None
) -> Graph:
    """One RDF document as a graph; ``SourceError`` naming the document and the parser's
    reason on one line."""
    declared = FORMATS_BY_TYPE.get(doc.content_type) or FORMATS_BY_SUFFIX.get(_suffix(doc.name))
    sniffed = _sniff(doc.body)  # a declared format is tried first, then the others
    candidates = [declared, *(f for f in sniffed if f != declared)] if declared else sniffed
    first_error: str | None = None
    for fmt in candidates:
        graph = Graph()
        try:
            if fmt == "json-ld":
                data = _inline_contexts(client, load_json(doc.body), contexts or {})
                with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its own
                    warnings.simplefilter("ignore", DeprecationWarning)  # deprecated classes
                    graph.parse(data=json.dumps(data), format="json-ld", publicID=doc.base)
            else:
                if fmt == "xml":
                    _bounded_entities(doc)
                graph.parse(data=doc.body, format=fmt, publicID=doc.base)
            return graph
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 — every rdflib parser raises its own kinds
            if first_error is None:
                first_error = f"{FORMAT_LABELS.get(fmt, fmt)}：{_reason(exc)}"
    raise SourceError(f"DCAT 目录无法解析：{_short(doc.name)}（{first_error}）")


def _bounded_entities(doc: Document) -> None:
    """Refuse an XML document whose entities expand past ``MAX_EXPANSION`` times its size
    (billion laughs, quadratic blow-up) before rdflib's parser, which has no such bound, reads
    it. External entities are never read by either parser."""
    if b"<!ENTITY" not in doc.body:
        return
    budget = MAX_EXPANSION * len(doc.body) + (1 << 20)
    seen = 0

    def count(text: str) -> None:
        nonlocal seen
        seen += len(text)
        if seen > budget:
            raise SourceError(
                f"DCAT 目录无法解析：{_short(doc.name)}（XML 实体展开后过大，不予读取）"
            )

    parser = expat.ParserCreate()
    parser.CharacterDataHandler = count
    parser.StartElementHandler = lambda _name, attrs: count("".join(attrs.values()))
    with contextlib.suppress(expat.ExpatError):  # rdflib reports the syntax itself
        parser.Parse(doc.body, True)


def _sniff(body: bytes) -> list[str]:
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return ["json-ld", "turtle", "xml"]
    if head.startswith(b"<?xml") or head.startswith(b"<rdf:") or head.startswith(b"<!--"):
        return ["xml", "turtle", "json-ld"]
    return ["turtle", "xml", "json-ld"]


def _suffix(name: str) -> str:
    path = urlsplit(name).path if is_url(name) else name
    return Path(unquote(path)).suffix.lower()


def _reason(exc: Exception) -> str:
    why = getattr(exc, "_why", None)
    lines = getattr(exc, "lines", None)
    if why is not None and isinstance(lines, int):  # notation3.BadSyntax: Turtle and N3
        return one_line(f"第 {lines + 1} 行：{why}")
    if isinstance(exc, xml.sax.SAXParseException):
        return one_line(
            f"第 {exc.getLineNumber()} 行第 {exc.getColumnNumber()} 列：{exc.getMessage()}"
        )
    if isinstance(exc, JsonInputError):
        return one_line(exc.reason)
    return one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def _short(name: str, limit: int = 200) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _inline_contexts(client: HttpClient, data: Any, cache: dict[str, Any]) -> Any:
    """Replace remote ``@context`` references by the contexts themselves, fetched through our
    HTTP client: rdflib would otherwise fetch them on its own, past our limits."""
    if isinstance(data, list):
        return [_inline_contexts(client, item, cache) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        if key == "@context":
            out[key] = _resolve_context(client, value, cache)
        else:
            out[key] = _inline_contexts(client, value, cache)
    return out


def _resolve_context(client: HttpClient, value: Any, cache: dict[str, Any]) -> Any:
    """A context with every remote reference in it replaced, those of scoped contexts in its
    term definitions too (rdflib would fetch them itself)."""
    if isinstance(value, list):
        return [_resolve_context(client, v, cache) for v in value]
    if isinstance(value, dict):
        if "@import" in value:
            raise SourceError("不支持 JSON-LD 上下文中的 @import")
        return {
            k: _resolve_context(client, v, cache)
            if k == "@context"
            else _inline_contexts(client, v, cache)
            for k, v in value.items()
        }
    if not isinstance(value, str):
        return value
    if not is_url(value):
        raise SourceError(f"JSON-LD 的 @context 须为对象或 http/https 地址：{_short(value)}")
    if value not in cache:
        if len(cache) >= MAX_CONTEXTS:
            raise SourceError(f"JSON-LD 引用的远程 @context 过多（超过 {MAX_CONTEXTS} 个）")
        cache[value] = None  # being resolved: a context that refers back to it is a loop
        doc = client.get_json(value)
        context = doc.get("@context") if isinstance(doc, dict) else None
        if not isinstance(context, dict | list):
            raise SourceError(f"远程 @context 不是 JSON-LD 上下文：{_short(value)}")
        cache[value] = _resolve_context(client, context, cache)
    if cache[value] is None:
        raise SourceError(f"远程 @context 循环引用自身：{_short(value)}")
    return cache[value]


def _next_page(page: Graph, current: str, *, local: bool) -> tuple[str | None, str | None]:
    """The next page named by hydra paging (a URL, or a local path for a local catalog) and
    the reason when a next page is named but cannot be followed."""
    typed = set(page.subjects(RDF.type, HYDRA.PagedCollection))
    typed |= set(page.subjects(RDF.type, HYDRA.PartialCollectionView))
    targets: list[Node] = []
    for node in sorted(typed, key=str):
        for pred in (HYDRA.next, HYDRA.nextPage):
            targets.extend(page.objects(node, pred))
    if not targets:
        for pred in (HYDRA.next, HYDRA.nextPage):
            targets.extend(page.objects(None, pred))
    for target in targets:
        text = str(target).strip()
        if not text:
            continue
        base = current if is_url(current) else Path(current).resolve().as_uri()
        try:
            ref = urljoin(base, text) if isinstance(target, Literal) else text
            if is_url(ref):
                return ref, None
            if local and ref.startswith("file:"):
                return url2pathname(urlsplit(ref).path), None
        except ValueError:  # an unclosed IPv6 address
            return None, f"下一页地址无效：{_short(text)}"
        return None, f"下一页地址无法读取（只跟随 http/https 地址）：{_short(ref)}"
    return None, None


def _page_key(ref: str) -> str:
    return ref if is_url(ref) else str(Path(ref).resolve())
