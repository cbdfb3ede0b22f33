"""The reader's bounds and the one error it raises: a file that cannot be read safely and fully
is *held* with a reason, never half-read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datasets.errors import ValidationError


class TableError(ValidationError):
    """A file could not be read within the reader's bounds, or its text could not be decoded
    with confidence. ``code`` is a stable slug; the message is one Chinese line for people."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, {"file": [code]})
        self.code = code


@dataclass(frozen=True)
class Limits:
    """What one file may hold before the reader stops with a ``TableError`` (settings
    ``KAIFANG_TABLE_MAX_*``). Memory stays bounded by these whatever the input."""

    max_columns: int = 1000
    max_cell_chars: int = 32767
    max_line_bytes: int = 4 * 1024 * 1024
    max_rows: int = 2_000_000
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    max_memory_bytes: int = 64 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(
            max_columns=settings.table_max_columns,
            max_cell_chars=settings.table_max_cell_chars,
            max_line_bytes=settings.table_max_line_bytes,
            max_rows=settings.table_max_rows,
            max_unpacked_bytes=settings.table_max_unpacked_bytes,
            max_memory_bytes=settings.table_max_memory_bytes,
        )

    def too_many_columns(self, count: int, where: str) -> TableError:
        return TableError(
            f"{where}列数过多（{count} 列，上限 {self.max_columns}）", "too-many-columns"
        )

    def cell_too_long(self, where: str) -> TableError:
        return TableError(
            f"{where}有单元格超过 {self.max_cell_chars} 个字符的上限", "cell-too-long"
        )

    def too_many_rows(self, where: str) -> TableError:
        return TableError(f"{where}行数超过 {self.max_rows} 行的上限", "too-many-rows")


DEFAULT_LIMITS = Limits()
