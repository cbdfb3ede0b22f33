"""Scan a table for personal information: per column, which kinds, in how many cells.

Rows are read in batches; each column's cells of a batch are joined into one text, so the
detectors' regular expressions run over it once, in C, and only their matches cost Python time.
Memory stays bounded by the batch, whatever the size of the table.

Decision rules (per column and kind; see ``_Column.findings``):

- a value kind is reported when at least one cell holds it, whatever the column's header (a
  mobile under 编号 is still a mobile), except that
  (a) under a header of amounts or counts in a unit (``detectors.is_quantity_header``:
  合同金额(元)) an 11-digit amount is not taken for a phone unless such values fill half of the
  column, and
  (b) when most numbers of an ID or card shape fail their checksum, the few that pass are chance
  (a column of serial numbers), and a valid 统一社会信用代码 is never an ID number;
- names, addresses and birth dates need a header hint, and cells that are not masked already.

Which kinds there are, how each is found and which headers announce it is the table of
``kinds.KINDS`` (a test may give the scanner a table of its own); the masked example a finding
shows is the value as the kind's default masking policy publishes it (``masking.policies``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from itertools import accumulate, islice
from typing import Any

from datasets.openness.masking.policies import transform
from datasets.openness.pii import patterns
from datasets.openness.pii.detectors import is_quantity_header
from datasets.openness.pii.kinds import KINDS, Kind, KindTable, kind_table, same_family
from datasets.tables import cell_text

BATCH_ROWS = 2048
_SEP = "\x1e"  # joins the cells of a batch; no detector matches across it
_OTHER = "（其他）"  # the free-text column past ``max_columns`` names
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
    """What the scanner found in one file.

    ``columns`` are every column scanned, in order: the file's table (``table_columns``), then
    the rest (``outside``): other sheets (``工作表!列``), comments, the rows above the header,
    cells beyond it. A masked copy of a table never carries the rest as it is (see
    ``masking.files``), so only the table's personal columns need masking rules there.
    ``held`` says why (part of) the file could not be scanned: such a file is never published
    without a person's confirmation.
    """

    columns: tuple[str, ...]
    rows_scanned: int
    findings: tuple[Finding, ...]  # in column order, then in the order of ``kinds.KINDS``
    table_columns: tuple[str, ...] | None = None  # None: all of ``columns``
    outside: tuple[str, ...] = ()
    held: tuple[str, ...] = ()

    @property
    def personal_columns(self) -> tuple[str, ...]:
        """Columns with at least one personal finding, in column order."""
        personal = {f.column for f in self.findings if f.personal}
        return tuple(c for c in dict.fromkeys(self.columns) if c in personal)

    @property
    def has_personal(self) -> bool:
        return any(f.personal for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "columns": list(self.columns),
            "rows_scanned": self.rows_scanned,
            "findings": [asdict(f) for f in self.findings],
        }
        if self.table_columns is not None:
            out["table_columns"] = list(self.table_columns)
        if self.outside:
            out["outside"] = list(self.outside)
        if self.held:
            out["held"] = list(self.held)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanReport:
        names = {f.name for f in fields(Finding)}
        held = tuple(data.get("held") or ())
        if data.get("failed") and not held:  # reports stored before ``held`` existed
            held = ("无法扫描",)
        table = data.get("table_columns")
        return cls(
            columns=tuple(data.get("columns") or ()),
            rows_scanned=int(data.get("rows_scanned") or 0),
            findings=tuple(
                Finding(**{k: v for k, v in f.items() if k in names})
                for f in data.get("findings") or ()
            ),
            table_columns=None if table is None else tuple(table),
            outside=tuple(data.get("outside") or ()),
            held=held,
        )


class _Column:
    """What has been seen in one column so far."""

    def __init__(self, header: str, hint_header: str, table: KindTable) -> None:
        self.header = header
        self.table = table
        self.hint = table.header_hint(hint_header)
        self.hinted: Kind | None = self.hint.kind if self.hint else None
        # guard (a): amounts in a unit hide their phone look-alikes
        self.amounts = self.hint is None and is_quantity_header(hint_header)
        # under an ID header a wrong check character is a typo (or Excel's rounding), and the
        # number still tells a birth date and a place
        self.trusted = frozenset(
            kind.code
            for kind in table.kinds
            if kind.trusts_header and same_family(self.hinted, kind)
        )
        cells = self.hint.cells if self.hint else None
        self.check = _whole_cells(cells) if cells else None
        typical = self.hinted.typical if self.hinted and cells else None
        self.typical_check = _whole_cells(typical) if typical else None
        self.rows = 0
        self.hits: dict[str, int] = {}
        # per kind with a value detector: candidates passing their checksum, all candidates
        self.shaped = {kind.code: [0, 0] for kind in table.kinds if kind.find}
        self.numbers = {
            finder: (kind, self.shaped[kind.code], kind.code in self.trusted)
            for finder, kind in table.numbers.items()
        }
        self.examples: dict[str, str] = {}
        self.hinted_hits = 0
        self.typical_hits = 0  # cells looking like the hinted kind's typical values

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
        numbers = bool(self.table.numbers) and patterns.NUMBER_GATE.search(text) is not None
        searched = [k for k in self.table.searched if k.gate is None or k.gate.search(text)]
        if not numbers and not searched:
            return
        # where each cell ends in ``text`` (+1 for the separator): cell i is bisect_right(ends, p)
        ends = list(accumulate(map(_PLUS_ONE, map(len, cells))))
        hit: defaultdict[str, set[int]] = defaultdict(set)
        if numbers:  # the hottest loop: ``_counts`` inlined, its lookups made once
            examples = self.examples
            for finder, start, end, valid in patterns.number_candidates(text):
                number = self.numbers.get(finder)
                if number is None:
                    continue
                kind, shaped, trusted = number
                shaped[1] += 1
                if not valid and not trusted:
                    continue
                if kind.unless is not None and kind.unless(text[start:end]):
                    continue
                shaped[0] += valid
                hit[kind.code].add(bisect_right(ends, start))
                if kind.code not in examples:
                    examples[kind.code] = masked_example(kind, text[start:end])
        for kind in searched:
            assert kind.find is not None
            for start, end in kind.find(text):
                if self._counts(kind, text, start, end, True):
                    hit[kind.code].add(bisect_right(ends, start))
        for code, cells_hit in hit.items():
            self.hits[code] = self.hits.get(code, 0) + len(cells_hit)

    def _counts(self, kind: Kind, text: str, start: int, end: int, valid: bool) -> bool:
        """Whether a value the detectors found counts for ``kind`` (and note its example): not
        when it fails its checksum, unless the header is trusted, nor when it is rather something
        else (guard (b): a 统一社会信用代码 is never an ID number)."""
        shaped = self.shaped[kind.code]
        shaped[1] += 1
        if not valid and kind.code not in self.trusted:
            return False
        if kind.unless is not None and kind.unless(text[start:end]):
            return False
        shaped[0] += valid
        if kind.code not in self.examples:
            self.examples[kind.code] = masked_example(kind, text[start:end])
        return True

    def _feed_hinted(self, text: str) -> None:
        assert self.hinted is not None and self.check is not None
        for match in self.check.finditer(text):
            if not self.hinted_hits:
                self.examples[self.hinted.code] = masked_example(self.hinted, match.group().strip())
            self.hinted_hits += 1
        if self.typical_check is not None:
            self.typical_hits += len(self.typical_check.findall(text))

    def findings(self) -> list[Finding]:
        found: list[Finding] = []
        hinted = self.hinted
        for code, hits in self.hits.items():
            kind = self.table.by_code[code]
            valid, shaped = self.shaped.get(code, (hits, hits))
            if 2 * valid < shaped and code not in self.trusted:
                continue  # mostly failing their checksum: serial numbers
            if self.amounts and kind.like_amounts and 2 * hits < self.rows:
                continue
            evidence = "header+values" if same_family(hinted, kind) else "values"
            personal = kind.personal or hinted is kind
            found.append(self._finding(kind, hits, personal, evidence))
        if self.hint is not None and hinted is not None and self.hinted_hits:
            if not self.hint.strong:  # 联系人, 负责人 …: only when the values confirm it
                if 2 * self.hinted_hits >= self.rows:
                    found.append(self._finding(hinted, self.hinted_hits, True, "header+values"))
            else:
                typical = self.typical_check is not None and 2 * self.typical_hits >= self.rows
                evidence = "header+values" if typical else "header"
                found.append(self._finding(hinted, self.hinted_hits, True, evidence))
        order = self.table.order
        return sorted(found, key=lambda f: order[f.kind])

    def _finding(self, kind: Kind, hits: int, personal: bool, evidence: str) -> Finding:
        return Finding(
            column=self.header,
            kind=kind.code,
            title=kind.title,
            personal=personal,
            hits=hits,
            rows=self.rows,
            share=round(hits / self.rows, 4) if self.rows else 0.0,
            evidence=evidence,
            example=self.examples.get(kind.code, ""),
        )


def _whole_cells(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` matching whole cells of a batch's joined text."""
    return re.compile(rf"(?:^|(?<={_SEP}))(?:{pattern.pattern})(?={_SEP}|$)")


