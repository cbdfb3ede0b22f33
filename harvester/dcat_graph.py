"""Reading one DCAT dataset out of an RDF graph: language preference, labels, dates, periods,
frequencies, declared openness, licences and distributions — tolerant of the ways real catalogs
write them (literals or IRIs, DCAT-AP, schema.org, OWL-Time, Project Open Data as JSON-LD).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, TIME
from rdflib.term import Node

from datasets.catalog.vocabulary import TOPICS, parse_update_cycle
from datasets.intake.records import ProviderRecord
from datasets.openness.rules import parse_rule
from harvester.normalise import clean_line, clean_text, parse_date
from harvester.remote import Distribution, fit_identifier, html_to_text, http_url, one_line

SCHEMA = Namespace("http://schema.org/")
SCHEMA_S = Namespace("https://schema.org/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCT_HASH = Namespace("http://purl.org/dc/terms/#")  # a typo some JSON-LD contexts carry
DCAT_IDENTIFIER = URIRef(str(DCAT) + "identifier")  # not DCAT, but POD's JSON-LD context says so
LABELS = (
    SKOS.prefLabel,
    FOAF.name,
    RDFS.label,
    DCTERMS.title,
    VCARD.fn,
    VCARD["organization-name"],
)
ACCESS_RIGHTS = {
    "public": "unconditional",
    "restricted": "conditional",
    "restrictedpublic": "conditional",
    "nonpublic": "closed",
}
EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
EU_THEMES = {  # the EU data themes that have a clear counterpart among our topics
    "AGRI": "农业农村",
    "ECON": "经济建设",
    "EDUC": "教育文化",
    "ENER": "资源能源",
    "ENVI": "生态环境",
    "HEAL": "卫生健康",
    "JUST": "法律服务",
    "TECH": "科技创新",
    "TRAN": "交通运输",
}


def _rank(lang: str | None) -> int:
    if not lang:
        return 1
    lang = lang.lower()
    if lang == "zh" or lang.startswith("zh-"):
        return 0
    return 2 if lang == "en" or lang.startswith("en-") else 3


class DatasetGraph:
    """The values of the datasets in one catalog graph."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def identifier(self, node: Node, title: str | None) -> str | None:
        for pred in (DCTERMS.identifier, DCAT_IDENTIFIER):
            values = sorted(str(v).strip() for v in self.graph.objects(node, pred))
            values = [v for v in values if v]
            if values:
                return fit_identifier(values[0])
        if isinstance(node, URIRef):
            return fit_identifier(str(node))
        if title:  # a blank node: a stable identifier from its title
            return "bnode-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:16]
        return None

    def topic(self, node: Node) -> tuple[str | None, list[str]]:
        """The first theme that is one of our topics (EU data themes are mapped), and the
        labels of all themes."""
        labels: list[str] = []
        ours, mapped = None, None  # a theme named as one of our topics wins over an EU theme
        for theme in sorted(self.graph.objects(node, DCAT.theme), key=str):
            label = self.label(theme)
            if label:
                labels.append(label)
            code = str(theme).rsplit("/", 1)[-1] if str(theme).startswith(EU_THEME) else ""
            ours = ours or (label if label in TOPICS else None)
            mapped = mapped or EU_THEMES.get(code)
        return ours or mapped, labels

    def best(self, node: Node, pred: URIRef) -> str | None:
        """The text of the literal in the preferred language: zh, none, en, any other."""
        literals = [v for v in self.graph.objects(node, pred) if isinstance(v, Literal)]
        literals = [v for v in literals if str(v).strip()]
        if not literals:
            return None
        best = min(literals, key=lambda v: (_rank(v.language), v.language or "", str(v)))
        return str(best).strip()

    def label(self, node: Node) -> str | None:
        if isinstance(node, Literal):
            return clean_line(str(node))
        for pred in LABELS:
            label = self.best(node, pred)
            if label:
                return clean_line(label)
        return str(node) if isinstance(node, URIRef) else None

    def keywords(self, node: Node) -> tuple[str, ...]:
        literals = [v for v in self.graph.objects(node, DCAT.keyword) if isinstance(v, Literal)]
        if not literals:
            return ()
        best = min(_rank(v.language) for v in literals)
        chosen = [v for v in literals if _rank(v.language) == best or not v.language]
        words = {one_line(str(v), 100) for v in chosen if str(v).strip()}
        return tuple(sorted(words))

    def provider(self, node: Node) -> ProviderRecord | None:
        """The publisher (else the catalog's publisher, else the creator); ``None`` if none."""
        g = self.graph
        publisher = next(iter(sorted(g.objects(node, DCTERMS.publisher), key=str)), None)
        if publisher is None:  # the catalog's publisher, then the creator
            for catalog in sorted(g.subjects(DCAT.dataset, node), key=str):
                publisher = next(g.objects(catalog, DCTERMS.publisher), None)
                if publisher is not None:
                    break
        if publisher is None:
            publisher = next(iter(sorted(g.objects(node, DCTERMS.creator), key=str)), None)
        if publisher is None:
            return None
        title = self.label(publisher) or ""
        code = None
        if not isinstance(publisher, Literal):
            for pred in (DCTERMS.identifier, SKOS.notation):
                found = sorted(str(v).strip() for v in g.objects(publisher, pred))
                if found and found[0] and len(found[0]) <= 40:
                    code = found[0]
                    break
        return ProviderRecord(one_line(title, 200) if title else "", code)

    def date(
        self, node: Node, pred: URIRef, key: str, unnormalised: dict[str, Any]
    ) -> dt.date | None:
        for value in sorted(self.graph.objects(node, pred), key=str):
            parsed = parse_date(str(value))
            if parsed is not None:
                return parsed
            unnormalised[key] = str(value)
        return None

    def temporal(self, node: Node) -> tuple[dt.date | None, dt.date | None]:
        g = self.graph
        for period in g.objects(node, DCTERMS.temporal):
            if isinstance(period, Literal):
                first, _, last = str(period).partition("/")
                return parse_date(first), parse_date(last)
            start = self._first_date(period, DCAT.startDate, SCHEMA.startDate, SCHEMA_S.startDate)
            end = self._first_date(period, DCAT.endDate, SCHEMA.endDate, SCHEMA_S.endDate)
            for instant in g.objects(period, TIME.hasBeginning):
                start = start or self._instant(instant)
            for instant in g.objects(period, TIME.hasEnd):
                end = end or self._instant(instant)
            if start or end:
                return start, end
        return None, None

    def _first_date(self, node: Node, *preds: URIRef) -> dt.date | None:
        for pred in preds:
            for value in self.graph.objects(node, pred):
                parsed = parse_date(str(value))
                if parsed:
                    return parsed
        return None

    def _instant(self, node: Node) -> dt.date | None:
        return self._first_date(node, TIME.inXSDDate, TIME.inXSDDateTime, TIME.inXSDDateTimeStamp)

    def cycle(self, value: Node) -> str | None:
        g = self.graph
        candidates = [str(value)]
        if not isinstance(value, Literal):
            candidates += [lb for p in LABELS if (lb := self.best(value, p))]
            for inner in g.objects(value, RDF.value):  # dct:Frequency → time:DurationDescription
                candidates.append(str(inner))
                duration = self._duration(inner)
                if duration:
                    candidates.append(duration)
        for candidate in candidates:
            cycle = parse_update_cycle(candidate)
            if cycle:
                return cycle
        return None

    def _duration(self, node: Node) -> str | None:
        parts = []
        for unit, pred in (
            ("Y", TIME.years),
            ("M", TIME.months),
            ("W", TIME.weeks),
            ("D", TIME.days),
        ):
            for value in self.graph.objects(node, pred):
                parts.append(f"{float(str(value)):g}{unit}")
        hours = [f"{float(str(v)):g}H" for v in self.graph.objects(node, TIME.hours)]
        if not parts and not hours:
            return None
        return "R/P" + "".join(parts) + ("T" + "".join(hours) if hours else "")

    def openness(self, node: Node, unnormalised: dict[str, Any]) -> tuple[Any, ...]:
        """(openness, conditions, exclusion rule, exclusion basis) as the catalog declares."""
        ours = self._local_values(node)
        if "openness" in ours:
            return (
                ours["openness"],
                ours.get("conditions"),
                ours.get("exclusion_rule"),
                ours.get("exclusion_basis"),
            )
        rights_node = next(iter(sorted(self.graph.objects(node, DCTERMS.rights), key=str)), None)
        rights = self.label(rights_node) if rights_node is not None else None
        for value in self.graph.objects(node, DCTERMS.accessRights):
            label = self.label(value) or str(value)
            key = re.sub(r"[^a-z]", "", str(value).rstrip("/#").rsplit("/", 1)[-1].lower())
            openness = ACCESS_RIGHTS.get(key) or ACCESS_RIGHTS.get(
                re.sub(r"[^a-z]", "", label.lower())
            )
            if openness is None:
                unnormalised["accessRights"] = label
                continue
            if openness == "conditional":
                return openness, rights or label, None, None
            if openness == "closed":
                return openness, None, self._rule(rights_node), rights
            return openness, None, None, None
        return None, None, None, None

    def _rule(self, statement: Node | None) -> str | None:
        """The exclusion rule a ``dct:rights`` statement names: its ``dct:identifier`` (a rule
        code or number) or its ``dct:description`` (the rule's title), as our catalog writes
        them."""
        if statement is None or isinstance(statement, Literal):
            return None
        for pred in (DCTERMS.identifier, DCTERMS.description):
            for value in sorted(self.graph.objects(statement, pred), key=str):
                rule = parse_rule(str(value))
                if rule:
                    return rule
        return None

    def _local_values(self, node: Node) -> dict[str, str]:
        """Literals whose predicate's local name is one of our catalog properties."""
        wanted = {
            "openness": "openness",
            "conditions": "conditions",
            "exclusionrule": "exclusion_rule",
            "exclusionbasis": "exclusion_basis",
        }
        found: dict[str, str] = {}
        for pred, value in sorted(self.graph.predicate_objects(node), key=str):
            if not isinstance(value, Literal):
                continue
            local = re.split(r"[/#]", str(pred))[-1].replace("_", "").lower()
            if local in wanted and wanted[local] not in found and str(value).strip():
                found[wanted[local]] = str(value).strip()
        return found

    def license(self, node: Node) -> tuple[str | None, str | None]:
        g = self.graph
        values = list(g.objects(node, DCTERMS.license)) + list(g.objects(node, DCT_HASH.license))
        if not values:
            for dist in sorted(g.objects(node, DCAT.distribution), key=str):
                values = list(g.objects(dist, DCTERMS.license))
                if values:
                    break
        for value in sorted(values, key=str):
            if isinstance(value, Literal):
                text = clean_line(html_to_text(str(value)))
                if text and http_url(text) and len(text) <= 500:
                    return text, None
                return None, one_line(text, 200) if text else None
            url = http_url(str(value)) if isinstance(value, URIRef) else None
            label = None
            for pred in (DCTERMS.title, RDFS.label, SKOS.prefLabel):
                label = label or self.best(value, pred)
            return (url if url and len(url) <= 500 else None), (
                one_line(label, 200) if label else None
            )
        return None, None

    def license_identifier(self, node: Node) -> str | None:
        """The ``dct:identifier`` of the dataset's licence (our catalog writes its licence id
        there), for licences whose URL is not a well-known one."""
        for value in sorted(self.graph.objects(node, DCTERMS.license), key=str):
            for ident in sorted(self.graph.objects(value, DCTERMS.identifier), key=str):
                text = clean_line(str(ident))
                if text and len(text) <= 100:
                    return text
        return None

    def distribution(self, node: Node) -> Distribution:
        g = self.graph

        def first(*preds: URIRef) -> str | None:
            for pred in preds:
                values = sorted(str(v).strip() for v in g.objects(node, pred))
                if values and values[0]:
                    return values[0]
            return None

        fmt, media = None, first(DCAT.mediaType)
        for value in g.objects(node, DCTERMS.format):
            if isinstance(value, Literal) or not set(g.predicate_objects(value)):
                fmt = str(value)
            else:  # a dct:IMT node: a label and the media type as rdf:value
                fmt = self.best(value, RDFS.label) or self.best(value, RDF.value)
                media = media or self.best(value, RDF.value)
        checksum = None
        for node_ in g.objects(node, SPDX.checksum):
            checksum = next((str(v) for v in g.objects(node_, SPDX.checksumValue)), None)
        return Distribution(
            download_url=first(DCAT.downloadURL),
            access_url=first(DCAT.accessURL),
            title=self.best(node, DCTERMS.title),
            description=clean_text(html_to_text(self.best(node, DCTERMS.description))),
            format=fmt,
            media_type=media,
            fingerprint=tuple(
                p
                for p in (
                    first(DCTERMS.modified),
                    first(DCAT.byteSize),
                    checksum,
                )
                if p
            ),
        )
