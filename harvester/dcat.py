"""Source kind ``dcat``: a DCAT catalog (Turtle, RDF/XML or JSON-LD) at a URL or a local path.

Every ``dcat:Dataset`` becomes one entry; hydra paging is followed (``max_pages``). Titles and
descriptions prefer Chinese, then untagged, then English literals. Distributions with an http(s)
``dcat:downloadURL`` (or a ``dcat:accessURL`` that looks like a data file) are downloaded when the
entry changed; the others are listed with the entry under ``未下载资源``.

Openness: an ``openness`` literal (any namespace; with ``exclusion_rule``, ``exclusion_basis`` and
``conditions``) as our own DCAT output carries it, else ``dct:accessRights`` PUBLIC / RESTRICTED /
NON_PUBLIC → unconditional / conditional / closed, else unconditional.

Configuration: ``download_hosts`` (only download from these hosts; ``.example.org`` includes its
subdomains), ``max_pages`` (hydra paging, default 100), ``provider`` (the department recorded for
datasets that name no publisher).
"""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Graph, Literal
from rdflib.namespace import DCAT, DCTERMS, RDF

from datasets.errors import ValidationError
from datasets.intake.records import HarvestRecord, ProviderRecord
from datasets.runtime import Runtime
from harvester.base import GatherItem, GatherResult, SourceConfig
from harvester.dcat_graph import DatasetGraph
from harvester.dcat_rdf import DEFAULT_MAX_PAGES, read_catalog
from harvester.normalise import clean_line, clean_text
from harvester.remote import (
    DOWNLOAD_HOSTS,
    NOT_DOWNLOADED,
    PROVIDER,
    RemoteCatalogKind,
    html_to_text,
    http_url,
    one_line,
    remote_files,
    truncate,
)
from harvester.remote_formats import license_id_for

MAX_PAGES = "max_pages"


class DcatSource(RemoteCatalogKind):
    kind = "dcat"
    description = "DCAT catalog (Turtle, RDF/XML, JSON-LD) at a URL or a local path"
    config_keys = (DOWNLOAD_HOSTS, MAX_PAGES, PROVIDER)
    what = "DCAT 目录"

    def __init__(self, source: SourceConfig, rt: Runtime) -> None:
        super().__init__(source, rt)
        self._data = DatasetGraph(Graph())

    @classmethod
    def check_config(cls, config: dict[str, str]) -> dict[str, str]:
        config = super().check_config(config)
        if MAX_PAGES in config:
            value = str(config[MAX_PAGES]).strip()
            if not value.isdigit() or not 1 <= int(value) <= 10_000:
                raise ValidationError(f"{MAX_PAGES} 须为 1–10000 的整数", {"config": [MAX_PAGES]})
            config[MAX_PAGES] = value
        return config

    def gather(self) -> GatherResult:
        max_pages = int(self.source.config.get(MAX_PAGES) or DEFAULT_MAX_PAGES)
        catalog = read_catalog(self.http, self.source.location, max_pages=max_pages)
        self._data = data = DatasetGraph(catalog.graph)
        g = catalog.graph
        nodes = set(g.subjects(RDF.type, DCAT.Dataset)) | {
            o for o in g.objects(None, DCAT.dataset) if not isinstance(o, Literal)
        }
        items: list[GatherItem] = []
        errors: dict[str, str] = dict(catalog.problems)
        taken: dict[str, int] = {}
        for node in sorted(nodes, key=lambda n: (isinstance(n, BNode), str(n))):
            title = data.best(node, DCTERMS.title)
            identifier = data.identifier(node, title)
            if identifier is None:
                errors[f"空白节点 {len(errors) + 1}"] = "数据集既无标识也无标题（dct:title）"
                continue
            taken[identifier] = taken.get(identifier, 0) + 1
            if taken[identifier] > 1:
                key = f"{identifier}（第 {taken[identifier]} 个）"
                errors[key] = f"数据集标识重复：{identifier}"
                continue
            if not title:
                errors[identifier] = "缺少标题（dct:title）"
                continue
            items.append(GatherItem(identifier, node, one_line(title, 300)))
        return GatherResult(items, errors, complete=catalog.complete)

    def fetch(self, item: GatherItem) -> HarvestRecord:
        data, node = self._data, item.payload
        g = data.graph
        unnormalised: dict[str, Any] = {}
        topic, themes = data.topic(node)
        if topic is None and themes:
            unnormalised["主题"] = "；".join(themes)
        cycle = None
        for value in sorted(g.objects(node, DCTERMS.accrualPeriodicity), key=str):
            cycle = data.cycle(value)
            if cycle is not None:
                break
            unnormalised["更新周期"] = data.label(value) or str(value)
        start, end = data.temporal(node)
        openness, conditions, rule, basis = data.openness(node, unnormalised)
        distributions = sorted(
            (data.distribution(d) for d in g.objects(node, DCAT.distribution)),
            key=lambda d: (d.download_url or "", d.access_url or "", d.title or ""),
        )
        files, skipped = remote_files(distributions, hosts=self._hosts)
        if skipped:
            unnormalised[NOT_DOWNLOADED] = skipped
        license_url, license_title = data.license(node)
        landing = next(
            (
                u
                for v in sorted(g.objects(node, DCAT.landingPage), key=str)
                if (u := http_url(str(v)))
            ),
            None,
        )
        return HarvestRecord(
            identifier=item.identifier,
            title=item.title,
            notes=clean_text(html_to_text(data.best(node, DCTERMS.description))) or "",
            provider=self._provider(node),
            topic=topic,
            keywords=data.keywords(node),
            openness=openness,
            conditions=conditions,
            exclusion_rule=rule,
            exclusion_basis=basis,
            update_cycle=cycle,
            issued=data.date(node, DCTERMS.issued, "issued", unnormalised),
            modified=data.date(node, DCTERMS.modified, "modified", unnormalised),
            temporal_start=start,
            temporal_end=end,
            license_id=license_id_for(license_url) or data.license_identifier(node),
            license_title=license_title,
            license_url=license_url,
            source_url=landing if landing and len(landing) <= 1000 else None,
            files=files,
            unnormalised={
                k: v if isinstance(v, list) else truncate(str(v)) for k, v in unnormalised.items()
            },
        )

    def _provider(self, node: Any) -> ProviderRecord:
        provider = self._data.provider(node)
        if provider is not None and provider.title:
            return provider
        default = clean_line(self.source.config.get(PROVIDER))
        if default:
            return ProviderRecord(one_line(default, 200))
        raise ValidationError(
            "缺少提供方：数据集和目录都没有 dct:publisher（可为来源配置 provider）",
            {"provider": ["dct:publisher"]},
        )

    def close(self) -> None:
        super().close()
        self._data = DatasetGraph(Graph())
