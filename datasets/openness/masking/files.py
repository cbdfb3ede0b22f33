"""Masked copies of whole CSV and XLSX files, read through the one table reader and written
streaming: memory stays flat whatever the number of rows.

A masked copy carries the file's table only (a CSV, a workbook's first visible sheet): other
sheets (hidden ones too), cell comments, text boxes and embedded objects are left out, and the
rows above the header, the header's own cells and cells beyond the header's last column are
masked as free text (``mask-text``: identifiers inside them are hidden). The masked file is
written under a temporary name and renamed when complete, so a failure never leaves a
half-masked file behind.
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

from datasets.errors import ValidationError
from datasets.openness.masking.masker import Masker
from datasets.openness.masking.policies import transform
from datasets.openness.masking.values import to_text
from datasets.tables import DEFAULT_LIMITS, Limits, Sheet, TableError, open_table


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


@contextmanager
def _main_sheet(source: Path, fmt: str, limits: Limits) -> Iterator[Sheet | None]:
    """The file's table, read within the bounds; a file the reader refuses cannot be masked."""
    codec = "utf-8-sig" if fmt == "csv" else None
    try:
        with open_table(source, fmt, codec=codec, limits=limits) as table:
            yield table.main_sheet()
    except TableError as error:
        raise ValidationError(
            f"文件 {source.name} 无法脱敏：{error.message}", error.errors
        ) from None


def mask_csv(
    source: Path,
    target: Path,
    rules: Mapping[str, str],
    *,
    key: bytes,
    limits: Limits = DEFAULT_LIMITS,
) -> MaskStats:
    """Mask a UTF-8 CSV file (BOM kept if present) into ``target``: comma, minimal quoting,
    ``\\n``. Rows of another length than the header are written neither padded nor cut (see
    ``Masker`` for how their cells are masked)."""
    with source.open("rb") as handle:
        bom = handle.read(3) == codecs.BOM_UTF8
    text = transform("mask-text", key)
    rows = changed = 0
    header: tuple[str, ...] = ()
    encoding = "utf-8-sig" if bom else "utf-8"
    with (
        _replacing(target) as part,
        part.open("w", encoding=encoding, newline="") as out,
        _main_sheet(source, "csv", limits) as sheet,
    ):
        writer = csv.writer(out, lineterminator="\n")
        if sheet is None:
            Masker(rules, key=key, header=[])  # the rules must still name real columns
            return MaskStats(rows=0, cells_changed=0, columns=())
        header = tuple(sheet.header)
        masker = Masker(rules, key=key, header=sheet.header)
        writer.writerows([text(c) for c in row] for row in sheet.above)
        writer.writerow([text(c) for c in sheet.header])
        for row in sheet.rows:
            masked = masker.mask_row(row)
            changed += sum(map(ne, row, masked))  # both text, same length
            writer.writerow(masked)
            rows += 1
    return MaskStats(rows=rows, cells_changed=changed, columns=header)


def mask_xlsx(
    source: Path,
    target: Path,
    rules: Mapping[str, str],
    *,
    key: bytes,
    limits: Limits = DEFAULT_LIMITS,
) -> MaskStats:
    """Mask the table of an XLSX workbook into a one-sheet workbook ``target`` (read streaming,
    written write-only). Unruled cells keep their type (numbers stay numbers); masked cells are
    text."""
    text = transform("mask-text", key)
    rows = changed = 0
    header: tuple[str, ...] = ()
    from openpyxl import Workbook

    out_book = Workbook(write_only=True)
    with _main_sheet(source, "xlsx", limits) as sheet:
        if sheet is None:
            Masker(rules, key=key, header=[])
            out_book.create_sheet(title="Sheet1")
            sheet = Sheet("Sheet1", False, [], [], 0, iter(()))
        header = tuple(sheet.header)
        masker = Masker(rules, key=key, header=sheet.header)
        out_sheet = out_book.create_sheet(title=sheet.name[:31] or "Sheet1")
        for row in sheet.above:
            out_sheet.append(_cells(out_sheet, [text(c) if c is not None else None for c in row]))
        out_sheet.append(_cells(out_sheet, [text(c) for c in sheet.header]))
        for values in sheet.rows:
            row = list(values)
            masked = masker.mask_cells(row)
            changed += _changed(row, masked)
            out_sheet.append(_cells(out_sheet, masked))
            rows += 1
    with _replacing(target) as part:
        out_book.save(part)
    return MaskStats(rows=rows, cells_changed=changed, columns=header)


def _cells(sheet: object, row: list[object]) -> list[object]:
    """Text starting with ``=`` is written as text, never as a formula."""
    if not any(isinstance(v, str) and v.startswith("=") for v in row):
        return row
    from openpyxl.cell import WriteOnlyCell

    cells: list[object] = []
    for value in row:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    return cells
