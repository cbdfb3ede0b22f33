"""Turning the values found in real catalogs into clean ones: text, dates, lists, numbers.

Each function returns ``None`` when a value is empty or a placeholder (暂无, 无, -, N/A …); callers
keep what could not be parsed in the record's ``unnormalised`` mapping.
"""

from __future__ import annotations

import ast
import re
from datetime import date, datetime

PLACEHOLDERS = frozenset(
    {
        "",
        "暂无",
        "无",
        "空",
        "-",
        "--",
        "—",
        "/",
        "n/a",
        "na",
        "null",
        "none",
        "nan",
        "未知",
        "待定",
        "暂缺",
        "[]",
    }
)
MAX_COUNT = 10**18  # counts beyond this are not counts (and do not fit the column)
MAX_LITERAL = 10_000  # characters of a list written as a Python literal that are parsed
_LIST_SPLIT = re.compile(r"[;；,，、|\n\r\t]+")
# what no database column keeps: control characters other than tab and line breaks, and lone
# surrogates (decoded JSON and RDF may hold both)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` without control characters (tab and line breaks kept) and with every lone
    surrogate replaced by U+FFFD, so that it can be stored and encoded as UTF-8."""
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", text))


def clean_text(value: object | None) -> str | None:
    """Strip whitespace and control characters; ``None`` for empty values and placeholders."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from spreadsheets
        return None
    text = storable(str(value)).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = re.sub(r"[ \u3000\xa0]+", " ", text)
    text = "\n".join(line.strip() for line in text.split("\n")).strip()
    if text.lower() in PLACEHOLDERS:
        return None
    return text


def clean_line(value: object | None) -> str | None:
    """Like ``clean_text`` but on one line (names, titles, codes)."""
    text = clean_text(value)
    return re.sub(r"\s+", " ", text) if text else None


def split_list(value: object | None) -> list[str]:
    """Split a list written as text: 'a、b；c', "['xls', 'api']", '[csv,json]' or a real list."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [clean_line(v) for v in value]
        return [i for i in items if i]
    text = clean_text(value)
    if not text:
        return []
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text) if len(text) <= MAX_LITERAL else None
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            parsed = None
        if isinstance(parsed, list | tuple):
            return split_list(list(parsed))
        text = text[1:-1]
    items = [clean_line(part.strip(" '\"")) for part in _LIST_SPLIT.split(text)]
    return [i for i in items if i]


# separators of keyword lists, strongest first: a list is split at the strongest kind present, so
# "水利、环境和公共设施管理业,气象服务" keeps the 、 inside the industry name
_KEYWORD_SEPARATORS = (
    re.compile(r"[\r\n\t]+"),
    re.compile(r"[;；|]+"),
    re.compile(r"[,，]+"),
    re.compile(r"[、]+"),
)


def split_keywords(value: object | None) -> list[str]:
    """Split a keyword list the way portals write it, in order and without repeats.

    Tags joined by line breaks and tabs (``"商贸流通\\r\\n\\t公共管理、社会保障和社会组织"``), by
    semicolons, commas or 、 are split at the strongest separator present only, so a 、 inside a
    name such as 公共管理、社会保障和社会组织 survives when the list itself uses another separator.
    """
    if value is None:
        return []
    if isinstance(value, list | tuple):
        parts: list[str] = [str(v) for v in value if v is not None]
    else:
        text = str(value)
        if text.strip().startswith("[") and text.strip().endswith("]"):
            return split_keywords(split_list(text))
        parts = [text]
        for separator in _KEYWORD_SEPARATORS:
            if separator.search(text.strip()):
                parts = separator.split(text)
                break
    out: list[str] = []
    for part in parts:
        word = clean_line(part.strip(" '\""))
        if word and word not in out:
            out.append(word)
    return out


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value: object | None) -> date | None:
    """A date from ISO text, 2024/3/5, 2024年3月5日, 20240305 or a spreadsheet datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean_line(value)
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                return None
    month = re.match(r"^(\d{4})[-/年](\d{1,2})月?$", text)
    if month:
        try:
            return date(int(month.group(1)), int(month.group(2)), 1)
        except ValueError:
            return None
    return None


def parse_range(value: object | None) -> tuple[date | None, date | None]:
    """A time range such as 2023-01-01至2026-10-31, 2023-01-01 ~ 2026-10-31 or 2023年—2024年."""
    text = clean_line(value)
    if not text:
        return None, None
    parts = re.split(r"\s*(?:至|到|~|～|—|–|\s-\s|--)\s*", text, maxsplit=1)
    if len(parts) == 1:
        return parse_date(parts[0]), None
    start, end = parts
    return parse_date(start) or _year(start, first=True), parse_date(end) or _year(end, first=False)


def _year(text: str, *, first: bool) -> date | None:
    match = re.fullmatch(r"(\d{4})年?", text.strip())
    if not match:
        return None
    year = int(match.group(1))
    return date(year, 1, 1) if first else date(year, 12, 31)


def parse_count(value: object | None) -> int | None:
    """An integer written with separators or units: '44,270', '1.2万', 3500."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < MAX_COUNT else None
    if isinstance(value, float):
        return int(value) if abs(value) < MAX_COUNT else None  # not NaN, not infinite
    text = clean_line(value)
    if not text:
        return None
    text = text.replace(",", "").replace("，", "").replace(" ", "")
    match = re.fullmatch(r"(\d{1,15}(?:\.\d{1,15})?)(万|亿)?(?:条|行|个|项)?", text)
    if not match:
        return None
    number = float(match.group(1)) * {None: 1, "万": 10_000, "亿": 100_000_000}[match.group(2)]
    return int(number)
