"""Scoring the catalog: views built from database rows, and ``refresh_quality`` storing scores."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Table, Text, bindparam, cast, select, update

from datasets.catalog.quality.criteria import CRITERIA, DatasetView, FileView, capacity_of
from datasets.catalog.quality.flags import score_catalog
from datasets.intake.storage import REMOTE
from datasets.models import Dataset, Organization, Resource
from datasets.openness import rules as op
from datasets.runtime import Runtime
from datasets.text import plain_text
from datasets.workdays import shanghai_today

_BATCH = 1000
_DESCRIPTION = [c.code for c in CRITERIA].index("description")  # its place in stored criteria
_MARKDOWN_SIGNS = re.compile(r"[\\`*_\[\]!<>&#|=~]|^\s*(?:[-+]|\d+[.)])|^(?: {4}|\t)", re.M)


def description_length(notes: str | None) -> int:
    """Length of the plain text of a Markdown description (``datasets.text.plain_text``); text
    without any Markdown syntax skips the (slow) Markdown parser and gives the same length."""
    if not notes:
        return 0
    if _MARKDOWN_SIGNS.search(notes):
        return len(plain_text(notes))
    return len(re.sub(r"\s+", " ", notes).strip())


def build_view(
    ds: Any, files: Iterable[FileView], *, today: date, description_chars: int | None = None
) -> DatasetView:
    """The view of a dataset from a row with ``Dataset``'s attributes plus ``provider`` and
    ``provider_code`` (its department's title and code). ``description_chars`` is the plain-text
    length of its notes when already known."""
    closed = ds.openness == op.CLOSED
    if description_chars is None:
        description_chars = 0 if closed else description_length(ds.notes)
    files = tuple(files)
    return DatasetView(
        id=ds.id,
        name=ds.name,
        title=ds.title,
        provider_id=ds.organization_id,
        openness=ds.openness,
        today=today,
        filled=filled_fields(ds),
        licence=ds.license_title or ds.license_id or ds.license_url,
        description_chars=description_chars,
        files=files,
        rows=ds.record_count,
        fields=ds.field_count,
        capacity=capacity_of((f.rows, f.fields) for f in files),
        update_cycle=ds.update_cycle,
        modified=ds.modified,
        revision=ds.revision,
    )


def filled_fields(ds: Any) -> frozenset[str]:
    """The labels of the 目录 fields (``CATALOG_FIELDS``) an entry fills in, from an object with
    ``Dataset``'s attributes plus ``provider`` and ``provider_code`` (its department's title
    and code). The quality score and the publish gates count the same way."""
    opened = {
        op.CLOSED: bool(ds.exclusion_rule and ds.exclusion_basis),
        op.CONDITIONAL: bool(ds.conditions),
    }.get(ds.openness, bool(ds.openness))
    present = {
        "名称": ds.title,
        "代码": ds.code,
        "分类": ds.topic,
        "提供方及代码": ds.provider and ds.provider_code,
        "摘要": (ds.notes or "").strip(),
        "开放属性": opened,
        "共享属性": ds.share_type,
        "更新周期": ds.update_cycle,
        "发布日期": ds.issued,
        "最近更新日期": ds.modified,
        "数据时间范围": ds.temporal_start or ds.temporal_end,
        "信息项": ds.field_count,
    }
    return frozenset(label for label, value in present.items() if value)


_DATASET_COLUMNS = (
    Dataset.id,
    Dataset.name,
    Dataset.title,
    Dataset.code,
    Dataset.topic,
    Dataset.organization_id,
    Dataset.notes,
    Dataset.openness,
    Dataset.conditions,
    Dataset.exclusion_rule,
    Dataset.exclusion_basis,
    Dataset.share_type,
    Dataset.update_cycle,
    Dataset.issued,
    Dataset.modified,
    Dataset.temporal_start,
    Dataset.temporal_end,
    Dataset.record_count,
    Dataset.field_count,
    Dataset.license_id,
    Dataset.license_title,
    Dataset.license_url,
    Dataset.revision,
    Organization.title.label("provider"),
    Organization.code.label("provider_code"),
)


def load_views(rt: Runtime, *, today: date) -> list[DatasetView]:
    """Views of every active dataset, read column by column in batches (no ORM objects).

    Parsing Markdown is the slowest step, so the description length scored last time is reused
    when the dataset's revision has not changed since (every change of its notes bumps it)."""
    active = Dataset.state == "active"
    files: dict[str, list[FileView]] = defaultdict(list)
    with rt.reader() as session:
        resources = session.execute(
            select(
                Resource.dataset_id,
                Resource.name,
                Resource.format,
                Resource.size,
                Resource.sha256,
                Resource.row_count,
                Resource.field_count,
                Resource.validation_status,
                Resource.validation_report["error_count"].as_integer().label("errors"),
                Resource.validation_report["rows"].as_integer().label("checked_rows"),
                Resource.storage_root,
                Resource.public_key,
                Dataset.openness,
            )
            .join(Dataset, Resource.dataset_id == Dataset.id)
            .where(active)
            .order_by(Resource.dataset_id, Resource.position)
            .execution_options(yield_per=_BATCH)
        )
        for r in resources:
            if r.openness == op.CONDITIONAL and r.public_key is None:
                continue  # graded on what the public can see: not its private originals
            files[r.dataset_id].append(_file_view(r))
        stored = Dataset.quality
        rows = session.execute(
            select(
                *_DATASET_COLUMNS,
                stored["revision"].as_integer().label("stored_revision"),
                stored[("criteria", _DESCRIPTION, "code")].as_string().label("chars_of"),
                stored[("criteria", _DESCRIPTION, "value")].as_integer().label("chars"),
            )
            .join(Organization, Dataset.organization_id == Organization.id)
            .where(active)
            .order_by(Dataset.id)
            .execution_options(yield_per=_BATCH)
        )
        return [
            build_view(row, files.get(row.id, ()), today=today, description_chars=_cached(row))
            for row in rows
        ]


