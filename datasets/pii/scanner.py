"""Scan a table for personal information: per column, which kinds, in how many cells.

Rows are read in batches; each column's cells of a batch are joined into one text, so the
detectors' regular expressions run over it once, in C, and only their matches cost Python time.
Memory stays bounded by the batch, whatever the size of the table.

Decision rules (per column and kind; see ``_Column.findings``):

- a value kind is reported when at least one cell holds it, except that
  (a) under a header of codes, serial numbers or quantities (``detectors.is_code_header``,
  ``is_quantity_header``) ID, card and phone look-alikes are ignored unless they fill half of
  the column, and
  (b) when most numbers of an ID or card shape fail their checksum, the few that pass are chance
  (a column of serial numbers), and a valid 统一社会信用代码 is never an ID number;
- names, addresses and birth dates need a header hint, and cells that are not masked already.
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time
from itertools import accumulate, islice
from pathlib import Path
from typing import Any

from . import patterns
from .detectors import (
    KIND_ORDER,
    KINDS_BY_CODE,
    PERSON_NAME,
    VALUE_DETECTORS,
    HeaderHint,
    header_hint,
    hinted_cell_pattern,
    is_code_header,
    is_quantity_header,
    same_family,
)

BATCH_ROWS = 2048
_SEP = "\x1e"  # joins the cells of a batch; no detector matches across it
_DIGIT_GATE = re.compile(r"\d{3}[- ]?\d{4}")  # every phone, ID and card number holds this
_GUARDED = frozenset({"id_card", "id_card_15", "bank_card", "mobile", "landline"})
_CHECKSUMMED = ("id_card", "id_card_15", "bank_card")
_PLUS_ONE = (1).__add__


@dataclass(frozen=True)
class Finding:
    column: str
    kind: str  # a Kind.code
    title: str
    personal: bool
    hits: int  # cells of this column with at least one match of this kind
    rows: int  # non-empty cells of this column that were scanned
    share: float  # hits / rows, rounded to 4 places
    evidence: str  # "values", "header" or "header+values"
    example: str  # one example, already masked


@dataclass(frozen=True)
class ScanReport:
    columns: tuple[str, ...]
    rows_scanned: int
    findings: tuple[Finding, ...]  # in column order, then in the order of ``KINDS``

    @property
    def personal_columns(self) -> tuple[str, ...]:
        """Columns with at least one personal finding, in column order."""
        personal = {f.column for f in self.findings if f.personal}
        return tuple(c for c in dict.fromkeys(self.columns) if c in personal)

    @property
    def has_personal(self) -> bool:
        return any(f.personal for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "rows_scanned": self.rows_scanned,
            "findings": [asdict(f) for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanReport:
        names = {f.name for f in fields(Finding)}
        return cls(
            columns=tuple(data.get("columns") or ()),
            rows_scanned=int(data.get("rows_scanned") or 0),
            findings=tuple(
                Finding(**{k: v for k, v in f.items() if k in names})
                for f in data.get("findings") or ()
            ),
        )


class _Column:
    """What has been seen in one column so far."""

    def __init__(self, header: str) -> None:
        self.header = header
        self.hint: HeaderHint | None = header_hint(header)
        # guard (a): codes, serial numbers and quantities hide their phone and ID look-alikes
        self.code_header = is_code_header(header) or is_quantity_header(header)
        self.id_header = self.hint is not None and same_family(self.hint.kind, "id_card")
        pattern = hinted_cell_pattern(self.hint) if self.hint else None
        self.check = _whole_cells(pattern) if pattern else None
        self.names_check = (
            _whole_cells(PERSON_NAME) if self.hint and self.hint.kind == "name" else None
        )
        self.rows = 0
        self.hits: dict[str, int] = {}
        self.shaped: dict[str, list[int]] = {k: [0, 0] for k in _CHECKSUMMED}  # valid, all
        self.examples: dict[str, str] = {}
        self.hinted_hits = 0
        self.person_names = 0  # cells looking like a person's name, under a name header

    def feed(self, cells: Sequence[str]) -> None:
        empty = cells.count("")
        if empty == len(cells):
            return
        self.rows += len(cells) - empty
        text = _SEP.join(cells)
        if text.count(_SEP) != len(cells) - 1:  # a cell holding the separator itself
            cells = [cell.replace(_SEP, " ") for cell in cells]
            text = _SEP.join(cells)
        if self.check is not None:
            self._feed_hinted(text)
        digits, at = _DIGIT_GATE.search(text) is not None, "@" in text
        if not digits and not at:
            return
        # where each cell ends in ``text`` (+1 for the separator): cell i is bisect_right(ends, p)
        ends = list(accumulate(map(_PLUS_ONE, map(len, cells))))
        hit: defaultdict[str, set[int]] = defaultdict(set)
        examples = self.examples
        if digits:
            shaped_counts = self.shaped
            for kind, start, end, valid in patterns.number_candidates(text):
                shaped = shaped_counts.get(kind)
                if shaped is not None:
                    shaped[1] += 1
                    # under an ID header a wrong check character is a typo (or Excel's
                    # rounding), and the number still tells a birth date and a place
                    if not valid and not (kind == "id_card" and self.id_header):
                        continue
                    if kind == "id_card" and patterns.looks_like_credit_code(text[start:end]):
                        continue  # guard (b): a 统一社会信用代码 is never an ID number
                    shaped[0] += valid
                hit[kind].add(bisect_right(ends, start))
                if kind not in examples:
                    examples[kind] = mask_example(kind, text[start:end])
        if at:
            for start, end in VALUE_DETECTORS["email"](text):
                hit["email"].add(bisect_right(ends, start))
                if "email" not in examples:
                    examples["email"] = mask_example("email", text[start:end])
        for kind, cells_hit in hit.items():
            self.hits[kind] = self.hits.get(kind, 0) + len(cells_hit)

    def _feed_hinted(self, text: str) -> None:
        assert self.hint is not None and self.hint.kind and self.check is not None
        kind = self.hint.kind
        for match in self.check.finditer(text):
            if not self.hinted_hits:
                self.examples[kind] = mask_example(kind, match.group().strip())
            self.hinted_hits += 1
        if self.names_check is not None:
            self.person_names += len(self.names_check.findall(text))

    def findings(self) -> list[Finding]:
        found: list[Finding] = []
        hinted = self.hint.kind if self.hint else None
        for kind, hits in self.hits.items():
            valid, shaped = self.shaped.get(kind, (hits, hits))
            if 2 * valid < shaped and not (kind == "id_card" and self.id_header):
                continue  # mostly failing their checksum: serial numbers
            if self.code_header and kind in _GUARDED and 2 * hits < self.rows:
                continue
            evidence = "header+values" if same_family(hinted, kind) else "values"
            personal = KINDS_BY_CODE[kind].personal or (kind == "landline" and hinted == kind)
            found.append(self._finding(kind, hits, personal, evidence))
        if self.hint is not None and hinted and self.hinted_hits:
            if not self.hint.strong:  # 联系人, 负责人 …: only when the values confirm it
                if 2 * self.hinted_hits >= self.rows:
                    found.append(self._finding(hinted, self.hinted_hits, True, "header+values"))
            else:
                names = hinted == "name" and 2 * self.person_names >= self.rows
                evidence = "header+values" if names else "header"
                found.append(self._finding(hinted, self.hinted_hits, True, evidence))
        return sorted(found, key=lambda f: KIND_ORDER[f.kind])

    def _finding(self, kind: str, hits: int, personal: bool, evidence: str) -> Finding:
        return Finding(
            column=self.header,
            kind=kind,
            title=KINDS_BY_CODE[kind].title,
            personal=personal,
            hits=hits,
            rows=self.rows,
            share=round(hits / self.rows, 4) if self.rows else 0.0,
            evidence=evidence,
            example=self.examples.get(kind, ""),
        )


def _whole_cells(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` matching whole cells of a batch's joined text."""
    return re.compile(rf"(?:^|(?<={_SEP}))(?:{pattern.pattern})(?={_SEP}|$)")


