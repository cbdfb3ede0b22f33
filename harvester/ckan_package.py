"""A CKAN package dict (Action API ``package_show``/``package_search`` result) → HarvestRecord.

Real portals put the same concept in different places: top-level keys (ckanext-scheming, HDX,
our own portal's 目录 fields) or ``extras`` lists of ``{key, value}``. A value is looked up in
both; extras nobody mapped are kept in ``unnormalised``. Resources become ``FileRecord``s that
only name their URL (``path=None``) with a fingerprint from what the portal says of the file,
so an unchanged resource is recognised without downloading it.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from datasets.catalog.vocabulary import TOPICS, parse_update_cycle
from datasets.errors import ValidationError
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from harvester.http import is_url
from harvester.normalise import clean_line, clean_text, parse_count, parse_date
from harvester.remote import fit_identifier

# keys a declared update frequency is found under, most specific first (HDX: days between
# updates; data.gov.uk: ISO 19115 codes; DCAT: accrualPeriodicity URIs or ISO 8601 durations)
CYCLE_KEYS = (
    "update_cycle",
    "frequency",
    "accrualPeriodicity",
    "accrual_periodicity",
    "data_update_frequency",
    "frequency-of-update",
)
# resource formats that name a service or a web page, not a file to download
LINK_FORMATS = frozenset(
    {
        "api",
        "html",
        "htm",
        "url",
        "link",
        "web page",
        "webpage",
        "website",
        "web",
        "page",
        "wms",
        "wfs",
        "wcs",
        "wmts",
        "esri rest",
        "arcgis geoservices rest api",
        "sparql",
        "query tool",
        "ogc api",
    }
)
_MEDIA_TYPES = {
    "text/csv": "csv",
    "application/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/geo+json": "geojson",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/pdf": "pdf",
    "application/zip": "zip",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/html": "html",
}
_FORMAT_ALIASES = {"excel": "xlsx", "ms excel": "xls", "geo+json": "geojson", "text": "txt"}
_FREQUENCY_WORDS = {
    "continual": "实时",
    "continuous": "实时",
    "cont": "实时",
    "realtime": "实时",
    "real-time": "实时",
    "live": "实时",
    "hourly": "实时",
    "daily": "每日",
    "day": "每日",
    "weekly": "每周",
    "week": "每周",
    "semiweekly": "每周",
    "threetimesaweek": "每周",
    "fortnightly": "每月",
    "biweekly": "每月",
    "semimonthly": "每月",
    "threetimesamonth": "每旬",
    "monthly": "每月",
    "month": "每月",
    "bimonthly": "每季",
    "quarterly": "每季",
    "semiannual": "每半年",
    "biannually": "每半年",
    "biannual": "每半年",
    "annual": "每年",
    "annually": "每年",
    "yearly": "每年",
    "asneeded": "不定期",
    "irregular": "不定期",
    "irreg": "不定期",
    "notplanned": "不定期",
    "never": "不定期",
    "adhoc": "不定期",
}


def check_package(raw: Any, position: str) -> tuple[str, str]:
    """The identifier and title of a package dict; ``ValidationError`` for one we cannot use
    (the message says why; ``position`` names it when it has no id)."""
    if not isinstance(raw, dict):
        raise ValidationError(f"{position}：数据集不是 JSON 对象", {"package": [position]})
    identifier = clean_line(raw.get("id")) if isinstance(raw.get("id"), str) else None
    identifier = fit_identifier(identifier) if identifier else None
    if not identifier:
        raise ValidationError(f"{position}：数据集缺少 id", {"id": [position]})
    title = clean_line(raw.get("title")) if isinstance(raw.get("title"), str) else None
    if not title:
        raise ValidationError(f"数据集 {identifier} 缺少 title", {"title": [identifier]})
    if raw.get("resources") is not None and not isinstance(raw.get("resources"), list):
        raise ValidationError(f"数据集 {identifier} 的 resources 不是列表", {"resources": []})
    return identifier, title


def hidden_reason(raw: dict[str, Any]) -> str | None:
    """Why a well-formed package is not for the public (private, deleted, draft), if it is not."""
    if raw.get("private") is True or str(raw.get("private")).lower() == "true":
        return "私有数据集"
    state = clean_line(raw.get("state")) if isinstance(raw.get("state"), str) else None
    if state and state != "active":
        return f"数据集状态为 {state}"
    return None


def package_record(pkg: dict[str, Any], *, base_url: str, fallback_provider: str) -> HarvestRecord:
    """The record of a checked package dict (see ``check_package``)."""
    identifier, title = check_package(pkg, str(pkg.get("id", "?")))
    values = _Values(pkg)
    unnormalised: dict[str, Any] = {}

    topic, other_groups = _topic(pkg, values)
    if other_groups:
        unnormalised["topic"] = other_groups if len(other_groups) > 1 else other_groups[0]

    cycle_raw = values.text(*CYCLE_KEYS)
    cycle = update_cycle(cycle_raw)
    if cycle_raw and cycle is None:
        unnormalised["update_cycle"] = cycle_raw

    files, skipped = resource_files(pkg.get("resources") or [])
    if skipped:
        unnormalised["未下载资源"] = skipped

    fields = _catalog_fields(values)
    extras = values.unused_extras()
    if extras:
        unnormalised["extras"] = extras
    name = clean_line(pkg.get("name"))
    return HarvestRecord(
        identifier=identifier,
        name=name,
        title=title,
        notes=clean_text(pkg.get("notes")) or "",
        provider=_provider(pkg, values, fallback_provider),
        topic=topic,
        keywords=_tags(pkg.get("tags")),
        update_cycle=cycle,
        license_id=clean_line(pkg.get("license_id")),
        license_title=clean_line(pkg.get("license_title")),
        license_url=clean_line(pkg.get("license_url")),
        source_url=f"{base_url.rstrip('/')}/dataset/{name or identifier}",
        files=tuple(files),
        unnormalised=unnormalised,
        **fields,
    )


def _provider(pkg: dict[str, Any], values: _Values, fallback: str) -> ProviderRecord:
    """The providing department: the package's organization, else its maintainer or author."""
    found = pkg.get("organization")
    org: dict[str, Any] = found if isinstance(found, dict) else {}
    title = (
        clean_line(org.get("title"))
        or clean_line(org.get("display_name"))
        or clean_line(org.get("name"))
        or values.text("maintainer", "author")
        or fallback
    )
    return ProviderRecord(title or "", clean_line(org.get("code")) or values.text("provider_code"))


