"""Plain dicts of catalog objects as the public may see them (CKAN's shapes plus ours).

These dicts are what the API returns, what templates render and what the search index stores, so
what is public is decided here, once: a 不予开放 entry shows its name, department, rule and basis
and nothing else; no entry ever shows a trace of a file the public may not download — its
location, storage key, hash, size, source URL or a file name in its validation report — and
every URL taken from a source passes ``text.safe_url`` (http, https, mailto).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import selectinload

from datasets.catalog.quality.criteria import capacity_of
from datasets.catalog.vocabulary import group_ref, is_overdue
from datasets.intake.validation import redact_report
from datasets.intake.validation_words import chinese_report
from datasets.legal import LegalText
from datasets.models import Dataset, Organization, Resource
from datasets.openness import rules as op
from datasets.rows.formats import FORMATS, safe_filename
from datasets.tables import TABLE_FORMATS
from datasets.text import safe_url
from datasets.workdays import shanghai_today

RESOURCE_PATH = "/dataset/{name}/resource/{resource_id}/download/{filename}"

_MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "json": "application/json",
    "xml": "application/xml",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "geojson": "application/geo+json",
}


# what ``package_dict`` reads of a dataset besides its own row: load it with the datasets
PACKAGE_LOADS = (
    selectinload(Dataset.organization),
    selectinload(Dataset.resources),
    selectinload(Dataset.tags),
)


def media_type_for(fmt: str) -> str:
    return _MEDIA_TYPES.get(fmt.lower(), "application/octet-stream")


def resource_path(dataset_name: str, resource_id: str, filename: str) -> str:
    return RESOURCE_PATH.format(
        name=quote(dataset_name), resource_id=resource_id, filename=quote(filename)
    )


def served_name(ds: Dataset, res: Resource, extension: str | None = None) -> tuple[str, str]:
    """The name a resource's file is served under, and its ASCII fallback. The name is the
    resource's own when it is Chinese, else the dataset's title (followed by the resource's
    name when the dataset has several files), made safe, with ``extension`` (the file's format
    by default). The fallback is the stored ASCII name (the one in the URL) with it."""
    extension = extension or (res.format or "").lower() or "bin"
    name = res.name or ""
    if name.isascii():
        name = ds.title if len(ds.resources) <= 1 else f"{ds.title}-{name}"
    stem = (res.filename or "").rpartition(".")[0] or res.filename or "data"
    return safe_filename(name, extension), f"{stem}.{extension}"


def conversion_links(url: str, fmt: str) -> list[dict[str, str]]:
    """The download of a table file in every export format (``?format=<code>`` after its URL);
    none for a file that is not a table."""
    if (fmt or "").lower() not in TABLE_FORMATS:
        return []
    return [
        {"code": f.code, "title": f.title, "url": f"{url}?format={f.code}"}
        for f in FORMATS.values()
    ]


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    return value.isoformat()


def organization_dict(org: Organization, *, package_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": org.id,
        "name": org.name,
        "title": org.title,
        "display_name": org.title,
        "code": org.code,
        "description": org.description or "",
        "image_url": "",
        "created": _iso(org.created_at),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
        "type": "organization",
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def rule_dict(code: str | None, legal: LegalText) -> dict[str, Any] | None:
    """An exclusion rule with the article it rests on (from the configured legal text)."""
    if not code or code not in op.RULES_BY_CODE:
        return None
    rule = op.RULES_BY_CODE[code]
    article = legal.article(rule.code)
    return {"code": rule.code, "number": rule.number, "title": rule.title, "article": article}


def validation_status(resources: list[Resource]) -> str | None:
    """The worst status among a dataset's resources (error > failure > success)."""
    statuses = {r.validation_status for r in resources if r.validation_status}
    for status in ("error", "failure", "success"):
        if status in statuses:
            return status
    return None


