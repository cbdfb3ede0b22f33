"""The one table reader of the product: intake, validation, the scanner, masking and granted
downloads read tables only through it.

- CSV, TSV and TXT are decoded once with the encoding decided by ``decide_encoding`` (the
  declared one first, then detection) and read within the bounds of ``Limits``.
- XLSX (every sheet, hidden ones too, with their comments) is read with expat, streaming and
  within the same bounds; XLS with xlrd.
- Every sheet's header row is found past title and note rows (``header_index``); cells become
  text by one rule (``cell_text``).

A file that cannot be read safely and completely raises ``TableError`` with a one-line reason:
the caller holds it, never publishes it half-read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any, TextIO

from datasets.tables.cells import (
    PREVIEW_CELL_CHARS,
    cell_text,
    is_blank,
    preview_cell,
    preview_row,
    row_text,
)
from datasets.tables.delimited import open_text, read_rows, sniff_delimiter
from datasets.tables.encoding import (
    Encoding,
    Sample,
    Sampler,
    decide_encoding,
    normalise_declared,
    transcode_to_utf8,
)
from datasets.tables.header import SEARCHED_ROWS, header_index
from datasets.tables.limits import DEFAULT_LIMITS, Limits, TableError

TEXT_FORMATS = ("csv", "tsv", "txt")
WORKBOOK_FORMATS = ("xlsx", "xls")
TABLE_FORMATS = TEXT_FORMATS + WORKBOOK_FORMATS

__all__ = [
    "DEFAULT_LIMITS",
    "PREVIEW_CELL_CHARS",
    "TABLE_FORMATS",
    "TEXT_FORMATS",
    "WORKBOOK_FORMATS",
    "Encoding",
    "Limits",
    "Sample",
    "Sampler",
    "Sheet",
    "TableError",
    "TableFile",
    "cell_text",
    "decide_encoding",
    "is_blank",
    "normalise_declared",
    "open_table",
    "preview_cell",
    "preview_row",
    "read_preview",
    "row_text",
    "transcode_to_utf8",
]


@dataclass
class Sheet:
    """One table of a file: a CSV, or one sheet of a workbook.

    ``above`` are the rows above the header (titles, notes, blank rows), ``header_row`` the
    header's 0-based index among the rows read, ``rows`` the rows after it, blank ones
    included, as read (text for text tables, typed values for workbooks). ``main`` marks the
    file's table: the first visible sheet that has a header (a CSV's only one).
    """

    name: str
    hidden: bool
    above: list[list[Any]]
    header: list[str]
    header_row: int
    rows: Iterator[list[Any]]
    main: bool = False

    @property
    def empty(self) -> bool:
        return not any(h.strip() for h in self.header)


def _sheet(name: str, hidden: bool, rows: Iterator[list[Any]]) -> Sheet:
    first = list(islice(rows, SEARCHED_ROWS))
    index = header_index([row_text(r) for r in first])
    header = row_text(first[index]) if first else []
    while header and not header[-1].strip():
        header.pop()  # the empty cells a sheet's used range adds on the right
    rest = chain(first[index + 1 :], rows)
    return Sheet(name, hidden, first[:index], header, index, rest)


class TableFile:
    """An open table file. ``sheets()`` yields each sheet once (visible ones first), to be
    consumed before the next; ``comments()`` and ``other_text()`` the text kept beside the
    cells; ``unscannable()`` the parts no scanner can read (images, embedded objects)."""

    def __init__(self, path: Path, fmt: str, *, codec: str | None, limits: Limits) -> None:
        self.path = Path(path)
        self.fmt = fmt
        self.limits = limits
        self.codec = codec
        self.delimiter: str | None = None
        self._book: Any = None
        self._text: TextIO | None = None
        if fmt in TEXT_FORMATS:
            self._open_text()
        elif fmt == "xlsx":
            from datasets.tables.workbook import Workbook

            self._book = Workbook(self.path, limits)
        elif fmt == "xls":
            from datasets.tables.xls import XlsWorkbook

            self._book = XlsWorkbook(self.path, limits)
        else:
            raise TableError(f"{fmt or '未知'} 格式不是数据表", "not-a-table")

    def __enter__(self) -> TableFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open_text(self) -> None:
        """Open a text table once: the delimiter is sniffed from its first lines, then its
        rows are read from its start."""
        if self.codec is None:
            self.codec = decide_encoding(self.path).codec
        self._text = open_text(self.path, self.codec)
        try:
            self.delimiter = sniff_delimiter(
                self._text, name=self.path.name, codec=self.codec, fmt=self.fmt, limits=self.limits
            )
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None
        if self._text is not None:
            self._text.close()
            self._text = None

    def _infos(self) -> list[Any]:
        if self.fmt in TEXT_FORMATS:
            return [None]
        infos = list(self._book.book.sheets if self.fmt == "xlsx" else self._book.sheets)
        return [i for i in infos if not i.hidden] + [i for i in infos if i.hidden]

    def sheets(self) -> Iterator[Sheet]:
        found_main = False
        for info in self._infos():
            if info is None:
                assert self._text and self.codec and self.delimiter, "a closed text table"
                rows: Iterator[list[Any]] = read_rows(
                    self._text,
                    name=self.path.name,
                    codec=self.codec,
                    delimiter=self.delimiter,
                    limits=self.limits,
                )
                sheet = _sheet("", False, rows)
            else:
                sheet = _sheet(info.name, info.hidden, self._book.sheet_rows(info))
            if not found_main and not sheet.empty and not sheet.hidden:
                sheet.main = found_main = True
            yield sheet

    def main_sheet(self) -> Sheet | None:
        """The file's table (see ``Sheet.main``), or ``None`` when it has none."""
        return next((s for s in self.sheets() if s.main), None)

    def comments(self) -> Iterator[tuple[str, str]]:
        """(sheet name, text) of every cell comment (批注)."""
        if self.fmt == "xlsx":
            for info in self._book.book.sheets:
                where = f"工作表“{info.name}”的批注"
                for text in self._book.texts(info.comments, where, only=("t", "text")):
                    yield info.name, text
        elif self.fmt == "xls":
            for info in self._book.sheets:
                for text in self._book.notes(info):
                    yield info.name, text

    def other_text(self) -> Iterator[str]:
        """Text of a workbook outside its cells and comments (text boxes, document properties)."""
        if self.fmt == "xlsx":
            yield from self._book.texts(self._book.other_parts(), "其他部件")

    def unscannable(self) -> list[str]:
        return self._book.unscannable_parts() if self.fmt == "xlsx" else []


def open_table(
    path: Path, fmt: str, *, codec: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> TableFile:
    """Open a table file. ``codec`` is the decided encoding of a text table (decided now when
    ``None``)."""
    return TableFile(path, fmt.lower().lstrip("."), codec=codec, limits=limits)


def read_preview(
    path: Path,
    fmt: str,
    *,
    codec: str | None = None,
    limit: int = 20,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """The header and first non-blank rows of a file's table, as text with long cells cut
    (``preview_cell``); ``{}`` if it has none or cannot be read."""
    try:
        with open_table(path, fmt, codec=codec, limits=limits) as table:
            sheet = table.main_sheet()
            if sheet is None:
                return {}
            rows = [
                preview_row(r) for r in islice((r for r in sheet.rows if not is_blank(r)), limit)
            ]
            return {"fields": sheet.header, "rows": rows}
    except TableError:
        return {}