def _file_view(r: Any) -> FileView:
    """The view of one file from a row of ``load_views``'s resource query."""
    return FileView(
        r.name,
        (r.format or "").lower(),
        r.size or 0,
        r.sha256 or "",
        r.row_count,
        r.validation_status,
        r.errors,
        r.checked_rows,
        r.field_count,
        r.storage_root == REMOTE,
    )


def _cached(row: Any) -> int | None:
    """The description length stored with the last score, if the dataset is unchanged since."""
    unchanged = row.stored_revision == row.revision and row.chars_of == "description"
    return row.chars if unchanged else None


def refresh_quality(rt: Runtime, *, today: date | None = None) -> int:
    """Recompute the quality of every active dataset and store it in one transaction; returns
    how many were scored. Harvest jobs and ``kaifang quality refresh`` call this."""
    # the package dicts (and the search rows made of them) import this package's criteria
    from datasets.catalog.packages import quality_fields
    from datasets.search.entries import patch_packages

    today = today or shanghai_today()
    scores = score_catalog(load_views(rt, today=today))
    table = Dataset.__table__
    assert isinstance(table, Table)
    ids = sorted(scores)  # one order for every process: concurrent harvests never deadlock
    update_by_id = (
        update(table).where(table.c.id == bindparam("b_id")).values(quality=bindparam("b_quality"))
    )
    with rt.session() as session:
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            stored = session.execute(
                select(table.c.id, cast(table.c.quality, Text)).where(table.c.id.in_(batch))
            )
            # a row already holding the same text is left alone (a differently serialised but
            # equal one is merely written again)
            same = {i for i, text in stored if text == json.dumps(scores[i])}
            changed = [i for i in batch if i not in same]
            if changed:
                session.execute(
                    update_by_id, [{"b_id": i, "b_quality": scores[i]} for i in changed]
                )
                # the stored packages of the search rows follow (no session event sees this)
                patch_packages(session, {i: quality_fields(scores[i]) for i in changed})
    return len(scores)
