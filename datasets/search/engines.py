"""The two full-text adapters, both inside the catalog's own database: SQLite FTS5 (the embedded
default) and PostgreSQL's text search (a tsvector column with a GIN index). They differ only in
how a document is matched and ranked; rows, filters, facets and sorting are common SQL.

Words reach the database already cut (``datasets.search.analysis``); each query word is a choice
of alternatives, each alternative a set of tokens that must all be present. User text only ever
travels as bound parameters: an FTS5 query string quotes every token, PostgreSQL gets one
``plainto_tsquery`` per alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, case, false, func, literal_column, or_, select
from sqlalchemy.sql import column, table

from datasets.models import SearchEntry
from datasets.search.analysis import QueryWord

Alternative = tuple[str, ...]
# ranking weights of the words columns: title, keywords (department, topic, tags, columns),
# notes, pinyin of the title
_FTS = table("search_fts", column("rowid"))
_BM25_WEIGHTS = (6.0, 2.0, 1.0, 2.0)
_DOCUMENT: Any = literal_column("search_entries.document")
_SIMPLE: Any = literal_column("'simple'::regconfig")


class TextEngine(Protocol):
    # whether a match is a set of entry numbers, so that it may be applied to another table's
    # ``doc`` column (``doc`` below) without reading ``search_entries``
    standalone: bool

    def matches(
        self, words: Sequence[QueryWord], *, exact: bool = False, doc: Any = SearchEntry.doc
    ) -> ColumnElement[bool]:
        """Entries holding every word (any of its alternatives; exact ones only if ``exact``)."""

    def excludes(self, tokens: Alternative, *, doc: Any = SearchEntry.doc) -> ColumnElement[bool]:
        """Entries not holding all of ``tokens``."""

    def ranked(self, query: Any, words: Sequence[QueryWord]) -> tuple[Any, Any]:
        """``query`` joined as needed, and an expression to order by (best first, ascending)."""


def _alternatives(word: QueryWord, exact: bool) -> list[Alternative]:
    return [a for a in (word.exact if exact else word.exact + word.loose) if a]


class SqliteText:
    """FTS5 over the words columns (``search_fts``, kept in step by triggers)."""

    standalone = True

    @staticmethod
    def expression(words: Sequence[QueryWord], *, exact: bool = False) -> str:
        parts = []
        for word in words:
            options = [_fts_all(a) for a in _alternatives(word, exact)]
            parts.append("(" + " OR ".join(options) + ")")
        return " AND ".join(parts)

    def _docs(self, expression: str) -> Any:
        return select(_FTS.c.rowid).where(literal_column("search_fts").op("MATCH")(expression))

    def matches(
        self, words: Sequence[QueryWord], *, exact: bool = False, doc: Any = SearchEntry.doc
    ) -> ColumnElement[bool]:
        return doc.in_(self._docs(self.expression(words, exact=exact)))

    def excludes(self, tokens: Alternative, *, doc: Any = SearchEntry.doc) -> ColumnElement[bool]:
        if not tokens:
            return ~false()
        return doc.not_in(self._docs(_fts_all(tokens)))

    def ranked(self, query: Any, words: Sequence[QueryWord]) -> tuple[Any, Any]:
        expression = self.expression(words)
        joined = query.join(_FTS, _FTS.c.rowid == SearchEntry.doc).where(
            literal_column("search_fts").op("MATCH")(expression)
        )
        return joined, func.bm25(literal_column("search_fts"), *_BM25_WEIGHTS)


def _fts_all(tokens: Alternative) -> str:
    return "(" + " AND ".join('"' + t.replace('"', '""') + '"' for t in tokens) + ")"


class PostgresText:
    """A generated tsvector column (weights A–D: title, keywords, pinyin, notes), GIN-indexed."""

    standalone = False  # the tsvector is a column of search_entries

    @staticmethod
    def tsquery(words: Sequence[QueryWord], *, exact: bool = False) -> Any:
        query: Any = None
        for word in words:
            either: Any = None
            for alternative in _alternatives(word, exact):
                one = func.plainto_tsquery(_SIMPLE, " ".join(alternative))
                either = one if either is None else either.op("||")(one)
            query = either if query is None else query.op("&&")(either)
        return query

    def matches(
        self, words: Sequence[QueryWord], *, exact: bool = False, doc: Any = SearchEntry.doc
    ) -> ColumnElement[bool]:
        query = self.tsquery(words, exact=exact)
        if query is None:
            return ~false()
        return _DOCUMENT.op("@@")(query)

    def excludes(self, tokens: Alternative, *, doc: Any = SearchEntry.doc) -> ColumnElement[bool]:
        if not tokens:
            return ~false()
        return or_(
            _DOCUMENT.is_(None),
            ~_DOCUMENT.op("@@")(func.plainto_tsquery(_SIMPLE, " ".join(tokens))),
        )

    def ranked(self, query: Any, words: Sequence[QueryWord]) -> tuple[Any, Any]:
        tsquery = self.tsquery(words)
        return query.where(_DOCUMENT.op("@@")(tsquery)), -func.ts_rank(_DOCUMENT, tsquery)


def text_engine(dialect: str) -> TextEngine:
    return SqliteText() if dialect == "sqlite" else PostgresText()


def exact_first(engine: TextEngine, words: Sequence[QueryWord]) -> Any:
    """0 for entries matching every word exactly (the word itself or a synonym), 1 for those
    found only through a shorter word inside a query word (公交车 → 公交)."""
    if not any(w.loose for w in words):
        return None
    return case((engine.matches(words, exact=True), 0), else_=1)