def masked_example(kind: Kind, value: str) -> str:
    """``value`` as the kind's default masking policy publishes it: what an operator is shown is
    what masking would publish, by masking's own code. (No default policy needs a key.)"""
    return transform(kind.policy, b"")(value)


# --- scanning -------------------------------------------------------------------------------

TITLE_ROWS = "（标题行）"  # cells above a table's header
HEADER_CELLS = "（表头）"  # the header's own cells, read as values
COMMENTS = "（批注）"


def extra_column(position: int, prefix: str = "") -> str:
    """The name of cells beyond a header's last column (1-based ``position``)."""
    return f"{prefix}（第{position}列）"


class Scanner:
    """Findings over the tables and texts of one file, fed in batches: memory stays bounded by
    a batch whatever the size of the file. ``max_rows`` (0: all) bounds the rows read of each
    table."""

    def __init__(
        self, *, max_rows: int = 0, max_columns: int = 1000, kinds: tuple[Kind, ...] = KINDS
    ) -> None:
        self.max_rows = max_rows
        self.max_columns = max_columns
        self.kinds = kind_table(kinds)
        self._columns: list[_Column] = []
        self._named: dict[str, _Column] = {}
        self.table_columns: tuple[str, ...] | None = None
        self.outside: list[str] = []
        self.held: list[str] = []
        self.rows_scanned = 0

    def _column(self, name: str, hint_header: str | None = None) -> _Column:
        column = _Column(name, name if hint_header is None else hint_header, self.kinds)
        self._columns.append(column)
        return column

    def named(self, name: str, *, outside: bool = True) -> _Column:
        """The column of free text called ``name`` (created once; past ``max_columns`` names,
        further ones share one column)."""
        column = self._named.get(name)
        if column is None:
            if len(self._named) >= self.max_columns and name != _OTHER:
                return self.named(_OTHER, outside=outside)
            column = self._named[name] = self._column(name)
            if outside:
                self.outside.append(name)
        return column

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[object]],
        *,
        prefix: str = "",
        main: bool = False,
        header_cells: bool = True,
    ) -> None:
        """Scan a table: ``header`` names its columns (hints are read from the names without
        ``prefix``); cells beyond the header get columns of their own. The file's table
        (``main``) gives the report its ``table_columns``; other tables are ``outside``. The
        header's own cells are scanned as values too (``header_cells``): a sheet without a
        header row has data there."""
        names = [prefix + h for h in header]
        columns = [self._column(name, h) for name, h in zip(names, header, strict=True)]
        if main and self.table_columns is None:
            self.table_columns = tuple(names)
        else:
            self.outside.extend(names)
        if header_cells:
            self.text(prefix + HEADER_CELLS, header)
        width = len(columns)
        iterator = iter(islice(rows, self.max_rows) if self.max_rows else rows)
        batch: list[Sequence[str]]
        while batch := [[cell_text(v) for v in row] for row in islice(iterator, BATCH_ROWS)]:
            self.rows_scanned += len(batch)
            longest = max(map(len, batch))
            if longest > width:
                for position in range(width, longest):
                    extra = self.named(extra_column(position + 1, prefix))
                    extra.feed([row[position] if position < len(row) else "" for row in batch])
            if width == 0:
                continue
            if any(len(row) != width for row in batch):
                batch = [_fit(row, width) for row in batch]
            for column, cells in zip(columns, zip(*batch, strict=True), strict=True):
                column.feed(cells)

    def text(self, name: str, values: Iterable[object], *, outside: bool = True) -> None:
        """Scan free text (comments, title rows, a document's values) under column ``name``
        (created only when there is text)."""
        iterator = iter(values)
        while batch := [cell_text(v) for v in islice(iterator, BATCH_ROWS)]:
            self.named(name, outside=outside).feed(batch)

    def hold(self, reason: str) -> None:
        if reason not in self.held:
            self.held.append(reason)

    def report(self) -> ScanReport:
        findings = [f for column in self._columns for f in column.findings()]
        names = tuple(dict.fromkeys(c.header for c in self._columns))
        return ScanReport(
            names,
            self.rows_scanned,
            tuple(findings),
            self.table_columns,
            tuple(dict.fromkeys(self.outside)),
            tuple(self.held),
        )


def _fit(row: Sequence[str], width: int) -> Sequence[str]:
    if len(row) == width:
        return row
    return list(row[:width]) + [""] * (width - len(row))


def scan_rows(
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    max_rows: int = 0,
    kinds: tuple[Kind, ...] = KINDS,
) -> ScanReport:
    """Scan one table given as a header and rows of any cell values (None, numbers, dates)."""
    scanner = Scanner(max_rows=max_rows, kinds=kinds)
    scanner.table([cell_text(h) for h in header], rows, main=True, header_cells=False)
    return replace(scanner.report(), table_columns=None)
