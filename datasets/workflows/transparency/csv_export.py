"""CSV for spreadsheets: UTF-8 with a byte-order mark, and cells that never run as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

UTF8_BOM = "\ufeff"


def csv_cell(value: Any) -> str:
    """A value as a CSV cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads it as UTF-8), one row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(UTF8_BOM)
    writer.writerow([csv_cell(v) for v in header])
    yield buffer.getvalue().encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(v) for v in row])
        yield buffer.getvalue().encode("utf-8")
