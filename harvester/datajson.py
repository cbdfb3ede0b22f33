"""Source kind ``datajson``: a Project Open Data (DCAT-US 1.1) ``data.json`` at a URL or a local
path — a catalog object with a ``dataset`` list, or a bare list of datasets.

``accessLevel``: ``public`` → 无条件开放; ``restricted public`` → 有条件开放 (conditions from
``rights``); ``non-public`` → 不予开放 with ``rights`` as its basis. POD has no field for the
exclusion rule: a ``rights`` that starts with one of the five rule codes in brackets
(``[privacy-trade-secret] 依据…``, as our own ``/data.json`` writes it) names it; without one
the catalog rejects the entry as invalid.
Distributions are downloaded as in ``dcat``; keys we do not map are kept (as text, at most 500
characters each) in ``unnormalised``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from datasets.catalog.vocabulary import TOPICS, parse_update_cycle
from datasets.errors import SourceError, ValidationError
from datasets.intake.records import HarvestRecord, ProviderRecord
from datasets.openness.rules import RULES_BY_CODE
from harvester.base import GatherItem, GatherResult
from harvester.json_input import JsonInputError, load_json
from harvester.normalise import clean_line, clean_text, parse_date, split_list
from harvester.remote import (
    DOWNLOAD_HOSTS,
    NOT_DOWNLOADED,
    PROVIDER,
    Distribution,
    RemoteCatalogKind,
    fit_identifier,
    html_to_text,
    http_url,
    one_line,
    read_document,
    remote_files,
    truncate,
)
from harvester.remote_formats import license_id_for

ACCESS_LEVELS = {
    "public": "unconditional",
    "restricted public": "conditional",
    "non-public": "closed",
}
MAPPED = {
    "@type",
    "@context",
    "title",
    "description",
    "keyword",
    "modified",
    "issued",
    "publisher",
    "contactPoint",
    "identifier",
    "accessLevel",
    "rights",
    "license",
    "temporal",
    "accrualPeriodicity",
    "theme",
    "landingPage",
    "distribution",
    "isPartOf",
}


class DataJsonSource(RemoteCatalogKind):
    kind = "datajson"
    description = "Project Open Data data.json (DCAT-US 1.1) at a URL or a local path"
    config_keys = (DOWNLOAD_HOSTS, PROVIDER)
    what = "data.json "

    def gather(self) -> GatherResult:
        doc = read_document(self.http, self.source.location, what="data.json ")
        try:
            data = load_json(doc.body)
        except JsonInputError as exc:
            raise SourceError(f"data.json 不是有效的 JSON：{doc.name}（{exc.reason}）") from None
        entries = data.get("dataset") if isinstance(data, dict) else data
        if not isinstance(entries, list):
            raise SourceError(f"data.json 中没有 dataset 列表：{doc.name}")
        items: list[GatherItem] = []
        errors: dict[str, str] = {}
        seen: set[str] = set()
        for n, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                errors[f"第 {n} 个数据集"] = "不是 JSON 对象"
                continue
            title = _text(entry.get("title"))
            identifier = _text(entry.get("identifier"))
            if not identifier:
                label = f"第 {n} 个数据集" + (f"（{one_line(title, 80)}）" if title else "")
                errors[label] = "缺少 identifier"
                continue
            identifier = fit_identifier(one_line(identifier, 100_000))
            if identifier in seen:
                errors[f"{identifier}（第 {n} 个数据集）"] = f"identifier 重复：{identifier}"
                continue
            seen.add(identifier)
            if not title:
                errors[identifier] = "缺少 title"
                continue
            items.append(GatherItem(identifier, entry, one_line(title, 300)))
        return GatherResult(items, errors)

    def fetch(self, item: GatherItem) -> HarvestRecord:
        entry: dict[str, Any] = item.payload
        unnormalised: dict[str, Any] = {}
        for key, value in entry.items():
            if key not in MAPPED and value not in (None, "", [], {}):
                unnormalised[key] = truncate(_as_text(value))
        openness, conditions, basis = _access(entry, unnormalised)
        rule, basis = _rule(basis)
        topic = _topic(entry, unnormalised)
        cycle = _cycle(entry, unnormalised)
        modified_raw = _text(entry.get("modified"))
        issued = self._date(entry, "issued", unnormalised)
        modified = self._date(entry, "modified", unnormalised)
        start, end = _interval(_text(entry.get("temporal")))
        license_url, license_title = _license(_text(entry.get("license")), unnormalised)
        distributions = entry.get("distribution") or []
        if isinstance(distributions, dict):
            distributions = [distributions]
        dists = [_distribution(d, modified_raw) for d in distributions if isinstance(d, dict)]
        files, skipped = remote_files(dists, hosts=self._hosts)
        if skipped:
            unnormalised[NOT_DOWNLOADED] = skipped
        landing = http_url(_text(entry.get("landingPage")))
        parent = _text(entry.get("isPartOf"))
        related = ({"relation": "isPartOf", "identifier": one_line(parent, 300)},) if parent else ()
        return HarvestRecord(
            identifier=item.identifier,
            title=item.title,
            notes=clean_text(html_to_text(_text(entry.get("description")))) or "",
            provider=self._provider(entry.get("publisher"), unnormalised),
            topic=topic,
            keywords=tuple(sorted({one_line(k, 100) for k in split_list(entry.get("keyword"))})),
            openness=openness,
            conditions=conditions,
            exclusion_rule=rule,
            exclusion_basis=basis,
            update_cycle=cycle,
            issued=issued,
            modified=modified,
            temporal_start=start,
            temporal_end=end,
            license_id=license_id_for(license_url),
            license_title=license_title,
            license_url=license_url,
            source_url=landing if landing and len(landing) <= 1000 else None,
            related=related,
            files=files,
            unnormalised=unnormalised,
        )

    def _provider(self, publisher: Any, unnormalised: dict[str, Any]) -> ProviderRecord:
        provider = _provider(publisher, unnormalised)
        if provider.title:
            return provider
        default = clean_line(self.source.config.get(PROVIDER))
        if default:
            return ProviderRecord(one_line(default, 200))
        raise ValidationError(
            "缺少提供方：数据集没有 publisher.name（可为来源配置 provider）",
            {"provider": ["publisher"]},
        )

    @staticmethod
    def _date(entry: dict[str, Any], key: str, unnormalised: dict[str, Any]) -> Any:
        raw = _text(entry.get(key))
        parsed = parse_date(raw)
        if raw and parsed is None:
            unnormalised[key] = truncate(raw)
        return parsed


def _text(value: Any) -> str | None:
    """A scalar as stripped text (numbers too: a title may be 707); ``None`` for the rest."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        text = str(value).strip()
        return text or None
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "；".join(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _provider(publisher: Any, unnormalised: dict[str, Any]) -> ProviderRecord:
    """The publishing organisation itself (the innermost unit); the organisations it is part
    of (``subOrganizationOf``, outwards) are kept as text."""
    if isinstance(publisher, str):
        return ProviderRecord(one_line(publisher, 200))
    chain: list[str] = []
    node, depth = publisher, 0
    while isinstance(node, dict) and depth < 20:
        name = _text(node.get("name"))
        if name:
            chain.append(one_line(name, 200))
        node, depth = node.get("subOrganizationOf"), depth + 1
    if len(chain) > 1:
        unnormalised["上级机构"] = truncate(" < ".join(chain))
    return ProviderRecord(chain[0] if chain else "")


def _interval(value: str | None) -> tuple[Any, Any]:
    """An ISO 8601 interval ``2000-01-01/2010-12-31`` (either end may be a duration)."""
    if not value or "/" not in value or value.upper().startswith("R"):
        return parse_date(value) if value else None, None
    start, _, end = value.partition("/")
    return parse_date(start), parse_date(end)


def _license(value: str | None, unnormalised: dict[str, Any]) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    url = http_url(value)
    if url and len(url) <= 500:
        return url, None
    text = clean_line(html_to_text(value))
    if text != value:
        unnormalised["license"] = truncate(value)
    return None, one_line(text, 200) if text else None


def _distribution(dist: dict[str, Any], modified: str | None) -> Distribution:
    return Distribution(
        download_url=_text(dist.get("downloadURL")),
        access_url=_text(dist.get("accessURL")),
        title=_text(dist.get("title")),
        description=clean_text(html_to_text(_text(dist.get("description")))),
        format=_text(dist.get("format")),
        media_type=_text(dist.get("mediaType")),
        fingerprint=(modified,) if modified else (),
    )


def _access(
    entry: dict[str, Any], unnormalised: dict[str, Any]
) -> tuple[str | None, str | None, str | None]:
    """The openness class from ``accessLevel``, with ``rights`` as its conditions or basis."""
    openness, conditions, basis = None, None, None
    level = clean_line(entry.get("accessLevel"))
    rights = clean_text(html_to_text(_text(entry.get("rights"))))
    if level:
        openness = ACCESS_LEVELS.get(level.lower(), level)
        if openness == "conditional":
            conditions = rights
        elif openness == "closed":
            basis = rights
    if rights and openness not in ("conditional", "closed"):
        unnormalised["rights"] = truncate(rights)
    return openness, conditions, basis


_RULE = re.compile(r"^\[([a-z-]+)\]\s*")


def _rule(basis: str | None) -> tuple[str | None, str | None]:
    """The exclusion rule named at the start of a non-public entry's ``rights``, and the rest as
    its basis."""
    match = _RULE.match(basis or "")
    if not basis or match is None or match.group(1) not in RULES_BY_CODE:
        return None, basis
    return match.group(1), basis[match.end() :].strip() or None


def _topic(entry: dict[str, Any], unnormalised: dict[str, Any]) -> str | None:
    themes = split_list(entry.get("theme"))
    if themes and themes[0] in TOPICS:
        return themes[0]
    if themes:
        unnormalised["theme"] = truncate("；".join(themes))
    return None


def _cycle(entry: dict[str, Any], unnormalised: dict[str, Any]) -> str | None:
    cycle_raw = _text(entry.get("accrualPeriodicity"))
    cycle = parse_update_cycle(cycle_raw)
    if cycle_raw and cycle is None:
        unnormalised["accrualPeriodicity"] = truncate(cycle_raw)
    modified_raw = _text(entry.get("modified"))
    if cycle is None and modified_raw and modified_raw.upper().startswith("R/"):
        # DCAT-US allows a repeating duration as ``modified`` of continuously updated data
        cycle = parse_update_cycle(modified_raw)
    return cycle
