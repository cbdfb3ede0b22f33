"""A worksheet's XML turned into rows of typed values by expat handlers, within the reader's
bounds: columns, rows, a cell's and a row's text, the shared strings its cells refer to, and the
range its ``<dimension>`` claims. Dates are recognised by their cell style's number format, as
openpyxl recognises them."""

from __future__ import annotations

import re
from datetime import datetime

from datasets.tables.limits import Limits, TableError
from datasets.tables.xmlparts import local_name, make_parser

_COLUMN = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d*)$")
_INTEGER = re.compile(r"^-?\d{1,300}$")


def column_index(reference: str) -> int:
    """1-based column of a cell reference (``B3`` → 2); 0 when it names none."""
    match = _COLUMN.match(reference)
    if not match:
        return 0
    index = 0
    for char in match.group(1).upper():
        index = index * 26 + ord(char) - 64
    return index


class SheetReader:
    """expat handlers turning a sheet's XML into rows of values."""

    def __init__(
        self,
        limits: Limits,
        where: str,
        *,
        date1904: bool,
        shared: list[str],
        dates: list[bool],
    ) -> None:
        self.limits = limits
        self.where = where
        self.shared = shared  # the workbook's shared strings
        self.dates = dates  # for each cell style, whether it formats a date
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        self.from_excel = from_excel
        self.done: list[list[object] | int] = []  # rows read, or a number of skipped rows
        self.row: dict[int, object] = {}
        self.rows = 0
        self.row_chars = 0
        self.shared_chars = 0  # of the shared strings its cells refer to
        self.column = 0
        self.cell_type = "n"
        self.cell_style = 0
        self.text: list[str] = []
        self.text_size = 0
        self.collect = False  # inside <v>, or a <t> of an inline string (not in <rPh>)
        self.phonetic = 0
        parser = make_parser()
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data
        self.parser = parser

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = local_name(tag)
        if name == "c":
            reference = attrs.get("r", "")
            self.column = column_index(reference) if reference else self.column + 1
            if self.column > self.limits.max_columns:
                raise self.limits.too_many_columns(self.column, self.where)
            self.cell_type = attrs.get("t", "n")
            try:
                self.cell_style = int(attrs.get("s", "0"))
            except ValueError:
                self.cell_style = 0
            self.text.clear()
            self.text_size = 0
        elif name == "dimension":
            self._check_dimension(attrs.get("ref", ""))
        elif name == "row":
            self.row = {}
            self.column = 0
            self.row_chars = 0
            try:
                number = int(attrs.get("r", ""))
            except ValueError:
                number = self.rows + 1
            if number > self.limits.max_rows:
                raise self.limits.too_many_rows(self.where)
            # rows the sheet leaves out are empty rows: yielded, so rows keep their numbers
            if number > self.rows + 1:
                self.done.append(number - self.rows - 1)
            self.rows = max(number, self.rows + 1)
        elif name == "v" or (name == "t" and not self.phonetic):
            self.collect = True
        elif name == "rPh":
            self.phonetic += 1

    def end(self, tag: str) -> None:
        name = local_name(tag)
        if name in ("v", "t"):
            self.collect = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "c":
            value = self._value("".join(self.text))
            if value is not None:
                if self.cell_type == "s" and type(value) is str:
                    self._count_shared(len(value))
                self.row[self.column] = value
        elif name == "row" and self.row:
            width = max(self.row)
            self.done.append([self.row.get(i) for i in range(1, width + 1)])

    def data(self, chunk: str) -> None:
        if not self.collect:
            return
        self.text_size += len(chunk)
        self.row_chars += len(chunk)
        if self.text_size > self.limits.max_cell_chars:
            raise self.limits.cell_too_long(self.where)
        if self.row_chars > self.limits.max_line_bytes:
            raise self._line_too_long()
        self.text.append(chunk)

    def _line_too_long(self) -> TableError:
        return TableError(f"{self.where}有一行的文字超过读取上限", "line-too-long")

    def _count_shared(self, length: int) -> None:
        """A cell's shared string counts in its row and in the sheet's unpacked size."""
        self.row_chars += length
        self.shared_chars += length
        if self.row_chars > self.limits.max_line_bytes:
            raise self._line_too_long()
        if self.shared_chars > self.limits.max_unpacked_bytes:
            raise TableError(
                f"{self.where}的单元格引用的共享字符串展开后超过 "
                f"{self.limits.max_unpacked_bytes} 个字符的上限（可能是压缩炸弹）",
                "zip-too-large",
            )

    def _check_dimension(self, ref: str) -> None:
        """The sheet's declared range (``A1:XFD1048576``): readers that trust it pad every row
        to its last column, so it may claim no more than the bounds allow."""
        last = ref.rsplit(":", 1)[-1]
        columns = column_index(last)
        if columns > self.limits.max_columns:
            raise self.limits.too_many_columns(columns, f"{self.where}声明的范围（{ref[:40]}）")
        match = _COLUMN.match(last)
        row = match.group(2) if match else ""
        if row and (len(row) > 9 or int(row) > self.limits.max_rows):
            raise self.limits.too_many_rows(f"{self.where}声明的范围（{ref[:40]}）")

    def _value(self, raw: str) -> object:
        kind = self.cell_type
        if kind == "s":
            try:
                return self.shared[int(raw)]
            except (ValueError, IndexError):
                return None
        if kind in ("inlineStr", "str", "e"):
            return raw or None
        if not raw:
            return None
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.fromisoformat(raw.strip())
            except ValueError:
                return raw
        try:
            number: int | float = int(raw) if _INTEGER.match(raw) else float(raw)
        except ValueError:
            return raw
        dates = self.dates
        if 0 <= self.cell_style < len(dates) and dates[self.cell_style]:
            try:
                return self.from_excel(number, self.epoch)
            except (ValueError, OverflowError, TypeError):
                return number
        return number
