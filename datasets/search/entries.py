"""The search rows of the catalog, written in the same transaction as their datasets.

A session made by the runtime notes every dataset whose public metadata changes (new, a
searched column changed, its revision bumped) and, just before it commits, writes those
datasets' search rows: a row per public (active) dataset in ``search_entries`` with its text cut
into words, and its filter and facet values in ``search_values``. A dataset that is no longer
public loses its row. Publishing and search therefore never disagree, and a crash leaves both or
neither. The database's full-text index follows the rows by itself (SQLite triggers over an
FTS5 table; a generated tsvector column in PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, event, insert, inspect
from sqlalchemy.orm import Session, sessionmaker

from datasets.catalog.packages import package_dict
from datasets.models import Dataset, SearchEntry, SearchValue
from datasets.search import analysis
from datasets.text import plain_text

VISIBLE_STATES = ("active",)
# the filter and facet fields kept as values (multi-valued ones have a row per value)
VALUE_FIELDS = (
    "organization",
    "groups",
    "topic",
    "tags",
    "res_format",
    "license_id",
    "openness",
    "update_cycle",
)
# a change of one of these dataset columns changes its search row
_SEARCHED = (
    "state",
    "revision",
    "name",
    "title",
    "notes",
    "organization_id",
    "topic",
    "openness",
    "update_cycle",
    "license_id",
    "metadata_modified",
)
_PENDING = "search_pending"
_TITLE_MAX = 500
_VALUE_MAX = 200


def search_row(ds: Dataset) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The search entry of a public dataset and its (field, value) pairs, from its public package
    dict only: nothing a visitor could not read on the dataset's page is searchable."""
    pkg = package_dict(ds, base_url="")
    tags = [t["name"] for t in pkg["tags"]]
    keywords = [pkg["organization"]["title"], pkg["topic"] or "", *tags]
    keywords += [c.get("name", "") for c in pkg["columns"] if isinstance(c, dict)]
    if pkg["exclusion_rule_title"]:
        keywords += [pkg["exclusion_rule_title"], pkg["exclusion_basis"] or ""]
    notes = plain_text(pkg["notes"])
    title = pkg["title"][:_TITLE_MAX]
    entry = {
        "dataset_id": ds.id,
        "revision": ds.revision,
        "name": pkg["name"],
        "title": title,
        "title_sort": analysis.fold(title),
        "notes": notes,
        "metadata_created": ds.created_at,
        "metadata_modified": ds.metadata_modified,
        "title_words": " ".join(analysis.index_tokens(title)),
        "keyword_words": " ".join(analysis.index_tokens(" ".join(keywords))),
        "notes_words": " ".join(analysis.index_tokens(notes)),
        "pinyin_words": " ".join(analysis.pinyin_tokens(title)),
    }
    values = {
        ("organization", pkg["organization"]["name"]),
        ("openness", pkg["openness"]),
        *(("tags", tag) for tag in tags),
        *(("res_format", fmt.upper()) for fmt in pkg["formats"] if fmt),
    }
    for name, value in (
        ("groups", pkg["topic"]),
        ("topic", pkg["topic"]),
        ("license_id", pkg["license_id"]),
        ("update_cycle", pkg["update_cycle"]),
    ):
        if value:
            values.add((name, value))
    return entry, sorted((f, v[:_VALUE_MAX]) for f, v in values)


def write_entries(session: Session, datasets: Iterable[Dataset]) -> int:
    """Replace the search rows of ``datasets`` (none for a dataset that is not public) in the
    session's transaction. Returns the number of rows written."""
    datasets = [ds for ds in datasets if ds.id]
    if not datasets:
        return 0
    ids = [ds.id for ds in datasets]
    session.execute(delete(SearchEntry).where(SearchEntry.dataset_id.in_(ids)))
    rows = [search_row(ds) for ds in datasets if _visible(ds)]
    if not rows:
        return 0
    docs = session.execute(
        insert(SearchEntry).returning(
            SearchEntry.doc, SearchEntry.dataset_id, sort_by_parameter_order=True
        ),
        [entry for entry, _ in rows],
    ).all()
    values = [
        {"doc": doc.doc, "field": field, "value": value}
        for doc, (_, pairs) in zip(docs, rows, strict=True)
        for field, value in pairs
    ]
    if values:
        session.execute(insert(SearchValue), values)
    return len(rows)


def delete_entries(session: Session, dataset_ids: Sequence[str]) -> None:
    session.execute(delete(SearchEntry).where(SearchEntry.dataset_id.in_(list(dataset_ids))))


def _visible(ds: Dataset) -> bool:
    state = inspect(ds)
    return not (state.deleted or state.was_deleted) and ds.state in VISIBLE_STATES


def watch(sessions: sessionmaker[Session]) -> None:
    """Make every session of ``sessions`` write the search rows of the datasets it changed."""
    event.listen(sessions, "before_flush", _note_changes)
    event.listen(sessions, "before_commit", _write_pending)
    event.listen(sessions, "after_rollback", _forget_pending)


def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    pending: set[Dataset] = session.info.setdefault(_PENDING, set())
    for obj in session.new:
        if isinstance(obj, Dataset):
            pending.add(obj)
    for obj in session.dirty:
        if isinstance(obj, Dataset) and _searched_change(obj):
            pending.add(obj)
    for obj in session.deleted:
        if isinstance(obj, Dataset):
            pending.add(obj)


def _searched_change(ds: Dataset) -> bool:
    attrs = inspect(ds).attrs
    return any(attrs[name].history.has_changes() for name in _SEARCHED)


def _write_pending(session: Session) -> None:
    while True:
        session.flush()
        pending: set[Dataset] = session.info.pop(_PENDING, set())
        if not pending:
            return
        gone = [ds.id for ds in pending if ds.id and not _visible(ds)]
        if gone:
            delete_entries(session, gone)
        write_entries(session, [ds for ds in pending if _visible(ds)])


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
