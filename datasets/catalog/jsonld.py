"""schema.org ``Dataset`` JSON-LD of a public dataset page (what dataset search engines read).

Made from the same public package dict as the page and ``data.json``, the 摘要 as plain text
(Markdown read, any HTML in it dropped, as the page's sanitiser drops it); files are listed as
``DataDownload`` only when the public may download them (see ``datajson_out``).
``script_json`` writes it for a ``<script type="application/ld+json">`` block: ``<``, ``>`` and
``&`` are escaped (``\\u003c`` …), so no text of the catalog can end the block; the block is
data, never run, so the site's CSP (``script-src 'self'``) needs no exception.
"""

from __future__ import annotations

import json
from typing import Any

from datasets.catalog.datajson_out import dataset_url, description, media_type
from datasets.catalog.published import shanghai_time
from datasets.openness import rules as op
from datasets.text import plain_text


def dataset_jsonld(pkg: dict[str, Any], *, base_url: str, site_name: str) -> dict[str, Any]:
    url = dataset_url(base_url, pkg["name"])
    org = pkg["organization"]
    organization = {"@type": "Organization", "name": org["title"]}
    if org.get("code"):
        organization["identifier"] = org["code"]
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": url,
        "name": pkg["title"],
        "description": plain_text(description(pkg)) or pkg["title"],
        "url": url,
        "identifier": [i for i in (url, pkg.get("code")) if i],
        "keywords": [t["name"] for t in pkg["tags"]] + ([pkg["topic"]] if pkg.get("topic") else []),
        "license": pkg.get("license_url") or pkg.get("license_title") or None,
        "creator": organization,
        "publisher": organization,
        "includedInDataCatalog": {"@type": "DataCatalog", "name": site_name, "url": base_url},
        "temporalCoverage": _coverage(pkg),
        "datePublished": pkg.get("issued"),
        "dateModified": pkg.get("modified") or shanghai_time(pkg.get("metadata_modified")),
        "isAccessibleForFree": pkg["openness"] == op.UNCONDITIONAL,
        "conditionsOfAccess": _conditions(pkg),
        "inLanguage": "zh-CN",
        "distribution": [d for r in pkg["resources"] if (d := _download(r))] or None,
    }
    return {k: v for k, v in data.items() if v not in (None, [], "")}


def _coverage(pkg: dict[str, Any]) -> str | None:
    start, end = pkg.get("temporal_start"), pkg.get("temporal_end")
    if start or end:
        return f"{start or '..'}/{end or '..'}"
    return None


def _conditions(pkg: dict[str, Any]) -> str | None:
    if pkg["openness"] == op.CONDITIONAL:
        return pkg.get("conditions") or "须申请并签署数据使用协议后获取"
    if pkg["openness"] == op.CLOSED:
        return f"不予开放：{pkg.get('exclusion_rule_title') or ''}"
    return None


def _download(resource: dict[str, Any]) -> dict[str, Any] | None:
    if resource.get("access") != "public" or resource.get("url_type") != "upload":
        return None
    return {
        "@type": "DataDownload",
        "name": resource.get("name") or resource.get("format"),
        "contentUrl": resource["url"],
        "encodingFormat": media_type(resource),
    }


def script_json(data: dict[str, Any]) -> str:
    """JSON safe inside a ``<script>`` element: no ``</`` (nor ``<!--``) can appear."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
