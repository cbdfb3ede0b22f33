"""DCAT-AP 2.1.1 descriptions of public package dicts: one renderer over the same dicts the API
answers, so what is public is decided once (``packages.package_dict``).

Mapping: 开放属性 → ``dct:accessRights`` (EU access-right table) with a ``dct:rights`` statement
carrying the rule code (``dct:identifier``), the rule (``dct:title``) and the written basis or
the conditions (``rdfs:label``); 更新周期 → ``dct:accrualPeriodicity`` (EU frequency table); 提供方
→ ``dct:publisher`` (its 统一社会信用代码 or 部门代码 as ``dct:identifier``); 分类 → ``dcat:theme``,
both the EU data theme and our own topic. A distribution describes a file the public may
download: a file held back (conditional originals, quarantined or suspended data) has none, so
no hash, size or address of a private original appears.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from datasets.catalog.turtle import Triples
from datasets.openness import rules as op

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU = "http://publications.europa.eu/resource/authority/"
ZH = "zh"
LANGUAGE = URIRef(EU + "language/ZHO")

ACCESS_RIGHTS = {
    op.UNCONDITIONAL: "PUBLIC",
    op.CONDITIONAL: "RESTRICTED",
    op.CLOSED: "NON_PUBLIC",
}
FREQUENCIES = {
    "实时": "UPDATE_CONT",
    "每日": "DAILY",
    "每周": "WEEKLY",
    "每旬": "MONTHLY_3",
    "每月": "MONTHLY",
    "每季": "QUARTERLY",
    "每半年": "ANNUAL_2",
    "每年": "ANNUAL",
    "不定期": "IRREG",
}
# our topics → the EU data theme that holds them (every topic has one)
THEMES = {
    "经济建设": "ECON",
    "信用服务": "ECON",
    "财税金融": "ECON",
    "交通运输": "TRAN",
    "教育文化": "EDUC",
    "科技创新": "TECH",
    "卫生健康": "HEAL",
    "社保就业": "SOCI",
    "生态环境": "ENVI",
    "资源能源": "ENER",
    "城建住房": "REGI",
    "社会救助": "SOCI",
    "公共安全": "JUST",
    "农业农村": "AGRI",
    "商贸流通": "ECON",
    "市场监管": "ECON",
    "机构团体": "GOVE",
    "气象服务": "ENVI",
    "法律服务": "JUST",
    "安全生产": "JUST",
    "生活服务": "SOCI",
    "文化休闲": "EDUC",
    "地理空间": "REGI",
}
THEME_LABELS = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}
FILE_TYPES = {"csv": "CSV", "tsv": "TSV", "txt": "TXT", "xlsx": "XLSX", "xls": "XLS"}


def new_graph() -> Triples:
    g = Triples()
    for prefix, ns in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("skos", SKOS),
        ("vcard", VCARD),
        ("spdx", SPDX),
        ("hydra", HYDRA),
        ("rdf", RDF),
        ("rdfs", RDFS),
        ("xsd", XSD),
    ):
        g.bind(prefix, ns)
    return g


def dataset_uri(base: str, name: str) -> URIRef:
    return URIRef(f"{base}/dataset/{quote(name)}")


def zh(text: str) -> Literal:
    return Literal(text, lang=ZH)


class DcatWriter:
    """Adds datasets to one graph; shared nodes (departments, themes, vocabularies) once."""

    def __init__(self, graph: Triples, base_url: str) -> None:
        self.g = graph
        self.base = base_url.rstrip("/")
        self._done: set[Node] = set()
        self._blank = 0

    def _bnode(self) -> BNode:
        """A blank node labelled in order (cheaper than rdflib's random labels)."""
        self._blank += 1
        return BNode(f"n{self._blank}")

    def _once(self, node: Node) -> bool:
        if node in self._done:
            return False
        self._done.add(node)
        return True

    def dataset(self, pkg: dict[str, Any]) -> URIRef:
        g, ds = self.g, dataset_uri(self.base, pkg["name"])
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.identifier, Literal(pkg["name"])))
        g.add((ds, DCTERMS.title, zh(pkg["title"])))
        g.add((ds, DCTERMS.description, zh(_description(pkg))))
        g.add((ds, DCTERMS.language, self._language()))
        g.add((ds, DCAT.landingPage, self._document(ds)))
        g.add((ds, DCTERMS.publisher, self._publisher(pkg["organization"])))
        g.add((ds, DCAT.contactPoint, self._contact(pkg["organization"])))
        for tag in pkg["tags"]:
            g.add((ds, DCAT.keyword, zh(tag["name"])))
        for field, pred in (("issued", DCTERMS.issued), ("modified", DCTERMS.modified)):
            if pkg.get(field):
                g.add((ds, pred, Literal(pkg[field][:10], datatype=XSD.date)))
        if pkg.get("topic"):
            for theme in self._themes(pkg["topic"]):
                g.add((ds, DCAT.theme, theme))
        if pkg.get("update_cycle") in FREQUENCIES:
            g.add((ds, DCTERMS.accrualPeriodicity, self._frequency(pkg["update_cycle"])))
        self._temporal(ds, pkg)
        self._access(ds, pkg)
        licence = self._licence(pkg)
        if licence is not None:
            g.add((ds, DCTERMS.license, licence))
        for res in pkg["resources"]:
            dist = self._distribution(pkg, res, licence)
            if dist is not None:
                g.add((ds, DCAT.distribution, dist))
        return ds

    def _language(self) -> URIRef:
        if self._once(LANGUAGE):
            self.g.add((LANGUAGE, RDF.type, DCTERMS.LinguisticSystem))
        return LANGUAGE

    def _document(self, page: URIRef) -> URIRef:
        self.g.add((page, RDF.type, FOAF.Document))  # the dataset's page (its own URI)
        return page

    def _publisher(self, org: dict[str, Any]) -> URIRef:
        node = URIRef(f"{self.base}/organization/{quote(org['name'])}")
        if self._once(node):
            g = self.g
            g.add((node, RDF.type, FOAF.Agent))
            g.add((node, RDF.type, FOAF.Organization))
            g.add((node, FOAF.name, zh(org["title"])))
            if org.get("code"):
                g.add((node, DCTERMS.identifier, Literal(org["code"])))
        return node

    def _contact(self, org: dict[str, Any]) -> URIRef:
        node = URIRef(f"{self.base}/organization/{quote(org['name'])}#contact")
        if self._once(node):
            g = self.g
            g.add((node, RDF.type, VCARD.Kind))
            g.add((node, RDF.type, VCARD.Organization))
            g.add((node, VCARD.fn, zh(org["title"])))
            page = f"{self.base}/organization/{quote(org['name'])}"
            g.add((node, VCARD.hasURL, URIRef(page)))
        return node

    def _themes(self, topic: str) -> list[URIRef]:
        ours = URIRef(f"{self.base}/search?topic={quote(topic)}")
        if self._once(ours):
            self.g.add((ours, RDF.type, SKOS.Concept))
            self.g.add((ours, SKOS.prefLabel, zh(topic)))
            self.g.add((ours, SKOS.inScheme, self._scheme()))
        themes = [ours]
        code = THEMES.get(topic)
        if code:
            eu = URIRef(f"{EU}data-theme/{code}")
            if self._once(eu):
                self.g.add((eu, RDF.type, SKOS.Concept))
                self.g.add((eu, SKOS.prefLabel, Literal(THEME_LABELS[code], lang="en")))
                self.g.add((eu, SKOS.inScheme, URIRef(EU + "data-theme")))
            themes.append(eu)
        return themes

    def _scheme(self) -> URIRef:
        scheme = URIRef(f"{self.base}/search#topics")
        if self._once(scheme):
            self.g.add((scheme, RDF.type, SKOS.ConceptScheme))
            self.g.add((scheme, DCTERMS.title, zh("主题分类")))
        return scheme

    def _frequency(self, cycle: str) -> URIRef:
        node = URIRef(f"{EU}frequency/{FREQUENCIES[cycle]}")
        if self._once(node):
            self.g.add((node, RDF.type, DCTERMS.Frequency))
            self.g.add((node, RDFS.label, zh(cycle)))
        return node

    def _temporal(self, ds: URIRef, pkg: dict[str, Any]) -> None:
        start, end = pkg.get("temporal_start"), pkg.get("temporal_end")
        if not start and not end:
            return
        period = self._bnode()
        self.g.add((ds, DCTERMS.temporal, period))
        self.g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if start:
            self.g.add((period, DCAT.startDate, Literal(start[:10], datatype=XSD.date)))
        if end:
            self.g.add((period, DCAT.endDate, Literal(end[:10], datatype=XSD.date)))

    def _access(self, ds: URIRef, pkg: dict[str, Any]) -> None:
        """The EU access right, and the rule and basis (closed) or conditions (conditional)."""
        g, openness = self.g, pkg["openness"]
        right = URIRef(f"{EU}access-right/{ACCESS_RIGHTS[openness]}")
        if self._once(right):
            g.add((right, RDF.type, DCTERMS.RightsStatement))
        g.add((ds, DCTERMS.accessRights, right))
        label = pkg.get("exclusion_basis") if openness == op.CLOSED else pkg.get("conditions")
        if openness == op.UNCONDITIONAL or not label:
            return
        statement = self._bnode()
        g.add((ds, DCTERMS.rights, statement))
        g.add((statement, RDF.type, DCTERMS.RightsStatement))
        g.add((statement, RDFS.label, zh(label)))
        g.add((statement, DCTERMS.title, zh(pkg["openness_title"])))
        rule = pkg.get("exclusion_rule")
        if openness == op.CLOSED and rule:
            g.add((statement, DCTERMS.identifier, Literal(rule)))
            g.add((statement, DCTERMS.description, zh(pkg.get("exclusion_rule_title") or rule)))
            g.add((statement, RDFS.seeAlso, URIRef(f"{self.base}/rules#{quote(rule)}")))

    def _licence(self, pkg: dict[str, Any]) -> Node | None:
        """The licence: its URL when it has one, else a statement of its title and id."""
        url = pkg.get("license_url") or ""
        title = pkg.get("license_title") or pkg.get("license_id")
        if url.startswith(("http://", "https://")):
            node: Node = URIRef(url)
            if not self._once(node):
                return node
        elif title:
            node = self._bnode()
        else:
            return None
        self.g.add((node, RDF.type, DCTERMS.LicenseDocument))
        if title:
            self.g.add((node, DCTERMS.title, zh(title)))
        if pkg.get("license_id"):
            self.g.add((node, DCTERMS.identifier, Literal(pkg["license_id"])))
        return node

    def _distribution(
        self, pkg: dict[str, Any], res: dict[str, Any], licence: Node | None
    ) -> URIRef | None:
        """A file the public may download (``access`` public), or the public original address
        of an open file not mirrored; ``None`` for any other."""
        public = res.get("access") == "public"
        linked = res.get("url_type") is None and pkg["openness"] == op.UNCONDITIONAL
        if not public and not linked:
            return None
        g = self.g
        node = URIRef(f"{dataset_uri(self.base, pkg['name'])}/resource/{res['id']}")
        url = URIRef(res["url"])
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCTERMS.title, zh(res["name"] or pkg["title"])))
        g.add((node, DCTERMS.description, zh(res["description"] or res["name"] or pkg["title"])))
        g.add((node, DCAT.accessURL, url))
        if public:
            g.add((node, DCAT.downloadURL, url))
        fmt = (res.get("format") or "").lower()
        if fmt:
            g.add((node, DCTERMS.format, self._format(fmt)))
        if res.get("mimetype"):
            g.add((node, DCAT.mediaType, self._media_type(res["mimetype"])))
        if res.get("last_modified"):
            modified = res["last_modified"][:19]
            g.add((node, DCTERMS.modified, Literal(modified, datatype=XSD.dateTime)))
        if licence is not None:
            g.add((node, DCTERMS.license, licence))
        if public and res.get("size") is not None:
            g.add((node, DCAT.byteSize, Literal(str(res["size"]), datatype=XSD.decimal)))
        if public and (res.get("hash") or "").startswith("sha256:"):
            g.add((node, SPDX.checksum, self._checksum(res["hash"].removeprefix("sha256:"))))
        return node

    def _format(self, fmt: str) -> URIRef:
        code = FILE_TYPES.get(fmt, fmt.upper())
        node = URIRef(f"{EU}file-type/{quote(code)}")
        if self._once(node):
            self.g.add((node, RDF.type, DCTERMS.MediaTypeOrExtent))
            self.g.add((node, RDFS.label, Literal(fmt.upper())))
        return node

    def _media_type(self, media: str) -> URIRef:
        node = URIRef(f"https://www.iana.org/assignments/media-types/{media}")
        if self._once(node):
            self.g.add((node, RDF.type, DCTERMS.MediaType))
            self.g.add((node, RDF.value, Literal(media)))
        return node

    def _checksum(self, value: str) -> BNode:
        node = self._bnode()
        if self._once(SPDX.checksumAlgorithm_sha256):
            self.g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
        self.g.add((node, RDF.type, SPDX.Checksum))
        self.g.add((node, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        self.g.add((node, SPDX.checksumValue, Literal(value, datatype=XSD.hexBinary)))
        return node


def _description(pkg: dict[str, Any]) -> str:
    """The 摘要; for a closed entry, which shows no content, its rule and basis."""
    if pkg["openness"] == op.CLOSED:
        rule = pkg.get("exclusion_rule_title") or ""
        basis = pkg.get("exclusion_basis") or ""
        return "；".join(p for p in ("不予开放", rule, f"依据：{basis}" if basis else "") if p)
    return (pkg.get("notes") or "").strip() or pkg["title"]
