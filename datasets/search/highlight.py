"""Highlighting of query tokens in titles and descriptions on a page of search hits.

The result is HTML: the text is always escaped, and each match is wrapped in
``<mark class="hl">…</mark>``. Matching is done on the folded text (see
``datasets.search.analysis.fold``), so a traditional-character title lights up for a simplified
query and ASCII matches ignore case.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from datasets.search.analysis import fold

MARK_OPEN = '<mark class="hl">'
MARK_CLOSE = "</mark>"
ELLIPSIS = "…"

Span = tuple[int, int]


def highlight(text: str, tokens: Iterable[str], *, fragment: int | None = None) -> str:
    """Escaped ``text`` with every occurrence of ``tokens`` marked; longest match wins.

    With ``fragment=N`` only a window of about N characters around the first match is returned,
    with … at a cut end; when nothing matches, the first N characters.
    """
    if fragment is not None and fragment < 1:
        raise ValueError("fragment must be a positive number of characters")
    spans = _find(text, tokens)
    if fragment is None or len(text) <= fragment:
        return _render(text, spans, 0, len(text))
    if not spans:
        return html.escape(text[:fragment]) + ELLIPSIS
    start, end = _window(len(text), spans[0], fragment)
    body = _render(text, spans, start, end)
    return (ELLIPSIS if start > 0 else "") + body + (ELLIPSIS if end < len(text) else "")


def _find(text: str, tokens: Iterable[str]) -> list[Span]:
    """Non-overlapping spans of ``text`` matching any token, leftmost then longest first."""
    wanted = {fold(token).strip() for token in tokens}
    wanted.discard("")
    if not wanted or not text:
        return []
    haystack = fold(text)
    if len(haystack) != len(text):
        haystack = text.lower() if len(text.lower()) == len(text) else text
    ordered = sorted(wanted, key=lambda t: (-len(t), t))
    pattern = re.compile("|".join(re.escape(t) for t in ordered), re.IGNORECASE)
    return [m.span() for m in pattern.finditer(haystack) if m.end() > m.start()]


def _window(length: int, first: Span, size: int) -> Span:
    """About ``size`` characters around the first match, within the text."""
    match_start, match_end = first
    size = max(size, match_end - match_start)
    start = match_start - (size - (match_end - match_start)) // 2
    start = max(0, min(start, length - size))
    return start, min(length, start + size)


def _render(text: str, spans: list[Span], start: int, end: int) -> str:
    parts: list[str] = []
    position = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        parts.append(html.escape(text[position:span_start]))
        parts.append(MARK_OPEN + html.escape(text[span_start:span_end]) + MARK_CLOSE)
        position = span_end
    parts.append(html.escape(text[position:end]))
    return "".join(parts)
