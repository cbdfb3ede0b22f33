"""The one adapter to Whoosh: a Chinese full-text index of public catalog entries.

Text is cut into words by jieba in its search mode, which also yields the short words inside
long ones (公交线路 → 公交, 线路, 公交线路), so two-character queries such as 公交 or 养老
match. All words of a query must match. The index is derived from the database and can be
rebuilt at any time.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import qparser, sorting
from whoosh.analysis import LowercaseFilter, StopFilter, Token, Tokenizer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.query import And, DateRange, Every, Or, Term

log = logging.getLogger(__name__)

_WORDS_FILE = Path(__file__).with_name("search_words.txt")
_jieba_lock = threading.Lock()
_jieba_ready = False
_SKIP = re.compile(r"^[\s\W_]+$", re.UNICODE)

STOP_WORDS = frozenset(
    ["的", "了", "和", "与", "及", "或", "等", "是", "在", "对", "由", "为", "之", "其"]
    + ["the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "is", "are"]
)

# Facet fields: the filters a search page offers, in display order.
FACET_FIELDS = ("organization", "topic", "openness", "formats", "update_cycle", "tags")
_MULTI_VALUED = {"formats", "tags"}
SCHEMA_VERSION = "2"  # change when make_schema changes: older indexes are rebuilt
SORTS: dict[str, tuple[str, bool] | None] = {
    "score desc": None,
    "id asc": ("id", False),
    "id desc": ("id", True),
    "metadata_modified desc": ("modified", True),
    "metadata_modified asc": ("modified", False),
    "name asc": ("name", False),
    "name desc": ("name", True),
    "title_string asc": ("title_sort", False),
    "title_string desc": ("title_sort", True),
}


def _ensure_jieba() -> Any:
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                if _WORDS_FILE.exists():
                    jieba.load_userdict(str(_WORDS_FILE))
                _jieba_ready = True
    return jieba


class JiebaTokenizer(Tokenizer):
    """Whoosh tokenizer cutting Chinese (and mixed) text with jieba's search mode."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        jieba = _ensure_jieba()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for word, start, end in jieba.tokenize(value, mode="search"):
            if _SKIP.match(word):
                continue
            token.original = token.text = word
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def chinese_analyzer() -> Any:
    return JiebaTokenizer() | LowercaseFilter() | StopFilter(stoplist=STOP_WORDS, minsize=1)


def make_schema() -> Schema:
    analyzer = chinese_analyzer()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        name=ID(stored=True, sortable=True),
        revision=NUMERIC(stored=True),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=4.0),
        title_sort=ID(sortable=True),
        notes=TEXT(analyzer=analyzer, stored=True),
        keywords=TEXT(analyzer=analyzer, field_boost=2.0),
        organization=ID(stored=True),
        topic=ID(stored=True),
        openness=ID(stored=True),
        update_cycle=ID(stored=True),
        formats=KEYWORD(stored=True, commas=True, lowercase=True),
        tags=KEYWORD(stored=True, commas=True),
        modified=DATETIME(stored=True, sortable=True),
    )


@dataclass(frozen=True)
class SearchHit:
    id: str
    name: str
    score: float
    title_html: str
    notes_html: str


@dataclass(frozen=True)
class SearchResult:
    count: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def _sort_order(sort: str | None, q: str) -> tuple[str | None, bool]:
    """The field to sort by (None: by relevance) and whether descending."""
    chosen = SORTS.get(sort) if sort else None
    if chosen:
        return chosen
    if not q.strip():
        return "modified", True
    return None, False


def _facet_groups() -> dict[str, Any]:
    return {
        name: sorting.FieldFacet(name, allow_overlap=name in _MULTI_VALUED, maptype=sorting.Count)
        for name in FACET_FIELDS
    }


def _hit(hit: Any, *, scored: bool) -> SearchHit:
    return SearchHit(
        id=hit["id"],
        name=hit["name"],
        # when sorted by a field, Whoosh puts the sort key in ``score``
        score=float(hit.score or 0.0) if scored else 0.0,
        title_html=hit.highlights("title", text=hit.get("title", ""), top=1) or "",
        notes_html=hit.highlights("notes", text=hit.get("notes", ""), top=2) or "",
    )


