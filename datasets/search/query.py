"""CKAN's ``package_search`` parameters as one typed :class:`SearchRequest`.

``q``, ``fq``, ``fq_list``, ``sort``, ``start``, ``rows``, ``facet.field``, ``facet.limit`` and
``facet.mincount`` are read as CKAN reads them, plus the HTML search page's plain filters (one
parameter per facet field, or the alias ``formats``; several values of one field are ORed, different
fields ANDed). The filter grammar and the node types live in :mod:`datasets.search.fq` and are
re-exported here. Every bad input, whatever its type or size, raises
:class:`~datasets.errors.ValidationError` with a Chinese message and a CKAN-style errors dict keyed
by the parameter (``{"fq": ["..."]}``) — never another exception.

``q`` is split into words (for the text analyser), ``-word`` exclusions and ``field:value`` clauses
of known fields (``-field:value`` is a negated clause); unknown ``foo:bar`` stays text, quoted
phrases stay words without their quotes, ``*`` and ``*:*`` mean no words. Operators such as ``OR``
in ``q`` are left to the analyser as words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from datasets.search.fq import (
    ALIASES,
    FACETS,
    FIELDS,
    MAX_TEXT,
    AllOf,
    AnyOf,
    Everything,
    Node,
    Not,
    Range,
    Term,
    all_of,
    fail,
    field_name,
    parse_filter,
)

__all__ = [
    "FACETS",
    "FIELDS",
    "AllOf",
    "AnyOf",
    "Everything",
    "Node",
    "Not",
    "Range",
    "SearchRequest",
    "Term",
    "check_text",
    "parse_facet_fields",
    "parse_fq",
    "parse_q",
    "parse_sort",
    "search_request",
    "sort_text",
]

SORT_FIELDS = (
    "score",
    "metadata_modified",
    "metadata_created",
    "name",
    "title_string",
    "id",
    # uses (views, downloads, API calls) in the last 14 days and in all, up to yesterday: the
    # names CKAN gives its tracking sorts (最受欢迎)
    "views_recent",
    "views_total",
)
MAX_START = 1_000_000
MAX_VALUES = 100  # values of one plain filter, or fq strings in fq_list
MAX_Q = 500  # characters of q: its words are analysed one by one
_SPACE = " \t\r\n\u3000"


@dataclass(frozen=True)
class SearchRequest:
    words: str  # the free text of q, for the text analyser
    excluded: tuple[str, ...]  # words after "-" in q
    filter: Node  # fq, fq_list, q's field:value clauses and the plain filters, ANDed
    sort: tuple[tuple[str, bool], ...]  # (field, descending)
    start: int
    rows: int
    facet_fields: tuple[str, ...]
    facet_limit: int  # -1: unlimited
    facet_mincount: int


def check_text(value: object, param: str, limit: int = MAX_TEXT) -> str:
    """A text parameter: a string of at most ``limit`` characters that UTF-8 can store."""
    if not isinstance(value, str):
        fail(param, f"{param} 参数须为字符串")
    if len(value) > limit:
        fail(param, f"{param} 参数过长（最多 {limit} 个字符）")
    if "\x00" in value:
        fail(param, f"{param} 参数含有空字符")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        fail(param, f"{param} 参数含有无效的 Unicode 字符")
    return value


def parse_fq(text: str, *, now: datetime) -> Node:
    """CKAN's ``fq`` (see :mod:`datasets.search.fq`); Everything when blank."""
    return parse_filter(check_text(text, "fq"), now=now, param="fq")


def _q_tokens(text: str) -> list[str]:
    """``q`` split at whitespace outside quotes and brackets (an unclosed one runs to the end)."""
    tokens: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for c in text:
        if quoted:
            quoted = c != '"'
        elif c == '"':
            quoted = True
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif c in _SPACE and depth == 0:
            if current:
                tokens.append("".join(current))
            current = []
            continue
        current.append(c)
    if current:
        tokens.append("".join(current))
    return tokens


def parse_q(text: str, *, now: datetime) -> tuple[str, tuple[str, ...], Node]:
    """``q`` as (words, excluded words, filter of its ``field:value`` clauses)."""
    text = check_text(text, "q", MAX_Q)
    words: list[str] = []
    excluded: list[str] = []
    filters: list[Node] = []
    for token in _q_tokens(text):
        if token in ("*", "*:*"):
            continue
        sign = token[0] if token[0] in "-+" and len(token) > 1 else ""
        body = token[len(sign) :]
        colon = body.find(":")
        if colon > 0 and field_name(body[:colon]) is not None:
            node = parse_filter(body, now=now, param="q")
            filters.append(Not(node) if sign == "-" else node)
            continue
        word = body.replace('"', "").strip(_SPACE)
        if word:
            (excluded if sign == "-" else words).append(word)
    return " ".join(words), tuple(dict.fromkeys(excluded)), all_of(filters)


