"""Cell values as text, and the value-level techniques: names, birth years, keyed pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from datetime import date, datetime, timedelta

from datasets.openness.pii.patterns import COMPOUND_SURNAMES
from datasets.tables.cells import cell_text as to_text  # the one cell rule

UNKNOWN = "***"

_NAME_SEPARATORS = re.compile(r"([、，,;；/|\s]+)")
_NAME_KEEP = frozenset("·•・.．")

_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX = 2958465  # 9999-12-31
_YEARS = range(1850, 2101)
_DATE_SHAPES = (
    # 1985-03-02, 1985/3/2, 1985.3.2, 1985年3月2日, 1985年3月, 1985-03, each with a time or not
    re.compile(
        r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:(?:[-/.月]\s*(\d{1,2})\s*日?)|月)?"
        r"(?:[\sT]+\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    ),
    re.compile(r"(\d{4})(\d{2})(\d{2})?"),  # 19850302, 198503
    re.compile(r"(\d{4})年?"),  # 1985, 1985年
    re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"),  # 2/3/1985 (day and month unknown)
)


def mask_name(text: str) -> str:
    """张三 → 张*, 欧阳修 → 欧阳*, 单字 → *; several names (张三、李四) are masked one by one."""
    parts = _NAME_SEPARATORS.split(text.strip())
    return "".join(
        part if i % 2 else _mask_one_name(part) for i, part in enumerate(parts) if part or i % 2
    )


def _mask_one_name(name: str) -> str:
    if len(name) <= 1:
        return "*" * len(name)
    keep = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:keep] + "".join(c if c in _NAME_KEEP else "*" for c in name[keep:])


def birth_year(value: object) -> str:
    """The year of a birth date in any usual form (text, Excel serial, date); ``***`` if none."""
    year: int | None
    if isinstance(value, datetime | date):
        year = value.year
    elif isinstance(value, bool):
        return UNKNOWN
    elif isinstance(value, int | float):
        year = _year_of_number(value)
    else:
        year = _year_of_text(unicodedata.normalize("NFKC", to_text(value)).strip())
    return str(year) if year in _YEARS else UNKNOWN


def _year_of_number(number: float) -> int | None:
    if not math.isfinite(number):
        return None
    whole = int(number)
    if whole in _YEARS:
        return whole
    if 10_000_000 <= whole <= 99_999_999:  # 19850302 typed as a number
        return _year_of_text(str(whole))
    if 1 <= whole <= _EXCEL_MAX:  # an Excel date serial
        return (_EXCEL_EPOCH + timedelta(days=whole)).year
    return None


def _year_of_text(text: str) -> int | None:
    if re.fullmatch(r"\d{5}(?:\.\d+)?", text):  # an Excel serial exported as text
        return _year_of_number(float(text))
    for shape in _DATE_SHAPES:
        found = shape.fullmatch(text)
        if not found:
            continue
        if shape is _DATE_SHAPES[3]:
            return int(found.group(3))
        year, month, day = (int(g) if g else None for g in (*found.groups(), None, None)[:3])
        if year is None:
            return None
        try:
            date(year, month or 1, day or 1)
        except ValueError:
            return None
        return year
    return None


def pseudonym(text: str, key: bytes) -> str:
    """``P`` + 16 hex characters of HMAC-SHA256 over the normalised value.

    NFKC, trimmed and case-folded first, so ``43…12x`` and ``43…12X`` or a full-width copy of a
    number give the same pseudonym: one person stays one pseudonym across files and harvests.
    """
    normal = unicodedata.normalize("NFKC", text).strip().casefold()
    return "P" + hmac.new(key, normal.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
