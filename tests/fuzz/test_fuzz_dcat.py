"""Fuzzing the DCAT reader: real Turtle, RDF/XML and JSON-LD catalogs damaged (malformed
syntax, huge literals, escapes of lone surrogates and NUL, cut short), and documents that try
entity expansion or make the parser fetch something itself. A catalog is read or refused with
``SourceError``; each dataset in it is read or errored on its own; no entity is expanded past a
bound, and nothing is fetched but through the source's own client.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from datasets.runtime import Runtime
from harvester.base import SourceConfig
from harvester.dcat import DcatSource
from harvester.http import FetchError, HttpClient
from tests.conftest import REALDATA
from tests.fuzz.support import (
    assert_storable,
    fuzz,
    json_bytes,
    mutated,
    parsed_or_held,
    peak_mb,
    within,
)
from tests.fuzz.test_fuzz_catalog_json import _closing, _read_all
from tests.harvester.fileserver import FileServer

EXAMPLES = REALDATA / "dcat-ckanext-dcat" / "examples-dcat"
TEXT_SEEDS = {
    "dataset.ttl": (EXAMPLES / "dataset.ttl").read_bytes(),
    "dataset_multilingual.ttl": (EXAMPLES / "dataset_multilingual.ttl").read_bytes(),
    "catalog.rdf": (EXAMPLES / "catalog.rdf").read_bytes(),
    "dataset.rdf": (EXAMPLES / "dataset.rdf").read_bytes(),
}
JSONLD_SEEDS = [
    json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    for name in ("catalog_pod.jsonld", "catalog_with_at_graph.jsonld")
]
INSERTS = [
    b'"' + b"\xe6\x95\xb0" * 300_000 + b'"',
    b'"\\uD800\\u0000"',
    b'"""' + b"x" * 100_000,
    b"<!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'>]>",
    b"&a;&a;&a;",
    b"\x00",
    b"\xff\xfe",
    b"@prefix : <file:///etc/passwd> .",
    b"<http://[::1>",
    b"]]]]]]]]",
    b"[" * 2000,
    b"(" * 2000,
    b'"1"^^<http://www.w3.org/2001/XMLSchema#integer>',
    b'"' + b"9" * 5000 + b'"^^<http://www.w3.org/2001/XMLSchema#integer>',
    b'"9999-99-99"^^<http://www.w3.org/2001/XMLSchema#date>',
]


@dataclass(frozen=True)
class Refusing(HttpClient):
    """A client that reaches nothing: a remote @context or page answers 404."""

    def get_bytes(
        self, url: str, *, params: dict[str, Any] | None = None, max_bytes: int | None = None
    ) -> tuple[bytes, str]:
        raise FetchError(f"来源返回 HTTP 404：{url}", 404, kind="http")


@st.composite
def damaged_text(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(TEXT_SEEDS)))
    body = TEXT_SEEDS[name]
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["insert", "insert", "cut", "delete", "flip", "repeat"]))
        if action == "insert":
            body = body[:at] + draw(st.sampled_from(INSERTS)) + body[at:]
        elif action == "cut":
            body = body[:at]
        elif action == "delete":
            body = body[:at] + body[at + draw(st.integers(1, 200)) :]
        elif action == "flip" and at < len(body):
            body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1 :]
        elif action == "repeat":
            body = body[:at] + body[at : at + 200] * draw(st.integers(2, 50)) + body[at:]
    return name, body


def _read_dcat(rt: Runtime, folder: Path, name: str, body: bytes) -> None:
    path = folder / name
    path.write_bytes(body)
    source = SourceConfig("fuzz", "fuzz", "dcat", str(path), {"provider": "某局", "max_pages": "3"})
    kind = DcatSource(source, rt)
    kind.__dict__["http"] = Refusing(kind.http.guard)
    with _closing(kind):
        _read_all(kind)


@fuzz(40)
@given(document=damaged_text())
@example(document=("dataset.ttl", TEXT_SEEDS["dataset.ttl"].replace(b'"', b'"\\uD800\\u0000', 3)))
@example(document=("catalog.rdf", TEXT_SEEDS["catalog.rdf"][:3000]))
@example(  # found: a next page at an unclosed IPv6 address
    document=(
        "dataset.ttl",
        TEXT_SEEDS["dataset.ttl"]
        + b"\n<http://e/c> a <http://www.w3.org/ns/hydra/core#PartialCollectionView> ;"
        b' <http://www.w3.org/ns/hydra/core#next> "http://[::1/p2" .\n',
    )
)
def test_turtle_and_rdf_xml_are_read_or_refused(
    fuzz_rt: Runtime, tmp_path_factory: Any, document: tuple[str, bytes]
) -> None:
    name, body = document
    _read_dcat(fuzz_rt, tmp_path_factory.mktemp("dcat"), name, body)


