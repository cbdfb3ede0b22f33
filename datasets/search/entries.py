"""The search rows of the catalog, written in the same transaction as their datasets.

A session made by the runtime notes every dataset whose public metadata changes (new, a
searched column changed, its revision bumped, one of its files or its department changed) and,
just before it commits, writes those datasets' search rows: a row per public (active) dataset in
``search_entries`` with its text cut into words, its filter and facet values in
``search_values`` and its public package dict in ``search_packages``. A change that leaves the
words alone (a file confirmed, a suspension, a quality score) writes the package and the values
only. A dataset that is no longer
public loses its row. Publishing and search therefore never disagree, and a crash leaves both or
neither. The database's full-text index follows the rows by itself (SQLite triggers over an
FTS5 table; a generated tsvector column in PostgreSQL).

Package ids and removal marks are written in commit order (``in_commit_order``), so that a reader
who sees one sees every smaller one: the static build reads only the rows written since its tree
(``datasets.publish.sources.changed_since``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, Table, delete, event, func, insert, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from datasets.catalog.packages import package_dict
from datasets.models import (
    Dataset,
    Organization,
    Resource,
    SearchEntry,
    SearchFacets,
    SearchPackage,
    SearchRemoval,
    SearchValue,
)
from datasets.search import analysis
from datasets.search.titles import title_tokens
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
    "columns",
    "exclusion_rule",
    "exclusion_basis",
    "tags",
)
# a change of one of these organisation columns changes its datasets' search rows
_ORGANIZATION = ("name", "title", "code")
# separators of the facet values' text (control characters, never part of a value)
FACET_ITEM, FACET_FIELD = "\x1e", "\x1f"
_PENDING = "search_pending"  # datasets whose rows are written again, words and all
_PACKAGES = "search_packages"  # datasets whose words are unchanged: package and values only
_TITLE_MAX = 500
_ORDER_LOCK = 0x6B616966  # PostgreSQL's advisory lock of the search rows' writers
_VALUE_MAX = 200


class SearchRow(NamedTuple):
    entry: dict[str, Any]  # the columns of ``search_entries``
    values: list[tuple[str, str]]  # (field, value) pairs of ``search_values``
    package: str  # the public package dict as JSON


def search_row(ds: Dataset) -> SearchRow:
    """The search entry of a public dataset, its (field, value) pairs and its package, from its
    public package dict only: nothing a visitor could not read on the dataset's page is
    searchable."""
    pkg, values, package = _package_row(ds)
    entry = {
        "dataset_id": ds.id,
        "revision": ds.revision,
        "name": pkg["name"],
        "metadata_created": ds.created_at,
        "metadata_modified": ds.metadata_modified,
        **searched_text(pkg),
    }
    return SearchRow(entry, values, package)


def searched_text(pkg: Mapping[str, Any]) -> dict[str, str]:
    """The columns of a search entry cut into words (and the title's sort key), from a public
    package dict: what a change of the tokenizer, its dictionary or the folding changes."""
    tags = [t["name"] for t in pkg["tags"]]
    keywords = [pkg["organization"]["title"], pkg["topic"] or "", *tags]
    keywords += [c.get("name", "") for c in pkg["columns"] if isinstance(c, dict)]
    if pkg["exclusion_rule_title"]:
        keywords += [pkg["exclusion_rule_title"], pkg["exclusion_basis"] or ""]
    notes = plain_text(pkg["notes"])
    title = pkg["title"][:_TITLE_MAX]
    title_words, pinyin_words = title_tokens(title)
    return {
        "title": title,
        "title_sort": analysis.fold(title),
        "notes": notes,
        "title_words": " ".join(title_words),
        "keyword_words": " ".join(analysis.keyword_tokens(keywords)),
        "notes_words": " ".join(analysis.index_tokens(notes)),
        "pinyin_words": " ".join(pinyin_words),
    }


def _package_row(ds: Dataset) -> tuple[dict[str, Any], list[tuple[str, str]], str]:
    """A dataset's public package dict, its filter and facet values, and the dict as JSON."""
    pkg = package_dict(ds, base_url="")
    values = {
        ("organization", pkg["organization"]["name"]),
        ("openness", pkg["openness"]),
        *(("tags", t["name"]) for t in pkg["tags"]),
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
    package = _json(pkg)
    return pkg, sorted((f, _clean_value(v)) for f, v in values), package


def _clean_value(value: str) -> str:
    return value.replace(FACET_ITEM, " ").replace(FACET_FIELD, " ")[:_VALUE_MAX]


def write_entries(session: Session, datasets: Iterable[Dataset]) -> int:
    """Replace the search rows of ``datasets`` (none for a dataset that is not public) in the
    session's transaction. Returns the number of rows written."""
    datasets = [ds for ds in datasets if ds.id]
    rows = [search_row(ds) for ds in datasets if _visible(ds)]  # cut before any row is locked
    return store_rows(session, [ds.id for ds in datasets], rows)


def store_rows(session: Session, dataset_ids: Sequence[str], rows: Sequence[SearchRow]) -> int:
    """Replace the search rows of ``dataset_ids`` by ``rows`` (made by ``search_row``)."""
    if not dataset_ids:
        return 0
    delete_entries(session, dataset_ids, replaced=len(rows))
    if not rows:
        return 0
    table = _table(SearchEntry)
    statement = insert(table).returning(table.c.doc, sort_by_parameter_order=True)
    docs = session.connection().execute(statement, [row.entry for row in rows]).scalars()
    _write_values(session, list(zip(docs, rows, strict=True)))
    return len(rows)


def write_packages(session: Session, datasets: Iterable[Dataset]) -> int:
    """Write again the package and the values of public ``datasets`` whose words are unchanged
    (a file added or confirmed, a suspension, a quality score): no word is cut again. A dataset
    without a search row gets its whole row. Returns the number of rows written."""
    datasets = [ds for ds in datasets if ds.id and _visible(ds)]
    if not datasets:
        return 0
    ids = [ds.id for ds in datasets]
    query = select(SearchEntry.dataset_id, SearchEntry.doc).where(SearchEntry.dataset_id.in_(ids))
    docs: dict[str, int] = {dataset_id: doc for dataset_id, doc in session.execute(query)}
    written = write_entries(session, [ds for ds in datasets if ds.id not in docs])
    kept = [ds for ds in datasets if ds.id in docs]
    if kept:
        pairs = [(docs[ds.id], _package_row(ds)) for ds in kept]
        in_commit_order(session)
        doc_ids = [doc for doc, _ in pairs]
        session.execute(delete(SearchValue).where(SearchValue.doc.in_(doc_ids)))
        session.execute(delete(SearchFacets).where(SearchFacets.doc.in_(doc_ids)))
        session.execute(delete(SearchPackage).where(SearchPackage.doc.in_(doc_ids)))
        _write_values(
            session, [(doc, SearchRow({}, values, package)) for doc, (_, values, package) in pairs]
        )
    return written + len(kept)


def patch_packages(session: Session, changes: Mapping[str, Mapping[str, Any]]) -> int:
    """Set keys of stored packages, by dataset id, for a writer that changes datasets with
    no ORM session events (the quality refresh updates its column in bulk). Returns the number
    of packages written."""
    if not changes:
        return 0
    stored = session.execute(
        select(SearchEntry.dataset_id, SearchPackage.doc, SearchPackage.package)
        .join(SearchPackage, SearchPackage.doc == SearchEntry.doc)
        .where(SearchEntry.dataset_id.in_(list(changes)))
    ).all()
    in_commit_order(session)
    rows = []
    for dataset_id, doc, text in stored:
        pkg = json.loads(text)
        pkg.update(changes[dataset_id])
        rows.append({"doc": doc, "package": _json(pkg)})
    if rows:
        session.execute(
            delete(SearchPackage).where(SearchPackage.doc.in_([r["doc"] for r in rows]))
        )
        session.execute(insert(SearchPackage), rows)
    return len(rows)


def in_commit_order(session: Session) -> None:
    """From here to its commit, the session's transaction is the only one writing search rows.
    PostgreSQL hands out a sequence's ids as transactions ask, not as they commit: without this,
    a reader could see id 101 committed while 100 is still to come. SQLite has one writer at a
    time already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_ORDER_LOCK)))


def facet_items(values: Iterable[tuple[str, str]]) -> str:
    """(field, value) pairs as the one text of ``search_facets``."""
    return FACET_ITEM.join(f"{field}{FACET_FIELD}{value}" for field, value in values)


def _json(pkg: Mapping[str, Any]) -> str:
    return json.dumps(pkg, ensure_ascii=False, separators=(",", ":"))


def _write_values(session: Session, rows: Sequence[tuple[int, SearchRow]]) -> None:
    """The values and the package of each (doc, row)."""
    values = [
        {"doc": doc, "field": field, "value": value}
        for doc, row in rows
        for field, value in row.values
    ]
    connection = session.connection()  # plain inserts: the ORM's bulk path costs more here
    if values:
        connection.execute(insert(_table(SearchValue)), values)
    packages = [{"doc": doc, "package": row.package} for doc, row in rows]
    if packages:
        connection.execute(insert(_table(SearchPackage)), packages)
        facets = [{"doc": doc, "items": facet_items(row.values)} for doc, row in rows]
        connection.execute(insert(_table(SearchFacets)), facets)


def delete_entries(session: Session, dataset_ids: Sequence[str], *, replaced: int = 0) -> None:
    """Remove the search rows of ``dataset_ids``; where fewer than were removed are written in
    their place (``replaced``), leave a removal mark."""
    in_commit_order(session)
    statement = delete(SearchEntry).where(SearchEntry.dataset_id.in_(list(dataset_ids)))
    gone = cast(CursorResult[Any], session.execute(statement)).rowcount
    if gone > replaced:
        session.execute(insert(SearchRemoval).values(removed=gone - replaced))


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _visible(ds: Dataset) -> bool:
    state = inspect(ds)
    return not (state.deleted or state.was_deleted) and ds.state in VISIBLE_STATES


def watch(sessions: sessionmaker[Session]) -> None:
    """Make every session of ``sessions`` write the search rows of the datasets it changed."""
    event.listen(sessions, "before_flush", _note_changes)
    event.listen(sessions, "before_commit", _write_pending)
    event.listen(sessions, "after_rollback", _forget_pending)


def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    words: set[Dataset] = session.info.setdefault(_PENDING, set())
    packages: set[Dataset] = session.info.setdefault(_PACKAGES, set())
    with session.no_autoflush:
        for obj in session.new:
            if isinstance(obj, Dataset):
                words.add(obj)
        for obj in session.dirty:
            if isinstance(obj, Dataset) and _changed(obj, _SEARCHED):
                words.add(obj)
            elif isinstance(obj, Dataset) and session.is_modified(obj):
                packages.add(obj)
            elif isinstance(obj, Organization) and _changed(obj, _ORGANIZATION):
                words.update(obj.datasets)  # its title is a keyword, its name a facet value
        for obj in session.deleted:
            if isinstance(obj, Dataset):
                words.add(obj)
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, Resource):
                owner = obj.dataset or session.get(Dataset, obj.dataset_id)
                if owner is not None:
                    packages.add(owner)


def _changed(obj: Any, names: Sequence[str]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _write_pending(session: Session) -> None:
    while True:
        session.flush()
        words: set[Dataset] = session.info.pop(_PENDING, set())
        packages: set[Dataset] = session.info.pop(_PACKAGES, set()) - words
        if not words and not packages:
            return
        gone = [ds.id for ds in words if ds.id and not _visible(ds)]
        if gone:
            delete_entries(session, gone)
        write_entries(session, [ds for ds in words if _visible(ds)])
        write_packages(session, packages)


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_PACKAGES, None)
