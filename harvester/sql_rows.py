"""Writing a query's rows to a CSV file, bounded in size, cells as text."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from datasets.errors import ValidationError


def write_csv(result: Any, path: Path, max_bytes: int) -> tuple[list[str], list[str]]:
    """Stream a result into a UTF-8 CSV; returns the columns written and the binary columns
    left out. Raises ``ValidationError`` when the file would exceed ``max_bytes``."""
    names = [str(k) for k in result.keys()]  # noqa: SIM118 — a Result
    binary: set[int] = set()
    total = 0
    with path.open("wb") as handle:
        total += _write_rows(handle, [names])
        for batch in result.partitions():
            rows = []
            for row in batch:
                out = []
                for i, value in enumerate(row):
                    if isinstance(value, bytes | bytearray | memoryview):
                        binary.add(i)
                        out.append("")
                    else:
                        out.append(_cell(value))
                rows.append(out)
            total += _write_rows(handle, rows)
            if total > max_bytes:
                result.close()
                raise ValidationError(
                    f"导出的数据超过文件大小上限（{max_bytes} 字节），已停止读取",
                    {"size": [str(max_bytes)]},
                )
    if binary:  # leave the refused columns out altogether
        _drop_columns(path, binary)
    kept = [n for i, n in enumerate(names) if i not in binary]
    return kept, [names[i] for i in sorted(binary)]


def _write_rows(handle: Any, rows: list[list[str]]) -> int:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    handle.write(data)
    return len(data)


def _drop_columns(path: Path, columns: set[int]) -> None:
    tmp = path.with_suffix(".tmp")
    with (
        path.open(encoding="utf-8", newline="") as src,
        tmp.open("w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out, lineterminator="\r\n")
        for row in csv.reader(src):
            writer.writerow([v for i, v in enumerate(row) if i not in columns])
    tmp.replace(path)


def _cell(value: Any) -> str:
    """A database value as CSV text: NULL empty, dates ISO, decimals written out plainly."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def file_name(name: str) -> str:
    """The resource's name: the table name without its schema."""
    return name.rsplit(".", 1)[-1] or "data"
