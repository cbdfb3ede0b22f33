"""Text analysis for full-text search in the catalog database (SQLite FTS5 / PostgreSQL tsvector).

Text is folded (NFKC, traditional → simplified, lowercase) and cut into words by jieba here, in
Python, both when a document is indexed and when a query is parsed; the database only ever sees
space-separated tokens made of letters and digits, so no token can be query syntax there.

Query words carry alternatives: ``exact`` (the word and its synonyms from the operators' table)
and ``loose`` (sub-words of a long word), each alternative a conjunction of index tokens.
Titles are cut once for their words and their pinyin in ``datasets.search.titles``.

Nothing heavy is imported with this module: jieba, OpenCC and pypinyin load on first use or when
a process calls :func:`load`. Highlighting lives in ``datasets.search.highlight`` and "did you
mean" in ``datasets.search.suggest``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sys
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

USER_WORDS = Path(__file__).resolve().parent / "search_words.txt"
DEFAULT_SYNONYMS = Path(__file__).resolve().parents[2] / "config" / "synonyms.txt"
SYNONYM_CHECK_SECONDS = 1.0
MAX_SYNONYM_CHARS = 64

STOP_WORDS = frozenset(
    ["的", "了", "和", "与", "及", "或", "等", "是", "在", "对", "由", "为", "之", "其"]
    + ["the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "is", "are"]
)

_SKIP = re.compile(r"^[\s\W_]*$")
# Anything but letters and digits separates tokens: this removes FTS5/tsquery syntax
# (" * ^ : ( ) { } [ ] - & | ! ') as well as punctuation and underscores.
_NON_WORD = re.compile(r"[\W_]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SEPARATORS = re.compile(r"[\s,:]*")
_SYNONYM_SEPARATORS = re.compile(r"[\s,，、;；]+")
_BAD_CATEGORIES = frozenset(["Cc", "Cs", "Co", "Cn"])

_lock = threading.RLock()
_jieba: Any = None
_t2s: Any = None
_pinyin: Any = None
_pinyin_phrases = False

Alternative = tuple[str, ...]


def _get_jieba() -> Any:
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                # jieba finds its bundled dictionary through pkg_resources when that imports
                # (12 MB of a worker's memory for one file path), else opens the file itself
                hidden = "pkg_resources" not in sys.modules
                if hidden:
                    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
                try:
                    import jieba
                finally:
                    if hidden:
                        del sys.modules["pkg_resources"]

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                if USER_WORDS.exists():
                    jieba.load_userdict(str(USER_WORDS))
                _jieba = jieba
    return _jieba


def _get_t2s() -> Any:
    global _t2s
    if _t2s is None:
        with _lock:
            if _t2s is None:
                import opencc

                _t2s = opencc.OpenCC("t2s")
    return _t2s


def _get_pinyin(*, phrases: bool = True) -> Any:
    """The pypinyin module; with ``phrases``, its phrase table loaded too (compactly, see
    ``_phrases``). Words read in context (重庆 chongqing, not zhongqing) need the table: every
    writer of names and search rows asks for it. Readers (web workers' "did you mean", which
    reads every reading of a character) do not, and so do not carry its 20 MB."""
    global _pinyin, _pinyin_phrases
    if _pinyin is None or (phrases and not _pinyin_phrases):
        with _lock:
            if _pinyin is None:
                ours = "pypinyin" not in sys.modules and "PYPINYIN_NO_PHRASES" not in os.environ
                if ours:  # pypinyin then starts with no phrases; ours are loaded on demand
                    os.environ["PYPINYIN_NO_PHRASES"] = "1"
                try:
                    import pypinyin
                finally:
                    if ours:
                        del os.environ["PYPINYIN_NO_PHRASES"]
                _pinyin_phrases = not ours  # imported elsewhere: as it was loaded there
                _pinyin = pypinyin
            if phrases and not _pinyin_phrases:
                _pinyin.load_phrases_dict(_phrases(Path(_pinyin.__file__)))
                _pinyin_phrases = True
    return _pinyin


def _between(text: str, pos: int) -> int:
    """The position after the JSON separators (white space, commas, colons) at ``pos``."""
    found = _SEPARATORS.match(text, pos)
    return found.end() if found else pos


def _phrases(module: Path) -> dict[str, list[list[str]]]:
    """pypinyin's own phrase table, read phrase by phrase with equal syllables shared: as
    pypinyin loads it (one JSON document, a list and a string for every syllable of every
    phrase) it costs each process 55 MB; read this way, 20. pypinyin only ever copies them."""
    decoder = json.JSONDecoder()
    text = module.with_name("phrases_dict.json").read_text("utf-8")
    pos = _between(text, text.index("{") + 1)
    shared: dict[str, list[str]] = {}
    table: dict[str, list[list[str]]] = {}
    while text[pos] != "}":
        word, pos = decoder.raw_decode(text, pos)
        readings, pos = decoder.raw_decode(text, _between(text, pos))
        pos = _between(text, pos)
        table[word] = [shared.setdefault("\x00".join(r), r) for r in readings]
    return table


def load(*, writer: bool = True) -> None:
    """Load jieba (with our user dictionary), OpenCC, pypinyin and the synonym table, once.
    A process that writes no search rows (a web worker, until it does) loads pypinyin without
    its phrase table; the first write loads it."""
    with _lock:
        _get_jieba()
        _get_t2s()
        _get_pinyin(phrases=writer)
        _synonyms.table()


def fold(text: str) -> str:
    """Normalise text for index and query: NFKC, traditional → simplified, lowercase."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = str(_get_t2s().convert(text))
    return text.lower()