def parse_sort(text: str | None, *, has_words: bool) -> tuple[tuple[str, bool], ...]:
    """CKAN's ``sort`` ("name asc, metadata_modified desc"); ``score`` only counts with words."""
    text = check_text("" if text is None else text, "sort")
    keys: dict[str, bool] = {}
    for part in text.split(","):
        bits = part.split()
        if not bits:
            continue
        if len(bits) > 2 or bits[0] not in SORT_FIELDS:
            message = f"无法按“{part.strip()[:50]}”排序，可用字段：{'、'.join(SORT_FIELDS)}"
            fail("sort", message)
        direction = bits[1].lower() if len(bits) == 2 else ("desc" if bits[0] == "score" else "asc")
        if direction not in ("asc", "desc"):
            fail("sort", f"排序方向须为 asc 或 desc：{bits[1][:20]}")
        if bits[0] != "score" or has_words:
            keys.setdefault(bits[0], direction == "desc")
    if keys:
        return tuple(keys.items())
    return (
        (("score", True), ("metadata_modified", True))
        if has_words
        else (("metadata_modified", True),)
    )


def sort_text(sort: tuple[tuple[str, bool], ...]) -> str:
    """A sort as CKAN spells it in its results: ``score desc, metadata_modified desc``."""
    return ", ".join(f"{name} {'desc' if descending else 'asc'}" for name, descending in sort)


def _json_list(value: object, param: str, limit: int) -> list[Any]:
    """A list, or a string holding a JSON list."""
    if isinstance(value, str):
        text = check_text(value, param, limit)
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            fail(param, f"{param} 参数须为 JSON 列表")
    if not isinstance(value, list):
        fail(param, f"{param} 参数须为列表")
    if len(value) > MAX_VALUES:
        fail(param, f"{param} 参数最多 {MAX_VALUES} 项")
    return value


def parse_facet_fields(value: str | list[str] | None) -> tuple[str, ...]:
    """``facet.field``: a JSON list of facet names (or a list, or one bare name); default: all."""
    if value is None:
        return FACETS
    if isinstance(value, str) and not value.strip(_SPACE).startswith("["):
        value = [value.strip(_SPACE)] if value.strip(_SPACE) else []
    names: dict[str, None] = {}
    for item in _json_list(value, "facet.field", MAX_TEXT):
        name = ALIASES.get(item, item) if isinstance(item, str) else None
        if name not in FACETS:
            shown = check_text(item, "facet.field")[:50]  # refuses a non-string first
            fail("facet.field", f"不能按“{shown}”分面，可用字段：{'、'.join(FACETS)}")
        names[name] = None
    return tuple(names)


def _integer(params: Mapping[str, Any], name: str, default: int) -> int:
    """An integer parameter: an int or a decimal string (blank or absent: the default)."""
    value = params.get(name)
    if value is None or (isinstance(value, str) and not value.strip(_SPACE)):
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        fail(name, f"{name} 参数须为整数")
    if isinstance(value, str):
        text = check_text(value, name).strip(_SPACE)
        digits = text[1:] if text[:1] in "+-" else text
        if not digits or any(c not in "0123456789" for c in digits):
            fail(name, f"{name} 参数须为整数")
        value = int(text)
    return value


def _filters(params: Mapping[str, Any]) -> list[Node]:
    """The search page's plain filters: ``organization=a&organization=b&tags=c``."""
    values: dict[str, dict[str, None]] = {}
    for param in (*FACETS, *(a for a, f in ALIASES.items() if f in FACETS)):
        raw = params.get(param)
        if raw is None:
            continue
        items = raw if isinstance(raw, list) else [raw]
        if len(items) > MAX_VALUES:
            fail(param, f"{param} 参数最多 {MAX_VALUES} 个值")
        field = ALIASES.get(param, param)
        for item in items:
            text = check_text(item, param).strip(_SPACE)
            if text:
                values.setdefault(field, {})[text] = None
    return [Term(field, tuple(kept)) for field, kept in values.items()]


def _fq_list(params: Mapping[str, Any], now: datetime) -> list[Node]:
    raw = params.get("fq_list")
    if raw is None:
        return []
    items = _json_list(raw, "fq_list", MAX_TEXT * MAX_VALUES)
    return [parse_filter(check_text(i, "fq_list"), now=now, param="fq_list") for i in items]


def search_request(
    params: Mapping[str, Any], *, now: datetime, max_rows: int, default_rows: int
) -> SearchRequest:
    """All of CKAN's package_search parameters (and the page's plain filters) at once."""
    if not isinstance(params, Mapping):
        fail("q", "查询参数须为键值对")
    q = params.get("q")
    words, excluded, in_q = parse_q("" if q is None else q, now=now)
    fq = params.get("fq")
    nodes = [in_q, parse_fq("" if fq is None else fq, now=now), *_fq_list(params, now)]
    sort = params.get("sort")
    rows = _integer(params, "rows", default_rows)
    if rows < 0:
        fail("rows", "rows 参数不能为负数")
    start = _integer(params, "start", 0)
    if not 0 <= start <= MAX_START:
        fail("start", f"start 参数须在 0 到 {MAX_START} 之间")
    limit = _integer(params, "facet.limit", 50)
    if not -1 <= limit <= MAX_START:
        fail("facet.limit", f"facet.limit 参数须在 -1 到 {MAX_START} 之间")
    mincount = _integer(params, "facet.mincount", 1)
    if not 0 <= mincount <= MAX_START:
        fail("facet.mincount", f"facet.mincount 参数须在 0 到 {MAX_START} 之间")
    return SearchRequest(
        words=words,
        excluded=excluded,
        filter=all_of([*nodes, *_filters(params)]),
        sort=parse_sort(sort, has_words=bool(words)),
        start=start,
        rows=min(rows, max_rows),
        facet_fields=parse_facet_fields(params.get("facet.field")),
        facet_limit=limit,
        facet_mincount=mincount,
    )
