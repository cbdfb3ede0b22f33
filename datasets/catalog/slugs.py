"""URL names (slugs) for datasets and departments: ASCII, falling back to pinyin of the title."""

from __future__ import annotations

import re
import unicodedata

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_MAX = 90


def is_slug(value: str | None) -> bool:
    return bool(value) and bool(SLUG_RE.fullmatch(value or ""))


def slugify(text: str, *, fallback: str = "dataset") -> str:
    """Make a CKAN-style name (lowercase ASCII, digits, ``-`` and ``_``) from any text.

    Chinese is written in pinyin without tones (公交线路 → gong-jiao-xian-lu).
    """
    from datasets.search.analysis import _get_pinyin

    pypinyin = _get_pinyin()
    parts = pypinyin.lazy_pinyin(text or "", style=pypinyin.Style.NORMAL, errors="default")
    joined = "-".join(parts)
    ascii_text = unicodedata.normalize("NFKD", joined).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)[:_MAX].strip("-")
    return slug or fallback


def unique_slug(base: str, taken: set[str]) -> str:
    """``base`` or ``base-2``, ``base-3`` … whichever is not in ``taken``."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