def has_han(text: str) -> bool:
    """Whether ``text`` contains a Chinese character."""
    return _HAN.search(text) is not None


def _cut(folded: str, *, search: bool) -> list[str]:
    """Cut already folded text into clean tokens (no punctuation, no stop words)."""
    jieba = _get_jieba()
    cleaned = _NON_WORD.sub(" ", folded)
    pieces = jieba.cut_for_search(cleaned) if search else jieba.lcut(cleaned, HMM=True)
    return clean_tokens(pieces)


def clean_tokens(pieces: Iterable[str]) -> list[str]:
    """jieba's pieces as index tokens: split on spaces, without punctuation or stop words."""
    tokens: list[str] = []
    for piece in pieces:
        for token in str(piece).split():
            if not _SKIP.match(token) and token not in STOP_WORDS:
                tokens.append(token)
    return tokens


def index_tokens(text: str) -> list[str]:
    """Tokens to index for ``text``: jieba search-mode words of the folded text, in order."""
    return _cut(fold(text), search=True)


def keyword_tokens(keywords: Iterable[str]) -> list[str]:
    """``index_tokens`` of the keywords one after another (a department's title, a topic, tags
    and column names recur across a catalog: each is cut once)."""
    return [token for keyword in keywords for token in _keyword_tokens(keyword)]


@functools.lru_cache(maxsize=8192)
def _keyword_tokens(keyword: str) -> tuple[str, ...]:
    return tuple(index_tokens(keyword))


@dataclass(frozen=True)
class QueryWord:
    """One word of a user's query and the token conjunctions that count as matching it."""

    text: str
    exact: tuple[Alternative, ...]
    loose: tuple[Alternative, ...]


def query_words(q: str) -> list[QueryWord]:
    """Cut a free-text query into words with their exact and loose alternatives."""
    synonyms = _synonyms.table()
    words: dict[str, QueryWord] = {}
    for chunk in fold(q).split():
        for word in _cut(chunk, search=False):
            if word not in words:
                words[word] = _query_word(word, synonyms)
    return list(words.values())


def _query_word(word: str, synonyms: dict[str, tuple[str, ...]]) -> QueryWord:
    exact: dict[Alternative, None] = {(word,): None}
    for synonym in synonyms.get(word, ()):
        _add(exact, _cut(synonym, search=False))
    loose: dict[Alternative, None] = {}
    for sub in _sub_words(word):
        _add(loose, [sub])
        for synonym in synonyms.get(sub, ()):
            _add(loose, _cut(synonym, search=False))
    kept_exact = _minimal(list(exact), ())
    return QueryWord(text=word, exact=kept_exact, loose=_minimal(list(loose), kept_exact))


