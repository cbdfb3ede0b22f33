"""The public catalog as a Project Open Data v1.1 (DCAT-US 1.1) ``data.json``, streamed.

Each entry is made from the public package dict (``published.public_packages``), so it shows
what the API shows and nothing more; distributions are the files the public may download right
now (``access == "public"``: a public file of an active, unsuspended dataset) and the links to
originals the harvester judged public (not mirrored), never a hash, size or location of a
private original. Mapping:

- 开放属性 → ``accessLevel``: 无条件开放 ``public``, 有条件开放 ``restricted public`` (its
  conditions as ``rights``), 不予开放 ``non-public`` (``rights`` = ``[rule-code] basis``, which
  our ``datajson`` source kind reads back);
- 更新周期 → ``accrualPeriodicity`` as an ISO 8601 repeating duration (``ACCRUAL``);
- 提供方 → ``publisher`` and ``contactPoint`` (the department: no person is named);
- 主题分类 → ``theme``; 数据时间范围 → ``temporal``; language ``zh``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from datasets.catalog.packages import media_type_for
from datasets.catalog.published import public_packages
from datasets.openness import rules as op
from datasets.runtime import Runtime

CONFORMS_TO = "https://project-open-data.cio.gov/v1.1/schema"
CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
DESCRIBED_BY = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
ACCESS_LEVELS = {
    op.UNCONDITIONAL: "public",
    op.CONDITIONAL: "restricted public",
    op.CLOSED: "non-public",
}
# 更新周期 → ISO 8601 repeating durations (read back by vocabulary.parse_update_cycle)
ACCRUAL = {
    "实时": "R/PT1S",
    "每日": "R/P1D",
    "每周": "R/P1W",
    "每旬": "R/P10D",
    "每月": "R/P1M",
    "每季": "R/P3M",
    "每半年": "R/P6M",
    "每年": "R/P1Y",
    "不定期": "irregular",
}
RIGHTS_MAX = 255  # characters, as the schema allows
_MEDIA_TYPE = re.compile(r"^[-\w]+/[-\w]+(\.[-\w]+)*([+][-\w]+)?$")
_EMAIL = re.compile(r"^[\w.!$&'()*+,;=:~-]+@[\w.-]+\.[\w.-]+$")


def dataset_url(base_url: str, name: str) -> str:
    """The public page of a dataset, which is also its identifier in data.json and feeds."""
    return f"{base_url.rstrip('/')}/dataset/{quote(name)}"


def stream_datajson(rt: Runtime, *, base_url: str) -> Iterator[str]:
    """The whole ``data.json`` in pieces: the catalog's head, one entry at a time, its tail."""
    base = base_url.rstrip("/")
    head = {
        "@context": CONTEXT,
        "@id": f"{base}/data.json",
        "@type": "dcat:Catalog",
        "conformsTo": CONFORMS_TO,
        "describedBy": DESCRIBED_BY,
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "dataset": ['
    first = True
    for pkg in public_packages(rt, base_url=base):
        entry = json.dumps(datajson_entry(pkg, base_url=base), ensure_ascii=False)
        yield ("\n" if first else ",\n") + entry
        first = False
    yield "\n]}\n"


def datajson_entry(pkg: dict[str, Any], *, base_url: str) -> dict[str, Any]:
    """One dataset of ``data.json`` from its public package dict."""
    org = pkg["organization"]
    landing = dataset_url(base_url, pkg["name"])
    entry: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "identifier": landing,
        "title": pkg["title"],
        "description": description(pkg),
        "keyword": [t["name"] for t in pkg["tags"]] or None,
        "modified": pkg.get("modified") or (pkg.get("metadata_modified") or "")[:10] or None,
        "issued": pkg.get("issued"),
        "publisher": {"@type": "org:Organization", "name": org["title"]},
        "contactPoint": _contact(org),
        "accessLevel": ACCESS_LEVELS[pkg["openness"]],
        "rights": rights(pkg),
        "license": pkg.get("license_url") or None,
        "temporal": _temporal(pkg),
        "accrualPeriodicity": ACCRUAL.get(pkg.get("update_cycle") or ""),
        "theme": [pkg["topic"]] if pkg.get("topic") else None,
        "landingPage": landing,
        "language": ["zh"],
        "distribution": [d for r in pkg["resources"] if (d := _distribution(r))] or None,
    }
    return {k: v for k, v in entry.items() if v is not None}


def description(pkg: dict[str, Any]) -> str:
    """The 摘要; a 不予开放 entry, which shows none, says why it is closed instead."""
    if pkg["openness"] == op.CLOSED:
        rule = pkg.get("exclusion_rule_title") or "不予开放"
        return f"不予开放：{rule}。依据：{pkg.get('exclusion_basis') or '未说明'}"
    return pkg.get("notes") or pkg["title"]


def rights(pkg: dict[str, Any]) -> str | None:
    """What restricts access: the conditions of 有条件开放 data, the rule code and basis of
    不予开放 data; cut to the schema's 255 characters."""
    if pkg["openness"] == op.CONDITIONAL:
        text = pkg.get("conditions") or "须申请并签署数据使用协议后获取"
    elif pkg["openness"] == op.CLOSED:
        text = f"[{pkg.get('exclusion_rule') or ''}] {pkg.get('exclusion_basis') or ''}".strip()
    else:
        return None
    return text if len(text) <= RIGHTS_MAX else text[: RIGHTS_MAX - 1] + "…"


def _contact(org: dict[str, Any]) -> dict[str, str]:
    contact = {"@type": "vcard:Contact", "fn": org["title"]}
    email = (org.get("email") or "").strip()
    if email and _EMAIL.match(email):
        contact["hasEmail"] = f"mailto:{email}"
    return contact


def _temporal(pkg: dict[str, Any]) -> str | None:
    start, end = pkg.get("temporal_start"), pkg.get("temporal_end")
    if start and end:
        return f"{start}/{end}"
    return None


def media_type(resource: dict[str, Any]) -> str:
    """The resource's media type when it is a plain IANA one, else the one of its format."""
    value = (resource.get("mimetype") or "").split(";")[0].strip()
    return value if _MEDIA_TYPE.match(value) else media_type_for(resource.get("format") or "")


def _distribution(resource: dict[str, Any]) -> dict[str, Any] | None:
    """A file the public may download (the portal's URL), or the public link of an original
    that is not mirrored; ``None`` for every other file."""
    if resource.get("access") == "public" and resource.get("url_type") == "upload":
        key = "downloadURL"
    elif resource.get("url_type") is None and resource.get("unmirrored") and resource.get("url"):
        key = "accessURL"
    else:
        return None
    out: dict[str, Any] = {
        "@type": "dcat:Distribution",
        key: resource["url"],
        "mediaType": media_type(resource),
        "format": resource.get("format") or None,
        "title": resource.get("name") or None,
        "description": resource.get("description") or None,
    }
    return {k: v for k, v in out.items() if v is not None}