# --- masked examples ------------------------------------------------------------------------

_DISTRICT = re.compile(r"^.{1,12}?(?:区|县|旗)")
_YEAR = re.compile(r"(?:19|20)\d{2}")


def _star_digits(text: str, keep_head: int, keep_tail: int) -> str:
    positions = [i for i, c in enumerate(text) if c.isdigit() or c in "Xx"]
    hidden = set(positions[keep_head : len(positions) - keep_tail])
    return "".join("*" if i in hidden else c for i, c in enumerate(text))


def mask_example(kind: str, value: str) -> str:
    """A masked copy of ``value`` for a report: 138****5678, 430602********1234, 张*,
    a***@example.com, 6222 02** **** 0128, 江州市江北区****, 1965-**-**."""
    if kind == "mobile":
        digits = patterns.digits_of(value)[-11:]
        return f"{digits[:3]}****{digits[-4:]}"
    if kind in ("id_card", "id_card_15", "bank_card"):
        return _star_digits(value, 6, 4)
    if kind == "landline":
        head, sep, local = value.rpartition("-") if "-" in value else ("", "", value)
        return head + sep + _star_digits(local, 0, 3) if head else _star_digits(value, 4, 3)
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind == "name":
        surname = (
            value[:2] if len(value) > 2 and value[:2] in patterns.COMPOUND_SURNAMES else value[:1]
        )
        return surname + "*"
    if kind == "address":
        district = _DISTRICT.match(value)
        return (district.group(0) if district else "") + "****"
    if kind == "birth_date":
        year = _YEAR.search(value)
        return value[: year.end()] + re.sub(r"\d", "*", value[year.end() :]) if year else "****"
    return "****"