def _minimal(
    alternatives: list[Alternative], stronger: tuple[Alternative, ...]
) -> tuple[Alternative, ...]:
    """Drop alternatives implied by a shorter one: a superset of tokens matches fewer documents."""
    kept: list[frozenset[str]] = [frozenset(alt) for alt in stronger]
    keep: set[Alternative] = set()
    for alt in sorted(alternatives, key=len):
        tokens = frozenset(alt)
        if not any(other <= tokens for other in kept):
            kept.append(tokens)
            keep.add(alt)
    return tuple(alt for alt in alternatives if alt in keep)


def _add(alternatives: dict[Alternative, None], tokens: Iterable[str]) -> None:
    alternative = tuple(dict.fromkeys(tokens))
    if alternative:
        alternatives[alternative] = None


def _sub_words(word: str) -> list[str]:
    """Shorter words inside a long query word, so it still finds shorter indexed words."""
    if word.isascii() or len(word) < 3:
        return []
    subs = [sub for sub in _cut(word, search=True) if len(sub) >= 2 and sub != word]
    if not subs and len(_HAN.findall(word)) >= 3:
        subs = [word[:2], word[-2:]]
    return list(dict.fromkeys(subs))


def excluded_tokens(word: str) -> tuple[str, ...]:
    """Tokens of a ``-word`` exclusion; a document holding all of them is excluded."""
    return tuple(dict.fromkeys(_cut(fold(word), search=False)))


def _line_is_clean(line: str) -> bool:
    return "\ufffd" not in line and not any(
        unicodedata.category(ch) in _BAD_CATEGORIES and ch != "\t" for ch in line
    )


def _parse_synonym_line(raw: bytes) -> list[str] | None:
    """The folded words of one group, or None for a blank, comment or malformed line."""
    try:
        line = raw.decode("utf-8").removeprefix("\ufeff").rstrip("\r")
    except UnicodeDecodeError:
        return None
    line = line.split("#", 1)[0]
    if not _line_is_clean(line):
        return None
    words = [w for w in _SYNONYM_SEPARATORS.split(line) if w]
    if any(len(w) > MAX_SYNONYM_CHARS for w in words):
        return None
    folded = [f for f in dict.fromkeys(fold(w).strip() for w in words) if not _SKIP.match(f)]
    return folded if len(folded) >= 2 else None


def load_synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    """Parse a synonym file: each word → the other words of its group(s).

    One group per line, words separated by spaces, commas or 、; ``#`` starts a comment. A
    missing or unreadable file gives an empty table; a malformed line is skipped.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    table: dict[str, dict[str, None]] = {}
    for raw in data.split(b"\n"):
        group = _parse_synonym_line(raw)
        if group is None:
            continue
        for word in group:
            others = table.setdefault(word, {})
            others.update((other, None) for other in group if other != word)
    return {word: tuple(others) for word, others in table.items()}


class _SynonymSource:
    """The synonym table in use, re-read when its file changes (checked at most once a second)."""

    def __init__(self) -> None:
        self.path: Path = DEFAULT_SYNONYMS
        self._key: tuple[int, int] | None | bool = False  # False: never read
        self._checked = float("-inf")
        self._table: dict[str, tuple[str, ...]] = {}

    def use(self, path: Path | None) -> None:
        with _lock:
            self.path = DEFAULT_SYNONYMS if path is None else path
            self._key = False
            self._checked = float("-inf")

    def table(self) -> dict[str, tuple[str, ...]]:
        now = time.monotonic()
        if now - self._checked < SYNONYM_CHECK_SECONDS:
            return self._table
        with _lock:
            if now - self._checked >= SYNONYM_CHECK_SECONDS:
                key = _file_key(self.path)
                if key != self._key:
                    self._table = load_synonyms(self.path)
                    self._key = key
                self._checked = now
            return self._table


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


_synonyms = _SynonymSource()


def use_synonyms(path: Path | None) -> None:
    """Use this synonym file from now on (None: the bundled ``config/synonyms.txt``)."""
    _synonyms.use(path)


def synonyms() -> dict[str, tuple[str, ...]]:
    """The synonym table currently in use (word → its equivalents, folded)."""
    return _synonyms.table()