def resource_dict(
    ds: Dataset, res: Resource, *, base_url: str, with_preview: bool = False
) -> dict[str, Any]:
    """A resource as the public sees it; ``with_preview`` adds its first rows (masked for data
    the public may not download as it is).

    ``size`` and ``hash`` describe the public file; a resource without one (conditional,
    quarantined, suspended data) has neither, since those of its original would identify it.
    The source URL it was harvested from (for conditional data perhaps a department's internal
    address) is never shown: ``url`` is the portal's own download URL."""
    public = ds.state == "active" and ds.suspended_by is None and res.public_key is not None
    report = res.validation_report or None
    if report and not (public and res.storage_root == "public"):
        report = redact_report(report)  # no cell values, no file names of the original
    report = chinese_report(report)
    original = original_link(ds, res)
    return {
        "id": res.id,
        "package_id": ds.id,
        "name": res.name,
        "title": resource_title(ds, res),
        "description": res.description or "",
        "format": res.format.upper(),
        "mimetype": res.media_type or media_type_for(res.format),
        "url": original or base_url.rstrip("/") + resource_path(ds.name, res.id, res.filename),
        "url_type": None if original else "upload",
        "mirrored": not res.unmirrored,
        "unmirrored": unmirrored_note(res),
        "size": res.public_size if public else None,
        "hash": f"sha256:{res.public_sha256}" if public and res.public_sha256 else None,
        "created": _iso(res.created_at),
        "last_modified": _iso(res.modified_at),
        "metadata_modified": _iso(res.modified_at),
        "position": res.position,
        "state": "active",
        "resource_type": None,
        "datastore_active": False,
        "access": "public" if public else "restricted",
        "masked": public and bool(res.masking_applied),
        "encoding": "utf-8" if res.format == "csv" else None,
        "source_encoding": res.source_encoding,
        "row_count": res.row_count,
        "field_count": res.field_count,
        "validation_status": res.validation_status,
        "validation_report": report,
        **({"preview": res.preview or None} if with_preview else {}),
    }


_HAN = re.compile(r"[\u4e00-\u9fff]")


def resource_title(ds: Dataset, res: Resource) -> str:
    """The name people read for a file: its own name when it is Chinese; else its harvested
    title (kept as its description when it had none) when that is one short Chinese line; else
    the dataset's title with the format (and the file's number when there are several) — a
    slug such as ``bus-lines`` is an identifier, not a title."""
    name = (res.name or "").strip()
    if _HAN.search(name):
        return name
    lines = (res.description or "").strip().splitlines()
    first = lines[0].strip().rstrip("。") if lines else ""
    if _HAN.search(first) and len(first) <= 40 and len(lines) == 1:
        return first
    fmt = (res.format or "").upper()
    if len(ds.resources) > 1:
        return f"{ds.title}（{fmt}，文件 {res.position + 1}）"
    return f"{ds.title}（{fmt}）"


def original_link(ds: Dataset, res: Resource) -> str | None:
    """The original URL of a file not mirrored (未镜像), for an unconditional, active entry
    whose address the harvester judged public; never for conditional or closed data."""
    if not res.unmirrored or not res.unmirrored.get("link"):
        return None
    if ds.openness != op.UNCONDITIONAL or ds.state != "active" or ds.suspended_by is not None:
        return None
    return safe_url(res.source_url) or None


def unmirrored_note(res: Resource) -> dict[str, Any] | None:
    """Why a file is not mirrored and when it was last tried (no address, no host)."""
    if not res.unmirrored:
        return None
    return {
        "reason": res.unmirrored.get("reason", ""),
        "last_tried": res.unmirrored.get("tried_at"),
        "validated": False,
    }


def package_dict(
    ds: Dataset, *, base_url: str, today: date | None = None, with_preview: bool = False
) -> dict[str, Any]:
    """The public package dict of a dataset: CKAN's keys plus the 目录 fields."""
    closed = ds.openness == op.CLOSED
    resources = (
        []
        if closed
        else [
            resource_dict(ds, r, base_url=base_url, with_preview=with_preview) for r in ds.resources
        ]
    )
    return {
        **_ckan_fields(ds, resources),
        **_catalog_fields(ds, resources, today or shanghai_today()),
    }