def _catalog_fields(values: _Values) -> dict[str, Any]:
    """The 目录 fields a package carries as keys or extras."""
    return {
        "code": values.text("code"),
        "openness": values.text("openness"),
        "conditions": values.text("conditions"),
        "exclusion_rule": values.text("exclusion_rule"),
        "exclusion_basis": values.text("exclusion_basis"),
        "share_type": values.text("share_type"),
        "share_conditions": values.text("share_conditions"),
        "share_method": values.text("share_method"),
        "share_basis": values.text("share_basis"),
        "issued": parse_date(values.text("issued")) or parse_date(values.text("metadata_created")),
        "modified": parse_date(values.text("modified"))
        or parse_date(values.text("metadata_modified")),
        "temporal_start": parse_date(values.text("temporal_start", "temporal_coverage-from")),
        "temporal_end": parse_date(values.text("temporal_end", "temporal_coverage-to")),
        "record_count": parse_count(values.text("record_count")),
    }


class _Values:
    """Top-level keys first, then extras; remembers which extras were used."""

    def __init__(self, pkg: dict[str, Any]) -> None:
        self.pkg = pkg
        self.extras: dict[str, Any] = {}
        raw = pkg.get("extras")
        if isinstance(raw, dict):
            self.extras = {str(k): v for k, v in raw.items()}
        elif isinstance(raw, list):
            for extra in raw:
                if isinstance(extra, dict) and isinstance(extra.get("key"), str):
                    self.extras.setdefault(extra["key"], extra.get("value"))
        self.used: set[str] = set()

    def text(self, *keys: str) -> str | None:
        for key in keys:
            for value in (self.pkg.get(key), self.extras.get(key)):
                if key in self.extras:
                    self.used.add(key)
                if isinstance(value, dict | list):
                    continue
                text = clean_text(value)
                if text:
                    return text
        return None

    def unused_extras(self) -> dict[str, Any]:
        return {
            k: v for k, v in self.extras.items() if k not in self.used and clean_text(v) is not None
        }


def _topic(pkg: dict[str, Any], values: _Values) -> tuple[str | None, list[str]]:
    """Our topic from a top-level ``topic`` or the first group in our topic list; the other
    group titles are returned to be kept as unnormalised."""
    candidates = []
    declared = values.text("topic")
    if declared:
        candidates.append(declared)
    for group in pkg.get("groups") or []:
        if isinstance(group, dict):
            name = (
                clean_line(group.get("title"))
                or clean_line(group.get("display_name"))
                or clean_line(group.get("name"))
            )
        else:
            name = clean_line(group)
        if name and name not in candidates:
            candidates.append(name)
    topic = next((c for c in candidates if c in TOPICS), None)
    return topic, [c for c in candidates if c != topic and c not in TOPICS]


