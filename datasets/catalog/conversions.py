"""A resource's table in every export format (``datasets.rows.formats.FORMATS``), computed from
the stored file the caller may download, read through the one table reader.

Who gets what is decided by ``resource_download`` before anything is read, so the rules are
those of the file itself: the public file (the original of open data, the masked copy of
de-identified data) for everyone; a conditional dataset's original, or only its granted
columns, for a grant holder — never cached (``cached`` is False) and logged like the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.catalog.services import DownloadFile, resource_download
from datasets.errors import NotFound, ValidationError
from datasets.rows.formats import FORMATS, ExportFormat, safe_filename, stream
from datasets.runtime import Runtime
from datasets.tables import TABLE_FORMATS, TEXT_FORMATS, TableFile, is_blank, open_table

NOT_A_TABLE = "该资源不是数据表，只提供原格式下载"


@dataclass(frozen=True)
class Conversion:
    """A resource's table in one format. ``etag`` (the stored file's SHA-256 and the format
    code) is set only for files the public may have; ``body()`` reads the table when called —
    after the caller answered a matching If-None-Match with 304."""

    format: ExportFormat
    filename: str
    fallback: str
    etag: str | None
    body: Callable[[], Iterator[bytes]]

    @property
    def cached(self) -> bool:
        return self.etag is not None


def resource_conversion(
    rt: Runtime, *, dataset: str, resource_id: str, code: str, actor: Actor = ANONYMOUS
) -> Conversion:
    """The resource's table as ``code`` for a caller who may download its file. An unknown
    code or a file that is not a table is refused (``ValidationError``) before any row is
    read; 404 and 403 are those of the file."""
    fmt = FORMATS.get(code)
    if fmt is None:
        known = "、".join(FORMATS)
        raise ValidationError(f"不支持的下载格式“{code[:20]}”，可选：{known}", {"format": [known]})
    found = resource_download(rt, dataset=dataset, resource_id=resource_id, actor=actor)
    if isinstance(found, DownloadFile):
        if found.format not in TABLE_FORMATS:
            raise ValidationError(NOT_A_TABLE, {"format": ["not-a-table"]})
        path = found.path
        return Conversion(
            fmt,
            _renamed(found.filename, fmt),
            _renamed(found.fallback, fmt),
            f"{found.sha256}-{fmt.code}",
            lambda: _converted(path, fmt.code),
        )
    columns = found.columns
    if columns is not None:  # the granted columns only: they were read from a table
        return Conversion(
            fmt,
            _renamed(found.filename, fmt),
            _renamed(found.fallback, fmt),
            None,
            lambda: stream(fmt.code, columns.fields, columns.records),
        )
    original = found.path
    if original is None or original.suffix.lower().lstrip(".") not in TABLE_FORMATS:
        raise ValidationError(NOT_A_TABLE, {"format": ["not-a-table"]})
    return Conversion(
        fmt,
        _renamed(found.filename, fmt),
        _renamed(found.fallback, fmt),
        None,
        lambda: _converted(original, fmt.code),
    )


def _renamed(filename: str, fmt: ExportFormat) -> str:
    """The served name with the format's extension in place of the file's."""
    stem = filename.rpartition(".")[0] or filename
    return safe_filename(stem, fmt.extension)


def _converted(path: Path, code: str) -> Iterator[bytes]:
    """The main table of a stored file as ``code``: its header is read now (a file that cannot
    be read is refused with the reader's reason before any byte is sent), its rows as they are
    sent, blank rows left out, each as wide as the header; the file is closed when they end."""
    fmt = path.suffix.lower().lstrip(".")
    try:
        table = open_table(path, fmt, codec="utf-8-sig" if fmt in TEXT_FORMATS else None)
    except OSError as exc:
        raise NotFound("文件暂不可用") from exc
    try:
        sheet = table.main_sheet()
    except BaseException:
        table.close()
        raise
    if sheet is None:
        table.close()
        raise ValidationError("该文件中没有可读取的数据表", {"format": ["no-table"]})
    width = len(sheet.header)
    rows = (_fitted(row, width) for row in sheet.rows if not is_blank(row))
    return _closing(table, stream(code, sheet.header, rows))


def _fitted(row: list[Any], width: int) -> list[Any]:
    """A row as wide as the header: short ones padded with empty cells, cells past the last
    field (outside the table, under no name) left out."""
    if len(row) == width:
        return row
    return row[:width] + [None] * (width - len(row))


def _closing(table: TableFile, chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        table.close()