def _ckan_fields(ds: Dataset, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The keys of CKAN's package dict, in CKAN's order."""
    closed = ds.openness == op.CLOSED
    org = ds.organization
    tags = [] if closed else sorted(t.name for t in ds.tags)  # one order, however loaded
    return {
        "id": ds.id,
        "name": ds.name,
        "title": ds.title,
        "type": "dataset",
        "state": "active",
        "private": False,
        "notes": "" if closed else ds.notes or "",
        "url": "" if closed else safe_url(ds.source_url),
        "version": None,
        "author": org.title,
        "author_email": None,
        "maintainer": org.title,
        "maintainer_email": None,
        "license_id": ds.license_id or "",
        "license_title": ds.license_title or "",
        "license_url": safe_url(ds.license_url),
        "isopen": ds.openness == op.UNCONDITIONAL and bool(ds.license_id),
        "metadata_created": _iso(ds.created_at),
        "metadata_modified": _iso(ds.metadata_modified),
        "creator_user_id": None,
        "owner_org": org.id,
        "organization": organization_dict(org),
        "groups": [group_ref(ds.topic)] if ds.topic else [],
        "tags": [
            {"name": t, "display_name": t, "state": "active", "vocabulary_id": None} for t in tags
        ],
        "num_tags": len(tags),
        "extras": [],
        "resources": resources,
        "num_resources": len(resources),
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


def _catalog_fields(ds: Dataset, resources: list[dict[str, Any]], today: date) -> dict[str, Any]:
    """The 目录 fields and the openness class; a closed entry shows none of its content."""
    closed = ds.openness == op.CLOSED
    rule = op.RULES_BY_CODE.get(ds.exclusion_rule or "")
    capacity = None if closed else capacity_of((r.row_count, r.field_count) for r in ds.resources)
    return {
        "openness": ds.openness,
        "openness_title": op.OPENNESS_TITLES[ds.openness],
        "conditions": ds.conditions if ds.openness == op.CONDITIONAL else None,
        "exclusion_rule": ds.exclusion_rule if closed else None,
        "exclusion_rule_title": rule.title if closed and rule else None,
        "exclusion_basis": ds.exclusion_basis if closed else None,
        # public access suspended by a rights-holder objection (权益异议) until it is decided
        "suspended": ds.suspended_by is not None,
        "code": ds.code,
        "topic": ds.topic,
        "provider_code": ds.organization.code,
        "share_type": None if closed else ds.share_type,
        "share_conditions": None if closed else ds.share_conditions,
        "share_method": None if closed else ds.share_method,
        "share_basis": None if closed else ds.share_basis,
        "update_cycle": ds.update_cycle,
        "issued": _iso(ds.issued),
        "modified": _iso(ds.modified),
        "overdue": _overdue(ds.openness, ds.update_cycle, ds.modified, today),
        "temporal_start": None if closed else _iso(ds.temporal_start),
        "temporal_end": None if closed else _iso(ds.temporal_end),
        "record_count": None if closed else ds.record_count,
        "field_count": None if closed else ds.field_count,
        "capacity": capacity,
        "columns": [] if closed else list(ds.columns or []),
        "deidentified": bool(ds.deidentified),
        "formats": sorted({r["format"] for r in resources}),
        "validation_status": None if closed else validation_status(list(ds.resources)),
        **quality_fields(ds.quality),
    }


def _overdue(openness: str, cycle: str | None, modified: date | None, today: date) -> bool:
    return openness != op.CLOSED and is_overdue(cycle, modified, today)


def stored_package(text: str, *, base_url: str, today: date | None = None) -> dict[str, Any]:
    """A package dict stored with its search row (written with ``base_url=""``) as
    ``package_dict`` would make it now: the portal's download URLs made absolute, and whether
    it is overdue judged today."""
    pkg: dict[str, Any] = json.loads(text)
    base = base_url.rstrip("/")
    if base:
        for res in pkg["resources"]:
            if res.get("url_type") == "upload":
                res["url"] = base + res["url"]
    # rows indexed before groups carried ids get them now
    pkg["groups"] = [g if "id" in g else group_ref(g["name"]) for g in pkg.get("groups", [])]
    modified = date.fromisoformat(pkg["modified"]) if pkg.get("modified") else None
    today = today or shanghai_today()
    pkg["overdue"] = _overdue(pkg["openness"], pkg["update_cycle"], modified, today)
    return pkg


def quality_fields(quality: dict[str, Any] | None) -> dict[str, Any]:
    """The package keys of a dataset's quality, stored by ``refresh_quality`` (None until it
    first runs)."""
    return {
        "quality": dict(quality) if quality else None,
        "quality_score": quality.get("score") if quality else None,
    }