def _tags(raw: Any) -> tuple[str, ...]:
    names: list[str] = []
    for tag in raw if isinstance(raw, list) else []:
        name = (
            clean_line(tag.get("name") or tag.get("display_name"))
            if isinstance(tag, dict)
            else clean_line(tag)
        )
        if name and name not in names:
            names.append(name)
    return tuple(names)


def update_cycle(value: str | None) -> str | None:
    """A declared frequency in any of the usual vocabularies → one of our update cycles."""
    if not value:
        return None
    cycle = parse_update_cycle(value)
    if cycle:
        return cycle
    text = value.strip()
    if re.fullmatch(r"-?\d{1,6}", text):  # HDX: days between updates; 0 live, negative ad hoc
        days = int(text)
        if days < 0:
            return "不定期"
        return "实时" if days == 0 else parse_update_cycle(f"每{days}日")
    duration = re.fullmatch(r"(?:R/)?P(?:T(\d{1,6})[HM]|(\d{1,6})([DWMY]))", text.upper())
    if duration:
        if duration.group(1):
            return "实时"
        n, unit = int(duration.group(2)), duration.group(3)
        days = n * {"D": 1, "W": 7, "M": 30, "Y": 365}[unit]
        return "每日" if days <= 1 else parse_update_cycle(f"每{days}日")
    word = re.split(r"[/#]", text.rstrip("/"))[-1]
    return _FREQUENCY_WORDS.get(re.sub(r"[\s_]+", "", word).lower())


def resource_format(fmt: Any, media_type: Any, url: str) -> str | None:
    """Lower-case format of a resource from its declared format, media type or URL suffix
    (``CSV`` → csv, ``ZIP+CSV`` → zip, ``text/csv`` → csv); None when nothing says."""
    value = (clean_line(fmt) or "").lower().lstrip(".")
    if "/" in value:
        value = _MEDIA_TYPES.get(value.split(";")[0].strip(), "")
    value = _FORMAT_ALIASES.get(value, value)
    if "+" in value:  # zip+csv: the container is what is downloaded
        value = value.split("+")[0].strip()
    if not value:
        value = _MEDIA_TYPES.get((clean_line(media_type) or "").lower().split(";")[0], "")
    if not value:
        suffix = PurePosixPath(unquote(urlsplit(url).path)).suffix.lower().lstrip(".")
        value = suffix if re.fullmatch(r"[a-z0-9]{1,8}", suffix) else ""
    return value or None


def is_link(fmt: str) -> bool:
    return fmt in LINK_FORMATS or "api" in re.split(r"[\s/_-]+", fmt)


def resource_files(resources: list[Any]) -> tuple[list[FileRecord], list[str]]:
    """The downloadable files of a package, and a line for each resource left out."""
    files: list[FileRecord] = []
    skipped: list[str] = []
    names: set[str] = set()
    for n, res in enumerate(resources, start=1):
        if not isinstance(res, dict):
            skipped.append(f"第 {n} 个资源：不是 JSON 对象")
            continue
        name = clean_line(res.get("name")) or clean_line(res.get("id")) or f"resource-{n}"
        url = clean_line(res.get("url")) if isinstance(res.get("url"), str) else None
        if not url or not is_url(url) or not urlsplit(url).netloc:
            skipped.append(f"{name}：没有可下载的 http(s) 地址")
            continue
        if res.get("access") == "restricted":  # our own portal: conditional data, no download
            skipped.append(f"{name}：受限资源，须申请获取（{url}）")
            continue
        fmt = resource_format(res.get("format"), res.get("mimetype"), url)
        if fmt is None or is_link(fmt):
            label = clean_line(res.get("format")) or "链接"
            skipped.append(f"{name}：{label}，不是可下载的数据文件（{url}）")
            continue
        unique, k = name, 2
        while unique in names:
            unique, k = f"{name} ({k})", k + 1
        names.add(unique)
        files.append(
            FileRecord(
                path=None,
                name=unique,
                format=fmt,
                description=clean_text(res.get("description")) or "",
                media_type=clean_line(res.get("mimetype")),
                source_url=url,
                declared_encoding=clean_line(res.get("encoding")),
                fingerprint=fingerprint(res, url),
            )
        )
    return files, skipped


def fingerprint(res: dict[str, Any], url: str) -> str:
    """What the portal says of a resource's content: its hash, dates and size, and its URL."""
    parts = []
    for key in ("hash", "last_modified", "metadata_modified", "size"):
        value = res.get(key)
        if value not in (None, "") and not isinstance(value, dict | list):
            parts.append(f"{key}={value}")
    parts.append(f"url={url}")
    return ";".join(parts)
