"""Old binary Excel workbooks (XLS, BIFF), read with xlrd: every sheet, hidden ones too, and
their cell notes. xlrd reads a whole workbook into memory, so the file's size is bounded first;
its rows are read as they are (xlrd would pad every row to the widest), and a sheet whose range
padded would outgrow the memory bound is refused (one cell at IV65536 is 16 million cells to
Frictionless, which validates with xlrd's padding)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets.tables.limits import Limits, TableError

_CELL_BYTES = 8  # what one cell of a padded row costs at least (a reference in a list)


@dataclass(frozen=True)
class XlsSheet:
    name: str
    hidden: bool
    index: int


class XlsWorkbook:
    def __init__(self, path: Path, limits: Limits) -> None:
        import xlrd

        self.name = path.name
        self.limits = limits
        size = path.stat().st_size
        if size > limits.max_memory_bytes:
            raise TableError(
                f"XLS 工作簿 {self.name} 有 {size} 字节，超过整体读入的上限"
                f"（{limits.max_memory_bytes} 字节），请转存为 XLSX 或 CSV",
                "part-too-large",
            )
        try:
            self.book: Any = xlrd.open_workbook(str(path), on_demand=True, ragged_rows=True)
        except Exception as error:  # noqa: BLE001 — xlrd raises many kinds on a broken file
            raise TableError(
                f"文件 {self.name} 不是可读取的 XLS 工作簿（{error}）", "not-xls"
            ) from None
        self.sheets = [
            XlsSheet(s.name, bool(s.visibility), i)
            for i, s in enumerate(self._sheet(i) for i in range(self.book.nsheets))
        ]

    def _sheet(self, index: int) -> Any:
        try:
            sheet = self.book.sheet_by_index(index)
        except Exception as error:  # noqa: BLE001
            raise TableError(f"文件 {self.name} 的工作表无法读取（{error}）", "not-xls") from None
        if sheet.nrows * sheet.ncols * _CELL_BYTES > self.limits.max_memory_bytes:
            raise TableError(
                f"XLS 工作表“{sheet.name}”的范围达 {sheet.nrows} 行 × {sheet.ncols} 列，"
                f"补齐后超过整体读入的上限（{self.limits.max_memory_bytes} 字节），"
                "请转存为 XLSX 或 CSV",
                "part-too-large",
            )
        return sheet

    def close(self) -> None:
        self.book.release_resources()

    def sheet_rows(self, info: XlsSheet) -> Iterator[list[object]]:
        import xlrd

        sheet = self._sheet(info.index)
        if sheet.ncols > self.limits.max_columns:
            raise self.limits.too_many_columns(sheet.ncols, f"工作表“{info.name}”")
        datemode = self.book.datemode
        for r in range(sheet.nrows):
            row: list[object] = []
            for cell in sheet.row(r):
                kind, value = cell.ctype, cell.value
                if kind == xlrd.XL_CELL_EMPTY or kind == xlrd.XL_CELL_BLANK:
                    row.append(None)
                elif kind == xlrd.XL_CELL_DATE:
                    try:
                        row.append(xlrd.xldate.xldate_as_datetime(value, datemode))
                    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                        row.append(value)
                elif kind == xlrd.XL_CELL_NUMBER:
                    row.append(int(value) if float(value).is_integer() else value)
                elif kind == xlrd.XL_CELL_BOOLEAN:
                    row.append(bool(value))
                elif kind == xlrd.XL_CELL_ERROR:
                    row.append(xlrd.error_text_from_code.get(value, "#ERR"))
                else:
                    row.append(value)
            while row and row[-1] is None:
                row.pop()
            if row:
                yield row

    def notes(self, info: XlsSheet) -> Iterator[str]:
        sheet = self._sheet(info.index)
        for note in sheet.cell_note_map.values():
            if note.text and note.text.strip():
                yield note.text.strip()
