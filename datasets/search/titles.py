"""A title's index words and its pinyin, from one pass of jieba over it.

jieba's search mode is its default cut plus, inside each word longer than two characters, the
two- and three-character words of its dictionary; the pinyin of a title is read word by word of
the default cut (so 银行 reads hang, not xing). Both come from the same cut here, instead of
three cuts of the same title.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from datasets.search import analysis

Token = tuple[str, int, int]  # word, start, end


def title_tokens(title: str) -> tuple[list[str], list[str]]:
    """``(index tokens, pinyin tokens)`` of a title: the first equal to
    ``analysis.index_tokens(title)``, the second as ``pinyin_tokens`` describes."""
    cleaned = analysis._NON_WORD.sub(" ", analysis.fold(title))
    jieba = analysis._get_jieba()
    words: list[Token] = list(jieba.tokenize(cleaned))
    searched = list(_search_mode(jieba.dt.FREQ, words))
    index = analysis.clean_tokens(word for word, _start, _end in searched)
    return index, _pinyin(searched, _syllables(len(cleaned), words))


def pinyin_tokens(title: str) -> list[str]:
    """Toneless pinyin (``gongjiao``) and initials (``gj``) of the Chinese words of a title.

    The title's Chinese runs are read once, in context (so 银行 reads hang, not xing); each
    search-mode word takes its characters' syllables. Initials are only given for words of two
    characters or more: a single letter would match far too much.
    """
    return title_tokens(title)[1]


def _search_mode(frequencies: Mapping[str, int], words: Sequence[Token]) -> Iterator[Token]:
    """jieba's ``tokenize(mode="search")`` from its default cut (as jieba derives it)."""
    for word, start, end in words:
        width = len(word)
        for size in (2, 3):
            if width > size:
                for i in range(width - size + 1):
                    gram = word[i : i + size]
                    if frequencies.get(gram):
                        yield gram, start + i, start + i + size
        yield word, start, end


def _syllables(length: int, words: Sequence[Token]) -> list[str]:
    """The toneless syllable of each character ("" where it is not Chinese), word by word."""
    syllables = [""] * length
    for word, start, _end in words:
        if analysis.has_han(word):
            syllables[start : start + len(word)] = _word_syllables(word)
    return syllables


def _pinyin(searched: Sequence[Token], syllables: Sequence[str]) -> list[str]:
    out: dict[str, None] = {}
    for word, start, end in searched:
        read = [syllables[i] for i in range(start, end) if syllables[i]]
        if not read or not analysis.has_han(word):
            continue
        out["".join(read)] = None
        if end - start >= 2:
            out["".join(r[0] for r in read)] = None
    return list(out)


@functools.lru_cache(maxsize=8192)  # a catalog's titles share most of their words
def _word_syllables(word: str) -> tuple[str, ...]:
    pypinyin: Any = analysis._get_pinyin()
    read = pypinyin.lazy_pinyin(word)
    if len(read) != len(word):  # a character without a reading: read one by one
        read = [pypinyin.lazy_pinyin(ch)[0] for ch in word]
    out = []
    for syllable in read:
        clean = analysis._NON_WORD.sub("", syllable.lower())
        out.append(clean if clean.isascii() else "")
    return tuple(out)
