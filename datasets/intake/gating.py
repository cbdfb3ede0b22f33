"""Applying the publish gates (``datasets.catalog.quality.gates``) on every path into the
catalog: a harvest (prepared files and the harvested record) and a republication (an
operator's release or reclassification, a confirmation: the stored resources and the stored
dataset). The gates' checks are pure; this module gathers their plain values, among them the
other active datasets holding a byte-identical file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.catalog.quality.gates import (
    TABLE_FORMATS,
    GateEntry,
    GateFile,
    failed_gates,
    hold,
)
from datasets.catalog.quality.scoring import filled_fields
from datasets.intake.prepare import PreparedFile, scan_report
from datasets.intake.records import FileRecord, HarvestRecord
from datasets.models import Dataset, Resource
from datasets.openness import rules as op

DUPLICATE = "duplicate-file"
MAX_COPIES = 3  # other datasets named for one duplicated file


def _no_table(fmt: str, rows: int | None, pii: dict[str, Any]) -> bool:
    """A table format in which the reading found no table at all (a blank file, an empty
    sheet): no column but the scanner's marks for text outside a table, such as （其他文字）.
    Not the same as a file the reader could not read, which is held for a person."""
    if fmt not in TABLE_FORMATS or rows is not None:
        return False
    report = scan_report(pii)
    named = [c for c in report.columns if not c.startswith("（")]
    return not report.held and not report.table_columns and not named


def prepared_files(
    prepared: Sequence[PreparedFile], unfetched: Iterable[FileRecord] = ()
) -> list[GateFile]:
    """The gates' view of a harvest's prepared files, and of the files it names but could not
    fetch (no local copy: not yet checkable)."""
    out = [
        GateFile(
            name=p.record.name,
            format=p.format,
            size=p.path.stat().st_size,
            sha256=p.sha256,
            rows=p.row_count,
            no_table=_no_table(p.format, p.row_count, p.pii),
        )
        for p in prepared
    ]
    out += [
        GateFile(name=f.name, format=(f.format or "").lower(), mirrored=False) for f in unfetched
    ]
    return out


def stored_files(resources: Sequence[Resource]) -> list[GateFile]:
    """The gates' view of a dataset's stored resources (one without a stored file is a link
    that could not be fetched: not yet checkable)."""
    return [
        GateFile(
            name=r.name,
            format=(r.format or "").lower(),
            mirrored=bool(r.sha256),
            size=r.size,
            sha256=r.sha256,
            rows=r.row_count,
            no_table=bool(r.sha256)
            and _no_table((r.format or "").lower(), r.row_count, r.pii_report or {}),
        )
        for r in resources
    ]


def copies(session: Session, hashes: Iterable[str], *, exclude: str | None) -> dict[str, list[str]]:
    """SHA-256 → the other active datasets (not ``exclude``) holding a file with those bytes,
    as “标题”（name）."""
    wanted = sorted({h for h in hashes if h})
    if not wanted:
        return {}
    query = (
        select(Resource.sha256, Dataset.title, Dataset.name)
        .join(Dataset, Resource.dataset_id == Dataset.id)
        .where(Resource.sha256.in_(wanted), Dataset.state == "active", Resource.size > 0)
        .order_by(Dataset.name)
    )
    if exclude is not None:
        query = query.where(Dataset.id != exclude)
    found: dict[str, list[str]] = defaultdict(list)
    for sha, title, name in session.execute(query):
        label = f"“{title}”（{name}）"
        if label not in found[sha]:
            found[sha].append(label)
    return dict(found)


def _filled(meta: HarvestRecord | Dataset, classification: op.Classification) -> frozenset[str]:
    """The 目录 fields a harvested record or a stored dataset fills in, counted as the quality
    score counts them (信息项 comes from the files and is left to the file gates)."""
    if isinstance(meta, Dataset):
        provider, provider_code = meta.organization.title, meta.organization.code
    else:
        provider, provider_code = meta.provider.title, meta.provider.code
    return filled_fields(
        SimpleNamespace(
            title=meta.title,
            code=meta.code,
            topic=meta.topic,
            provider=provider,
            provider_code=provider_code,
            notes=meta.notes,
            openness=classification.openness,
            conditions=meta.conditions,
            exclusion_rule=classification.exclusion_rule,
            exclusion_basis=classification.exclusion_basis,
            share_type=meta.share_type,
            update_cycle=meta.update_cycle,
            issued=meta.issued,
            modified=meta.modified,
            temporal_start=meta.temporal_start,
            temporal_end=meta.temporal_end,
            field_count=None,
        )
    )


def gate_entry(
    session: Session,
    classification: op.Classification,
    meta: HarvestRecord | Dataset,
    files: Sequence[GateFile],
    *,
    dataset_id: str | None,
) -> GateEntry:
    """The gates' view of an entry (a harvested record or a stored dataset) and its files, with
    the other active datasets holding a byte-identical file."""
    found = copies(session, [f.sha256 or "" for f in files if f.size], exclude=dataset_id)
    named = [replace(f, copies=tuple(found.get(f.sha256 or "", [])[:MAX_COPIES])) for f in files]
    return GateEntry(
        openness=classification.openness,
        filled=_filled(meta, classification),
        files=tuple(named),
    )


def apply_gates(
    session: Session,
    classification: op.Classification,
    meta: HarvestRecord | Dataset,
    files: Sequence[GateFile],
    *,
    dataset_id: str | None,
) -> op.Classification:
    """``classification`` held by the gates the entry fails (unchanged when it passes all)."""
    entry = gate_entry(session, classification, meta, files, dataset_id=dataset_id)
    return hold(classification, failed_gates(entry))


def copies_gone(session: Session, dataset: Dataset) -> bool:
    """Whether a dataset held as a duplicate no longer duplicates any active dataset (the one
    it copied was withdrawn, held or changed): its unchanged entry must be checked again."""
    held = {g.get("code") for g in (dataset.quarantine or {}).get("gates", [])}
    if DUPLICATE not in held:
        return False
    hashes = [r.sha256 for r in dataset.resources if r.size]
    return not copies(session, hashes, exclude=dataset.id)