@fuzz(30)
@given(body=st.sampled_from(JSONLD_SEEDS).flatmap(lambda s: mutated(s).flatmap(json_bytes)))
@example(
    body=b'{"@context": {"@vocab": "http://www.w3.org/ns/dcat#"}, "@graph": '
    + b"[" * 3000
    + b"]" * 3000
    + b"}"
)
def test_json_ld_is_read_or_refused(fuzz_rt: Runtime, tmp_path_factory: Any, body: bytes) -> None:
    _read_dcat(fuzz_rt, tmp_path_factory.mktemp("jsonld"), "catalog.jsonld", body)


# -- entities and fetching --------------------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY l0 "ha">\n'
    + b"".join(b'<!ENTITY l%d "%s">\n' % (n, (b"&l%d;" % (n - 1)) * 10) for n in range(1, 10))
    + b"]>\n"
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    b' xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">'
    b'<dcat:Dataset rdf:about="http://example.org/d"><dct:title>&l9;</dct:title>'
    b"</dcat:Dataset></rdf:RDF>"
)


def _external(secret: Path, url: str) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n'
        b'<!ENTITY file SYSTEM "' + secret.as_uri().encode() + b'">\n'
        b'<!ENTITY web SYSTEM "' + url.encode() + b'/entity">\n'
        b'<!ENTITY % dtd SYSTEM "' + url.encode() + b'/dtd"> %dtd;\n]>\n'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">'
        b'<dcat:Dataset rdf:about="http://example.org/d"><dct:title>t &file; &web;</dct:title>'
        b"<dct:publisher>p</dct:publisher></dcat:Dataset></rdf:RDF>"
    )


def _titles(rt: Runtime, path: Path) -> list[str]:
    kind = DcatSource(SourceConfig("x", "x", "dcat", str(path), {"provider": "某局"}), rt)
    kind.__dict__["http"] = Refusing(kind.http.guard)
    with _closing(kind):
        gathered = parsed_or_held(kind.gather, seconds=10)
        return [] if gathered is None else [i.title for i in gathered.items]


def test_billion_laughs_is_not_expanded(fuzz_rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "laughs.rdf"
    path.write_bytes(LAUGHS)
    before, started = peak_mb(), time.monotonic()
    titles = _titles(fuzz_rt, path)
    assert time.monotonic() - started < 10 and peak_mb() - before < 100
    assert all(len(t) < 10_000 for t in titles)


def test_external_entities_are_neither_read_nor_fetched(fuzz_rt: Runtime, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("绝密内容", encoding="utf-8")
    with FileServer(tmp_path / "www") as server:
        server.write("entity", "从网络取得的实体")
        server.write("dtd", '<!ENTITY web "从网络取得的实体">')
        path = tmp_path / "external.rdf"
        path.write_bytes(_external(secret, server.base))
        titles = _titles(fuzz_rt, path)
        assert server.requests == []
    assert not any("绝密" in t or "网络" in t for t in titles)


def test_json_ld_contexts_are_never_fetched_by_the_parser(fuzz_rt: Runtime, tmp_path: Path) -> None:
    """Every remote context, scoped ones inside term definitions too, goes through the
    source's client (here: one that answers 404), never through the parser's own fetching."""
    with FileServer(tmp_path / "www") as server:
        context = {"@context": {"title": "http://purl.org/dc/terms/title"}}
        server.write("ctx", json.dumps(context))
        documents = [
            {"@context": server.url("ctx"), "@type": "http://www.w3.org/ns/dcat#Dataset"},
            {
                "@context": {"d": {"@id": "http://x/d", "@context": server.url("ctx")}},
                "@id": "http://example.org/d",
                "d": {"title": "t"},
            },
            {"@graph": [{"@context": [server.url("ctx")], "@id": "http://example.org/e"}]},
        ]
        for n, document in enumerate(documents):
            path = tmp_path / f"c{n}.jsonld"
            path.write_text(json.dumps(document), encoding="utf-8")
            _titles(fuzz_rt, path)
        assert server.requests == []


def test_a_huge_literal_is_read_within_the_deadline(fuzz_rt: Runtime, tmp_path: Path) -> None:
    body = TEXT_SEEDS["dataset.ttl"].replace(
        b"dct:title", b'dct:title "' + "数".encode() * 2_000_000 + b'" ,', 1
    )
    path = tmp_path / "huge.ttl"
    path.write_bytes(body)
    with within(30):
        titles = _titles(fuzz_rt, path)
    assert all(len(t) <= 300 for t in titles)
    assert_storable(titles, "titles")
