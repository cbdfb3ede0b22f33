"""CSV, TSV and TXT tables: decoded once with the decided encoding, read line by line within
the reader's bounds (line length, cell length, columns, rows)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import TextIO

from datasets.tables.limits import Limits, TableError

DELIMITERS = ",\t;|"
_SNIFF_LINES = 100  # what Frictionless samples too, so both read the same dialect
_SNIFF_CHARS = 1024 * 1024  # and no more text than this (Python's sniffer is slow on more)


def _lines(handle: TextIO, limits: Limits, name: str) -> Iterator[str]:
    limit = limits.max_line_bytes
    while line := handle.readline(limit + 1):
        if len(line) > limit:
            raise TableError(
                f"文件 {name} 有一行超过 {limit} 字节的上限（文件可能没有换行或已损坏）",
                "line-too-long",
            )
        yield line


def open_text(path: Path, codec: str) -> TextIO:
    """A text table opened once for both ``sniff_delimiter`` and ``read_rows``."""
    return path.open(encoding=codec, newline="")


def sniff_delimiter(handle: TextIO, *, name: str, codec: str, fmt: str, limits: Limits) -> str:
    """The delimiter of a text table: a tab for TSV; for CSV and TXT the one Python's sniffer
    finds among ``, \\t ; |`` in the first 100 lines, or in as many of them as fill a megabyte
    (a comma when it finds none)."""
    if fmt == "tsv":
        return "\t"
    lines: list[str] = []
    size = 0
    try:
        handle.seek(0)
        for line in islice(_lines(handle, limits, name), _SNIFF_LINES):
            if lines and size + len(line) > _SNIFF_CHARS:
                break
            lines.append(line)
            size += len(line)
    except UnicodeError:
        raise _undecodable(name, codec) from None
    try:
        return csv.Sniffer().sniff("".join(lines), DELIMITERS).delimiter
    except csv.Error:
        return ","


def read_rows(
    handle: TextIO, *, name: str, codec: str, delimiter: str, limits: Limits
) -> Iterator[list[str]]:
    """Every row of a text table (from its start), as text; raises ``TableError`` past a bound
    or on bytes the codec cannot decode."""
    csv.field_size_limit(limits.max_cell_chars)
    try:
        handle.seek(0)
        reader = csv.reader(_lines(handle, limits, name), delimiter=delimiter)
        for count, row in enumerate(reader, start=1):
            if len(row) > limits.max_columns:
                raise limits.too_many_columns(len(row), f"文件 {name} ")
            if count > limits.max_rows:
                raise limits.too_many_rows(f"文件 {name} ")
            yield row
    except csv.Error as error:
        if "field limit" in str(error):
            raise limits.cell_too_long(f"文件 {name} ") from None
        raise TableError(f"文件 {name} 无法按 CSV 读取：{error}", "csv-error") from None
    except UnicodeError:
        raise _undecodable(name, codec) from None


def _undecodable(name: str, codec: str) -> TableError:
    label = codec.upper().removesuffix("-SIG")
    return TableError(f"文件 {name} 含有无法按 {label} 解码的字节", "encoding-error")
