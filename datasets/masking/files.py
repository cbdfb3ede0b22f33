"""Mask whole CSV and XLSX files, streaming: memory stays flat whatever the number of rows.

The masked file is written next to the target under a temporary name and renamed when complete,
so a failure never leaves a half-masked file behind.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import ne
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

from datasets.errors import ValidationError

from .masker import Masker
from .values import to_text


@dataclass(frozen=True)
class MaskStats:
    rows: int  # data rows, header not counted
    cells_changed: int
    columns: tuple[str, ...]


@contextmanager
def _replacing(target: Path) -> Iterator[Path]:
    """Yield a temporary path that replaces ``target`` only if the block succeeds."""
    part = target.with_name(f".{target.name}.part")
    try:
        yield part
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def _changed(before: Sequence[object], after: Sequence[object]) -> int:
    pairs = zip(before, after, strict=True)
    return sum(1 for a, b in pairs if a is not b and to_text(a) != to_text(b))


def mask_csv(source: Path, target: Path, rules: Mapping[str, str], *, key: bytes) -> MaskStats:
    """Mask a UTF-8 CSV file (BOM kept if present) into ``target``: comma, minimal quoting, ``\\n``.

    The header is the first non-empty row. Rows of another length are written as they are,
    neither padded nor cut (see ``Masker`` for how their cells are masked).
    """
    with source.open("rb") as handle:
        bom = handle.read(3) == codecs.BOM_UTF8
    encoding = "utf-8-sig" if bom else "utf-8"
    rows = changed = 0
    header: list[str] | None = None
    masker: Masker | None = None
    try:
        with (
            _replacing(target) as part,
            source.open(encoding=encoding, newline="") as src,
            part.open("w", encoding=encoding, newline="") as out,
        ):
            reader = csv.reader(src)
            writer = csv.writer(out, lineterminator="\n")
            for row in reader:
                if masker is None:
                    if row:
                        header = row
                        masker = Masker(rules, key=key, header=row)
                    writer.writerow(row)
                    continue
                masked = masker.mask_row(row)
                changed += sum(map(ne, row, masked))  # both text, same length
                writer.writerow(masked)
                rows += 1
            if masker is None:  # an empty file: the rules must still name real columns
                Masker(rules, key=key, header=[])
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"文件 {source.name} 不是 UTF-8 编码，无法脱敏", {"encoding": [str(error)]}
        ) from None
    except csv.Error as error:
        raise ValidationError(
            f"文件 {source.name} 第 {reader.line_num} 行无法按 CSV 读取：{error}",
            {"csv": [str(error)]},
        ) from None
    return MaskStats(rows=rows, cells_changed=changed, columns=tuple(header or ()))


def mask_xlsx(source: Path, target: Path, rules: Mapping[str, str], *, key: bytes) -> MaskStats:
    """Mask the first sheet of an XLSX workbook into a one-sheet workbook ``target``.

    Read-only in, write-only out: bounded memory. The header is the first non-empty row; rows
    above it are copied. Other sheets are not copied (they were not scanned). Unruled cells
    keep their type (numbers stay numbers); masked cells are text.
    """
    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as error:
        raise ValidationError(
            f"文件 {source.name} 不是可读取的 XLSX 工作簿", {"xlsx": [str(error)]}
        ) from None
    rows = changed = 0
    header: tuple[str, ...] = ()
    masker: Masker | None = None
    try:
        sheet = book.worksheets[0]
        out_book = Workbook(write_only=True)
        out_sheet = out_book.create_sheet(title=sheet.title)
        for values in sheet.iter_rows(values_only=True):
            row = list(values)
            if masker is None:
                if any(to_text(v).strip() for v in row):
                    header = _trimmed(row)
                    masker = Masker(rules, key=key, header=row)
                out_sheet.append(_cells(out_sheet, row))
                continue
            masked = masker.mask_cells(row)
            changed += _changed(row, masked)
            out_sheet.append(_cells(out_sheet, masked))
            rows += 1
        if masker is None:
            Masker(rules, key=key, header=[])
        with _replacing(target) as part:
            out_book.save(part)
    finally:
        book.close()
    return MaskStats(rows=rows, cells_changed=changed, columns=header)


def _trimmed(row: Sequence[object]) -> tuple[str, ...]:
    """Header names without the empty cells a sheet's used range adds on the right."""
    names = [to_text(v) for v in row]
    while names and not names[-1].strip():
        names.pop()
    return tuple(names)


def _cells(sheet: object, row: list[object]) -> list[object]:
    """Text starting with ``=`` is written as text, never as a formula."""
    if not any(isinstance(v, str) and v.startswith("=") for v in row):
        return row
    cells: list[object] = []
    for value in row:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    return cells