# --- tables ---------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # whole numbers as digits: Excel keeps 15 significant digits, so an 18-digit ID stored
        # as a number comes back as 3.61002196505114e+17 and is read as 361002196505113984
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _scan(header: Sequence[str], rows: Iterable[Sequence[str]], max_rows: int) -> ScanReport:
    """Scan rows whose cells are already strings."""
    columns = [_Column(h) for h in header]
    width = len(columns)
    if max_rows:
        rows = islice(rows, max_rows)
    iterator = iter(rows)
    scanned = 0
    while batch := list(islice(iterator, BATCH_ROWS)):
        scanned += len(batch)
        if width == 0:
            continue
        if any(len(row) != width for row in batch):
            batch = [_fit(row, width) for row in batch]
        for column, cells in zip(columns, zip(*batch, strict=True), strict=True):
            column.feed(cells)
    findings = [f for column in columns for f in column.findings()]
    return ScanReport(tuple(header), scanned, tuple(findings))


def _fit(row: Sequence[str], width: int) -> Sequence[str]:
    if len(row) == width:
        return row
    return list(row[:width]) + [""] * (width - len(row))


def scan_rows(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, max_rows: int = 0
) -> ScanReport:
    """Scan a table given as a header and rows of any cell values (None, numbers, dates)."""
    names = [_cell_text(h) for h in header]
    return _scan(names, ([_cell_text(v) for v in row] for row in rows), max_rows)


def scan_table(path: Path, fmt: str, *, max_rows: int = 0) -> ScanReport:
    """Scan a CSV (UTF-8 with or without BOM; GB18030 is accepted too) or XLSX file (its first
    sheet), streaming. ``max_rows`` 0 scans every row."""
    fmt = fmt.lower().lstrip(".")
    if fmt == "xlsx":
        return _scan_xlsx(Path(path), max_rows)
    if fmt != "csv":
        raise ValueError(f"cannot scan format {fmt!r}")
    try:
        return _scan_csv(Path(path), "utf-8-sig", max_rows)
    except UnicodeDecodeError:
        return _scan_csv(Path(path), "gb18030", max_rows)


def _scan_csv(path: Path, encoding: str, max_rows: int) -> ScanReport:
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return ScanReport((), 0, ())
        return _scan(header, reader, max_rows)


def _scan_xlsx(path: Path, max_rows: int) -> ScanReport:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        for first in rows:
            if any(c not in (None, "") for c in first):
                header = [_cell_text(c).strip() for c in first]
                body = (r for r in rows if any(c not in (None, "") for c in r))
                return scan_rows(header, body, max_rows=max_rows)
        return ScanReport((), 0, ())
    finally:
        workbook.close()
