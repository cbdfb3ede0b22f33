"""“Did you mean”: a corrected query when some of its words are not in the catalog's vocabulary.

The vocabulary maps catalog words (folded tokens of public titles and tags) to the number of
datasets containing them. A word not in it is replaced by, in order of preference: a homophone
(same toneless pinyin, e.g. the typo 公教 → 公交); for an ASCII word, the Chinese word whose
pinyin or initials it is; else a close spelling (difflib). Among equally good candidates the most
frequent wins.

Lookup tables are built once per vocabulary: pass a :class:`Vocabulary` (builds them on first
use) or any mapping, for which a :class:`Vocabulary` is cached by object identity and size (a few
recent mappings are kept; a mapping changed in place without changing size is not noticed).
"""

from __future__ import annotations

import difflib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence

from datasets.search.analysis import STOP_WORDS, _get_pinyin, fold, has_han

CLOSE_CUTOFF = 0.6
_CACHE_SIZE = 4
MAX_READINGS = 8


class Vocabulary(Mapping[str, int]):
    """Catalog words → dataset counts, with lookup tables built on first use.

    A Chinese word is filed under every reading of its characters (重庆 under zhongqing and
    chongqing, capped at a few combinations), so the accurate reading of a query word finds it.
    """

    def __init__(self, counts: Mapping[str, int]) -> None:
        self._counts = dict(counts)
        self._lock = threading.Lock()
        self._built = False
        self._by_pinyin: dict[str, list[str]] = {}
        self._by_initials: dict[str, list[str]] = {}
        self._by_char: dict[str, list[str]] = {}
        self._by_length: dict[int, list[str]] = {}

    def __getitem__(self, word: str) -> int:
        return self._counts[word]

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)

    def by_pinyin(self, key: str) -> list[str]:
        """Chinese words one of whose toneless readings, joined, is ``key``."""
        self._build()
        return self._by_pinyin.get(key, [])

    def by_initials(self, key: str) -> list[str]:
        """Chinese words of two or more characters with these pinyin initials."""
        self._build()
        return self._by_initials.get(key, [])

    def spelling_pool(self, word: str) -> list[str]:
        """Words worth comparing with ``word``: sharing a character, or of a similar length."""
        self._build()
        if has_han(word):
            pool: dict[str, None] = {}
            for char in set(word):
                pool.update(dict.fromkeys(self._by_char.get(char, ())))
            return list(pool)
        low, high = int(len(word) * 0.4), int(len(word) * 2.4) + 1
        return [w for n in range(low, high + 1) for w in self._by_length.get(n, ())]

    def _build(self) -> None:
        if self._built:
            return
        with self._lock:
            if self._built:
                return
            readings: Readings = {}
            for word in sorted(self._counts):
                if not has_han(word):
                    self._by_length.setdefault(len(word), []).append(word)
                    continue
                for char in set(word):
                    self._by_char.setdefault(char, []).append(word)
                for key in _keys(word, readings, initials=False):
                    self._by_pinyin.setdefault(key, []).append(word)
                if len(word) >= 2:
                    for key in _keys(word, readings, initials=True):
                        self._by_initials.setdefault(key, []).append(word)
            self._built = True


Readings = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


def _keys(word: str, readings: Readings, *, initials: bool) -> list[str]:
    """Joined toneless readings (or initials) of ``word``, over its characters' readings."""
    options: list[tuple[str, ...]] = []
    for char in word:
        if char not in readings:
            readings[char] = _char_readings(char)
        options.append(readings[char][1 if initials else 0])
    if all(len(o) == 1 for o in options):
        return ["".join(o[0] for o in options)]
    return ["".join(combo) for combo in itertools.islice(itertools.product(*options), MAX_READINGS)]


def _char_readings(char: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    pypinyin = _get_pinyin(phrases=False)
    found = pypinyin.pinyin(char, style=pypinyin.Style.NORMAL, heteronym=True)[0]
    full = tuple(dict.fromkeys(r.lower() for r in found))
    return full, tuple(dict.fromkeys(r[:1] for r in full))


_cache: OrderedDict[int, tuple[Mapping[str, int], int, Vocabulary]] = OrderedDict()
_cache_lock = threading.Lock()


def vocabulary_of(counts: Mapping[str, int]) -> Vocabulary:
    """The :class:`Vocabulary` for a mapping, cached by identity and size."""
    if isinstance(counts, Vocabulary):
        return counts
    with _cache_lock:
        hit = _cache.get(id(counts))
        if hit is not None and hit[0] is counts and hit[1] == len(counts):
            _cache.move_to_end(id(counts))
            return hit[2]
        vocabulary = Vocabulary(counts)
        _cache[id(counts)] = (counts, len(counts), vocabulary)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return vocabulary


def suggest(words: Sequence[str], vocabulary: Mapping[str, int]) -> str | None:
    """The corrected query (words joined by a space), or None when no word needs correcting."""
    vocab = vocabulary_of(vocabulary)
    corrected: list[str] = []
    changed = False
    for word in words:
        folded = fold(word).strip()
        better = _replacement(folded, vocab) if _worth_checking(folded, vocab) else None
        if better is not None and better != folded:
            corrected.append(better)
            changed = True
        else:
            corrected.append(folded or word)
    return " ".join(corrected) if changed else None


def _worth_checking(word: str, vocab: Vocabulary) -> bool:
    return len(word) >= 2 and word not in vocab and word not in STOP_WORDS and not word.isdigit()


def _most_frequent(candidates: Sequence[str], vocab: Vocabulary) -> str | None:
    best = [c for c in candidates if vocab.get(c, 0) > 0]
    return max(best, key=lambda c: (vocab[c], -len(c), c)) if best else None


def _replacement(word: str, vocab: Vocabulary) -> str | None:
    if has_han(word):
        key = "".join(_get_pinyin(phrases=False).lazy_pinyin(word)).lower()
        found = _most_frequent([w for w in vocab.by_pinyin(key) if w != word], vocab)
    elif word.isascii():
        found = _most_frequent(vocab.by_pinyin(word), vocab) or _most_frequent(
            vocab.by_initials(word), vocab
        )
    else:
        found = None
    return found or _close_spelling(word, vocab)


def _close_spelling(word: str, vocab: Vocabulary) -> str | None:
    pool = vocab.spelling_pool(word)
    matches = difflib.get_close_matches(word, pool, n=5, cutoff=CLOSE_CUTOFF)
    if not matches:
        return None
    scores = {m: difflib.SequenceMatcher(None, word, m).ratio() for m in matches}
    top = max(scores.values())
    return _most_frequent([m for m in matches if scores[m] >= top - 1e-9], vocab)
