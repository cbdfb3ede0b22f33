"""The resources a publication writes: the stored files of a dataset (kept resources keep their
ids) and, after them, the links of files that could not be mirrored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from datasets.catalog.packages import media_type_for
from datasets.catalog.slugs import slugify
from datasets.intake.placement import Placement
from datasets.intake.prepare import PreparedFile
from datasets.intake.records import FileRecord
from datasets.intake.storage import REMOTE
from datasets.models import Dataset, Resource

Files = Sequence[tuple[PreparedFile | Resource, Placement]]


def replace_resources(dataset: Dataset, files: Files, now: datetime) -> None:
    """Make the dataset's resources those of ``files``; kept resources keep their ids."""
    by_name = {r.name: r for r in dataset.resources}
    kept: list[Resource] = []
    for position, (prep, placement) in enumerate(files):
        if isinstance(prep, Resource):  # re-placing a stored file (release, reclassification)
            res = by_name.pop(prep.name, prep)
        else:
            rec = prep.record
            res = by_name.pop(rec.name) if rec.name in by_name else Resource(created_at=now)
            res.name = rec.name
            res.description = rec.description or rec.title or ""
            res.format = prep.format
            res.media_type = rec.media_type or media_type_for(prep.format)
            res.filename = download_name(rec.name, prep.format)
            res.source_url = rec.source_url
            res.source_encoding = prep.source_encoding
            res.row_count = prep.row_count
            res.field_count = prep.field_count
            res.schema = {"fields": list(prep.fields)}
            res.validated_at = now if prep.report else None
            res.unmirrored = {}  # mirrored now, if it was a link before
        changed = res.sha256 != placement.original.sha256 or (
            res.public_sha256 != (placement.public.sha256 if placement.public else None)
        )
        res.position = position
        res.storage_root = placement.original.root
        res.storage_key = placement.original.key
        res.size = placement.original.size
        res.sha256 = placement.original.sha256
        res.public_key = placement.public.key if placement.public else None
        res.public_sha256 = placement.public.sha256 if placement.public else None
        res.public_size = placement.public.size if placement.public else None
        res.validation_status = placement.report.get("status")
        res.validation_report = placement.report
        res.preview = placement.preview
        res.pii_report = placement.pii
        res.masking_applied = placement.masking_applied
        if changed or res.modified_at is None:
            res.modified_at = now
        kept.append(res)
    dataset.resources = kept


def replace_links(
    dataset: Dataset, linked: list[Resource], links: Sequence[FileRecord] | None, now: datetime
) -> None:
    """Add the resources of files not mirrored (no bytes here, only their source URL and why)
    after the stored ones: those of ``links``, or the dataset's own (``linked``) when ``None``."""
    resources = list(dataset.resources)
    linked = [r for r in linked if r.unmirrored and r not in resources]
    if links is None:
        for position, res in enumerate(linked, start=len(resources)):
            res.position = position
        dataset.resources = resources + linked
        return
    previous = {r.name: r for r in linked}
    for position, rec in enumerate(links, start=len(resources)):
        assert rec.unmirrored is not None
        res = previous.get(rec.name) or Resource(created_at=now)
        res.position = position
        res.name = rec.name
        res.description = rec.description or rec.title or ""
        res.format = (rec.format or "").lower()[:20] or "bin"
        res.media_type = rec.media_type or media_type_for(res.format)
        res.filename = download_name(rec.name, res.format)
        res.source_url = rec.source_url
        res.storage_root, res.storage_key, res.size, res.sha256 = REMOTE, "", 0, ""
        res.public_key = res.public_sha256 = res.public_size = None
        res.row_count = res.field_count = res.validation_status = None
        res.schema, res.validation_report, res.preview, res.pii_report = {}, {}, {}, {}
        res.masking_applied = {}
        res.unmirrored = asdict(rec.unmirrored)
        res.modified_at = now
        resources.append(res)
    dataset.resources = resources


def download_name(name: str, fmt: str) -> str:
    base = slugify(name, fallback="data")
    return f"{base}.{fmt}"
