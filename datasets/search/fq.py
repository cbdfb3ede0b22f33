"""CKAN's filter query (``fq``) as typed nodes: a hand-written recursive-descent parser.

Grammar (Solr's standard query parser, restricted to what CKAN clients send)::

    expr    := or
    or      := and (("OR" | "||") and)*
    and     := unary (("AND" | "&&")? unary)*      -- juxtaposed clauses are ANDed (CKAN's q.op)
    unary   := ("-" | "!" | "NOT " | "+") unary | primary
    primary := "(" expr ")" | field ":" value | "*:*"
    value   := '"quoted"' | bare | range | "(" values ")"
    range   := ("[" | "{") bound "TO" bound ("]" | "}")    -- square: inclusive, curly: exclusive

Inside ``field:( ... )`` the same grammar applies to values of that field, except that juxtaposed
values are ORed (``tags:(a b)``: tagged a or b; ``tags:(a AND b)``: both). Same-field alternatives
there merge into one :class:`Term` (``organization:(a OR b)`` is ``Term("organization", ("a",
"b"))``); ``organization:a OR organization:b`` stays an :class:`AnyOf` of two terms.

Date bounds are ``*``, ISO dates or datetimes (naive means UTC) or Solr date math (``NOW``,
``NOW/DAY-7DAYS``, ``2024-01-01T00:00:00Z+1MONTH``); rounding is done in UTC as Solr does without a
``TZ`` parameter. A date field given a single value means that instant, or for a bare date
(``2024-01-01``) the whole UTC day. A range bound of ``*`` is ``None`` and always "inclusive".
Bare values may escape characters with a backslash; an unescaped ``*`` or ``?`` (a wildcard) is
refused. Every problem raises :class:`~datasets.errors.ValidationError` keyed by the parameter.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from string import ascii_letters
from typing import NoReturn

from datasets.errors import ValidationError

_TERMS = "organization groups tags res_format license_id openness update_cycle topic name id"
FIELDS: dict[str, str] = {
    **dict.fromkeys((*_TERMS.split(), "dataset_type"), "term"),
    "metadata_modified": "date",
    "metadata_created": "date",
}
ALIASES = {"formats": "res_format", "tag": "tags", "group": "groups", "owner_org": "organization"}
FACETS: tuple[str, ...] = tuple(_TERMS.split()[:8])
MAX_TEXT = 1000  # characters of one text parameter
MAX_DEPTH = 20  # nested parentheses
MAX_CLAUSES = 100  # field clauses (values) in one fq

_SPACE = " \t\r\n\u3000"
_DIGITS = "0123456789"
_ROUNDING = ("year", "month", "day", "hour", "minute", "second", "millisecond")
_UNITS = {u.upper(): u for u in _ROUNDING} | {"DATE": "day", "MILLI": "millisecond"}


@dataclass(frozen=True)
class Term:
    """The field equals any of the values (for multi-valued fields: holds any of them)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Range:
    """A date field between two instants (``None``: unbounded); all datetimes are aware UTC."""

    field: str
    low: datetime | None
    high: datetime | None
    include_low: bool = True
    include_high: bool = True


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class AllOf:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Everything:
    pass


Node = Term | Range | Not | AllOf | AnyOf | Everything


def fail(param: str, message: str) -> NoReturn:
    """Raise the ValidationError of one parameter."""
    raise ValidationError(message, {param: [message]})


def field_name(name: str) -> str | None:
    """The CKAN field a (possibly aliased) name stands for; None when it is not searchable."""
    name = ALIASES.get(name, name)
    return name if name in FIELDS else None


def all_of(nodes: list[Node]) -> Node:
    """Nodes that must all hold, flattened; Everything when there are none."""
    flat: list[Node] = []
    for node in nodes:
        if isinstance(node, AllOf):
            flat.extend(node.nodes)
        elif not isinstance(node, Everything):
            flat.append(node)
    if not flat:
        return Everything()
    return flat[0] if len(flat) == 1 else AllOf(tuple(flat))


def _any_of(nodes: list[Node], merge: bool) -> Node:
    """Nodes of which one must hold, flattened; terms of one field merged when ``merge``."""
    flat: list[Node] = []
    for node in nodes:
        flat.extend(node.nodes if isinstance(node, AnyOf) else (node,))
    if any(isinstance(n, Everything) for n in flat):
        return Everything()
    terms = [n for n in flat if isinstance(n, Term)]
    if merge and len(terms) > 1:  # in a value group every term is of the group's field
        values = tuple(dict.fromkeys(v for t in terms for v in t.values))
        flat = [Term(terms[0].field, values), *(n for n in flat if not isinstance(n, Term))]
    return flat[0] if len(flat) == 1 else AnyOf(tuple(flat))