class SearchIndex:
    """A Whoosh index in one folder. Writers wait for the lock; readers never block."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _open(self, create: bool = False) -> Any:
        """The index, or ``None`` when there is none of the current schema version (an index of
        an older version counts as absent and is replaced on the next write)."""
        if whoosh_index.exists_in(str(self.path)) and self._version() == SCHEMA_VERSION:
            return whoosh_index.open_dir(str(self.path))
        if not create:
            return None
        return self.clear()

    def _version(self) -> str | None:
        marker = self.path / "SCHEMA_VERSION"
        return marker.read_text().strip() if marker.exists() else None

    def clear(self) -> Any:
        self.path.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(self.path), make_schema())
        (self.path / "SCHEMA_VERSION").write_text(SCHEMA_VERSION)
        return ix

    def revisions(self, ids: Iterable[str] | None = None) -> dict[str, int]:
        """Indexed dataset ids and the revision each was indexed at (of ``ids`` only, looked
        up one by one, when given: the cost does not grow with the index)."""
        ix = self._open()
        if ix is None:
            return {}
        with ix.searcher() as searcher:
            if ids is None:
                return {doc["id"]: int(doc["revision"]) for doc in searcher.all_stored_fields()}
            found = (searcher.document(id=doc_id) for doc_id in ids)
            return {doc["id"]: int(doc["revision"]) for doc in found if doc}

    def apply(
        self,
        upserts: Iterable[Mapping[str, Any]],
        deletes: Iterable[str],
        *,
        indexed: Collection[str] | None = None,
    ) -> int:
        """Add or replace documents and delete others, in one commit. Returns changes made.
        ``indexed``: the ids among ``upserts`` known to be in the index (when the caller knows):
        the others are added without looking for an old copy to replace."""
        upserts = list(upserts)
        deletes = list(deletes)
        if not upserts and not deletes:
            return 0
        ix = self._open(create=True)
        writer = ix.writer(timeout=120.0, delay=0.2)
        try:
            for doc_id in deletes:
                writer.delete_by_term("id", doc_id)
            for doc in upserts:
                if indexed is not None and doc["id"] not in indexed:
                    writer.add_document(**doc)
                else:
                    writer.update_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return len(upserts) + len(deletes)

    def search(
        self,
        q: str,
        *,
        filters: Mapping[str, Sequence[str]] | None = None,
        sort: str | None = None,
        start: int = 0,
        rows: int = 20,
        facets: bool = True,
        modified: tuple[datetime | None, datetime | None] = (None, None),
    ) -> SearchResult:
        """Search. ``modified`` bounds the catalog record's last modification (inclusive)."""
        ix = self._open()
        if ix is None:
            return SearchResult(0, [], {name: [] for name in FACET_FIELDS} if facets else {})
        query = self._parse(ix, q)
        filter_query = _filter_query(filters or {})
        if modified != (None, None):
            since, until = (d.replace(tzinfo=None) if d else None for d in modified)
            window = DateRange("modified", since, until)
            filter_query = window if filter_query is None else And([filter_query, window])
        sortedby, reverse = _sort_order(sort, q)
        groupedby = _facet_groups() if facets else None
        with ix.searcher() as searcher:
            results = searcher.search(
                query,
                filter=filter_query,
                limit=max(start + rows, 1),
                sortedby=sortedby,
                reverse=reverse,
                groupedby=groupedby,
                terms=True,
            )
            results.fragmenter = ContextFragmenter(maxchars=120, surround=40)
            results.formatter = HtmlFormatter(tagname="mark", classname="hl", termclass="t")
            hits = [_hit(hit, scored=sortedby is None) for hit in results[start : start + rows]]
            facet_counts: dict[str, list[tuple[str, int]]] = {}
            if facets:
                for name in FACET_FIELDS:
                    groups = results.groups(name)
                    pairs = [(str(k), int(v)) for k, v in groups.items() if k not in (None, "")]
                    facet_counts[name] = sorted(pairs, key=lambda kv: (-kv[1], kv[0]))
            return SearchResult(len(results), hits, facet_counts)

    @staticmethod
    def _parse(ix: Any, q: str) -> Any:
        text = (q or "").strip()
        if not text or text in ("*", "*:*"):
            return Every()
        parser = qparser.MultifieldParser(
            ["title", "notes", "keywords"], schema=ix.schema, group=qparser.AndGroup
        )
        # Plain-language search: no field syntax, wildcards or operators from users.
        parser.remove_plugin_class(qparser.FieldsPlugin)
        parser.remove_plugin_class(qparser.WildcardPlugin)
        parser.remove_plugin_class(qparser.OperatorsPlugin)
        parser.remove_plugin_class(qparser.BoostPlugin)
        parser.remove_plugin_class(qparser.RangePlugin)
        return parser.parse(text)


def _filter_query(filters: Mapping[str, Sequence[str]]) -> Any:
    parts = []
    for name, values in filters.items():
        if name not in FACET_FIELDS:
            raise ValueError(f"cannot filter on {name!r}")
        values = [v for v in values if v]
        if not values:
            continue
        if name == "formats":
            values = [v.lower() for v in values]
        terms = [Term(name, v) for v in values]
        parts.append(terms[0] if len(terms) == 1 else Or(terms))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def index_document(
    *,
    id: str,
    name: str,
    revision: int,
    title: str,
    notes: str,
    keywords: Iterable[str],
    organization: str,
    topic: str | None,
    openness: str,
    update_cycle: str | None,
    formats: Iterable[str],
    tags: Iterable[str],
    modified: datetime,
) -> dict[str, Any]:
    """A Whoosh document from plain values (only what the public may see)."""
    return {
        "id": id,
        "name": name,
        "revision": revision,
        "title": title,
        "title_sort": title,
        "notes": notes,
        "keywords": " ".join(keywords),
        "organization": organization,
        "topic": topic or "",
        "openness": openness,
        "update_cycle": update_cycle or "",
        "formats": ",".join(sorted({f.lower() for f in formats if f})),
        "tags": ",".join(t.replace(",", " ") for t in tags),
        "modified": modified.replace(tzinfo=None),
    }