def _shift(value: datetime, unit: str, amount: int) -> datetime:
    if unit not in ("year", "month"):
        return value + timedelta(**{unit + "s": amount})
    months = value.year * 12 + value.month - 1 + amount * (12 if unit == "year" else 1)
    year, month = divmod(months, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("year out of range")
    last = monthrange(year, month + 1)[1]
    return value.replace(year=year, month=month + 1, day=min(value.day, last))


def _round(value: datetime, unit: str) -> datetime:
    keep = _ROUNDING.index(unit)  # how many parts below the year survive
    return value.replace(
        month=value.month if keep >= 1 else 1,
        day=value.day if keep >= 2 else 1,
        hour=value.hour if keep >= 3 else 0,
        minute=value.minute if keep >= 4 else 0,
        second=value.second if keep >= 5 else 0,
        microsecond=value.microsecond // 1000 * 1000 if keep >= 6 else 0,
    )


def _date_math(anchor: datetime, rest: str) -> datetime | None:
    """``anchor`` moved by Solr date math such as ``/DAY-7DAYS``; None when it is not valid."""
    value, i = anchor, 0
    while i < len(rest):
        op, i = rest[i], i + 1
        if op not in "+-/":
            return None
        j = i
        while op != "/" and j < len(rest) and rest[j] in _DIGITS:
            j += 1
        if op != "/" and not 1 <= j - i <= 6:
            return None
        k = j
        while k < len(rest) and rest[k] in ascii_letters:
            k += 1
        unit = _UNITS.get(rest[j:k].upper().removesuffix("S"))  # DAY and DAYS, MILLI and MILLIS...
        if unit is None:
            return None
        try:
            if op == "/":
                value = _round(value, unit)
            else:
                value = _shift(value, unit, int(rest[i:j]) * (1 if op == "+" else -1))
        except (OverflowError, ValueError):
            return None
        i = k
    return value


def _iso(text: str) -> datetime | None:
    if not 10 <= len(text) <= 40 or any(c not in _DIGITS + "-:.TZz+ " for c in text):
        return None
    if text[4:5] != "-":
        return None
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def parse_moment(text: str, now: datetime) -> tuple[datetime, bool] | None:
    """An aware UTC instant and whether the text was a bare date (a whole day); None: invalid."""
    if text.upper().startswith("NOW"):
        anchor = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        rest, whole = text[3:], False
    else:
        cut = text.upper().find("Z")
        iso, rest = (text[: cut + 1], text[cut + 1 :]) if cut >= 0 else (text, "")
        anchor_or_none = _iso(iso)
        if anchor_or_none is None:
            return None
        anchor, whole = anchor_or_none, len(iso) == 10 and not rest
    moved = _date_math(anchor, rest)
    return None if moved is None else (moved, whole)


class _Parser:
    """One pass over one fq string; ``group`` is the field of a ``field:( ... )`` being read."""

    def __init__(self, text: str, now: datetime, param: str) -> None:
        self.text, self.now, self.param = text, now, param
        self.pos = self.depth = self.clauses = 0

    def fail(self, what: str, at: int | None = None) -> NoReturn:
        where = (self.pos if at is None else at) + 1
        fail(self.param, f"无法解析 {self.param} 参数：第 {where} 个字符处{what}")

    def skip(self) -> str:
        """Skip whitespace; the next character ("" at the end)."""
        while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
            self.pos += 1
        return self.text[self.pos : self.pos + 1]

    def keyword(self, *words: str) -> bool:
        """Consume one of ``words`` when it comes next as a whole word (or symbol)."""
        self.skip()
        for word in words:
            end = self.pos + len(word)
            whole = not word.isalpha() or self.text[end : end + 1] in _SPACE + "("  # "" too
            if self.text.startswith(word, self.pos) and whole:
                self.pos = end
                return True
        return False

    def operand_next(self) -> bool:
        start = self.pos
        ended = self.skip() in ("", ")") or self.keyword("OR", "||")
        self.pos = start
        return not ended

    def parse(self) -> Node:
        node = self.expr(None)
        if self.skip():  # only a ")" stops the top level before the end
            self.fail("多余的右括号")
        return node

    def expr(self, group: str | None) -> Node:
        parts = [self.conjunction(group)]
        while self.keyword("OR", "||") or (group is not None and self.operand_next()):
            parts.append(self.conjunction(group))
        return _any_of(parts, merge=group is not None)

    def conjunction(self, group: str | None) -> Node:
        parts = [self.unary(group)]
        while self.keyword("AND", "&&") or (group is None and self.operand_next()):
            parts.append(self.unary(group))
        return all_of(parts)

    def unary(self, group: str | None) -> Node:
        negate = False
        while True:
            c = self.skip()
            if c in ("-", "!", "+"):
                self.pos += 1
                negate ^= c != "+"
            elif not self.keyword("NOT"):
                break
            else:
                negate = not negate
        node = self.primary(group)
        return Not(node) if negate else node

    def primary(self, group: str | None) -> Node:
        c = self.skip()
        if c in ("", ")") or self.keyword("AND", "OR", "&&", "||"):
            self.fail("缺少条件")
        if c == "(":
            opened = self.pos
            self.depth += 1
            if self.depth > MAX_DEPTH:
                self.fail(f"括号嵌套超过 {MAX_DEPTH} 层")
            self.pos += 1
            node = self.expr(group)
            if self.skip() != ")":
                self.fail(f"缺少右括号（与第 {opened + 1} 个字符处的左括号配对）")
            self.pos += 1
            self.depth -= 1
            return node
        if group is not None:
            return self.value(group)
        if self.text.startswith("*:*", self.pos):
            self.pos += 3
            return Everything()
        return self.clause()

    def clause(self) -> Node:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _SPACE + ':()"[]{}':
            self.pos += 1
        if self.text[self.pos : self.pos + 1] != ":" or self.pos == start:
            self.fail("缺少“字段:值”形式的条件", start)
        name = self.text[start : self.pos]
        field = field_name(name)
        if field is None:
            allowed = "、".join(FIELDS)
            self.fail(f"的字段 {name[:50]} 不可检索（可用字段：{allowed}）", start)
        self.pos += 1
        if self.text[self.pos : self.pos + 1] in ("", ")") or self.text[self.pos] in _SPACE:
            self.fail(f"缺少字段 {field} 的值")
        return self.primary(field) if self.text[self.pos] == "(" else self.value(field)

    def count(self) -> None:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            self.fail(f"条件超过 {MAX_CLAUSES} 个")

    def value(self, field: str) -> Node:
        self.count()
        start = self.pos
        if self.text[self.pos] in "[{":
            return self.range(field)
        text = self.quoted() if self.text[self.pos] == '"' else self.bare()
        if not text.strip():
            self.fail(f"字段 {field} 的值为空", start)
        if FIELDS[field] == "term":
            return Term(field, (text.strip(),))
        moment = parse_moment(text.strip(), self.now)
        if moment is None:
            self.fail(f"的日期无法识别：{text[:50]}", start)
        instant, whole_day = moment
        if whole_day and instant.date() < date.max:  # the whole day
            return Range(field, instant, instant + timedelta(days=1), True, False)
        return Range(field, instant, None if whole_day else instant)

    def quoted(self) -> str:
        opened, chars = self.pos, []
        self.pos += 1
        while self.pos < len(self.text) and self.text[self.pos] != '"':
            if self.text[self.pos] == "\\" and self.pos + 1 < len(self.text):
                self.pos += 1
            chars.append(self.text[self.pos])
            self.pos += 1
        if self.pos >= len(self.text):
            self.fail("缺少右引号", opened)
        self.pos += 1
        return "".join(chars)

    def bare(self, stops: str = _SPACE + ")") -> str:
        chars = []
        while self.pos < len(self.text) and self.text[self.pos] not in stops:
            c = self.text[self.pos]
            if c == "\\" and self.pos + 1 < len(self.text):
                self.pos += 1
                c = self.text[self.pos]
            elif c in "*?":
                self.fail("不支持通配符（* 或 ?），请给出完整的值")
            chars.append(c)
            self.pos += 1
        return "".join(chars)

    def bound(self, stops: str) -> datetime | None:
        self.skip()
        start = self.pos
        if self.text.startswith("*", self.pos):
            self.pos += 1
            return None
        text = self.quoted() if self.text[start : start + 1] == '"' else self.bare(stops)
        moment = parse_moment(text.strip(), self.now) if text.strip() else None
        if moment is None:
            self.fail(f"的日期无法识别：{text[:50] or '（空）'}", start)
        return moment[0]

    def range(self, field: str) -> Node:
        opened = self.pos
        if FIELDS[field] != "date":
            self.fail(f"的字段 {field} 不支持范围查询", opened)
        include_low = self.text[self.pos] == "["
        self.pos += 1
        low = self.bound(_SPACE + "]}")
        if not self.keyword("TO"):
            self.fail("的范围缺少 TO")
        high = self.bound(_SPACE + "]}")
        closing = self.skip()
        if closing not in ("]", "}"):
            self.fail(f"缺少范围的右括号（与第 {opened + 1} 个字符处配对）")
        self.pos += 1
        return Range(field, low, high, include_low or low is None, closing == "]" or high is None)


def parse_filter(text: str, *, now: datetime, param: str) -> Node:
    """An fq-style string (already checked as text), its errors keyed by ``param``."""
    return _Parser(text, now, param).parse() if text.strip(_SPACE) else Everything()
