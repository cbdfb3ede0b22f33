"""Preparing a harvested file for publication: encoding, transcoding, scanning, validation,
preview.

One read of the file (``pii.reading.scan_file``) scans everything it holds and, for a table,
gives its preview and row count; Frictionless then validates the table it found (the same sheet,
header row and delimiter). ``prepare_file`` takes only plain values and paths, so a harvester
may run it in worker processes.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets.errors import ValidationError
from datasets.intake.records import FileRecord
from datasets.intake.storage import file_sha256
from datasets.intake.validation import ERROR, TABLE_FORMATS, error_report, validate_table
from datasets.openness.pii.reading import MainTable, scan_file
from datasets.openness.pii.scanner import ScanReport
from datasets.tables import (
    DEFAULT_LIMITS,
    TEXT_FORMATS,
    Limits,
    TableError,
    decide_encoding,
    read_preview,
    transcode_to_utf8,
)

log = logging.getLogger(__name__)

PREVIEW_ROWS = 20
MASKABLE_FORMATS = ("csv", "xlsx")


def stored_preview(path: Path, fmt: str) -> dict[str, Any]:
    """The preview of a stored file (text tables are stored as UTF-8)."""
    return read_preview(path, fmt, codec="utf-8-sig" if fmt in TEXT_FORMATS else None)


@dataclass(frozen=True)
class PreparedFile:
    """A file ready to be stored: the bytes to publish and what we learnt about them."""

    record: FileRecord
    sha256: str  # of ``path``, the bytes that will be stored
    path: Path  # what to store: the source itself, or a UTF-8 copy in staging
    temporary: bool  # True when ``path`` is our own copy, to delete after storing
    format: str
    source_encoding: str | None
    report: dict[str, Any]
    preview: dict[str, Any] = field(default_factory=dict)  # raw rows: never stored as is
    row_count: int | None = None
    field_count: int | None = None
    fields: tuple[dict[str, Any], ...] = ()
    pii: dict[str, Any] = field(default_factory=dict)  # ScanReport.to_dict() of the file

    @property
    def personal_columns(self) -> tuple[str, ...]:
        return scan_report(self.pii).personal_columns


def normalise_format(fmt: str | None, filename: str) -> str:
    value = (fmt or "").strip().lower().lstrip(".")
    if not value or "/" in value:
        value = Path(filename).suffix.lower().lstrip(".")
    aliases = {"excel": "xlsx", "text/csv": "csv", "geo+json": "geojson", "txt": "csv"}
    return aliases.get(value, value) or "bin"


def scan_report(data: dict[str, Any]) -> ScanReport:
    return ScanReport.from_dict(data) if data else ScanReport((), 0, ())


def held_report(reason: str) -> dict[str, Any]:
    """The scan report of a file that could not be scanned at all."""
    return ScanReport((), 0, (), held=(reason,)).to_dict()


def prepare_file(
    record: FileRecord,
    *,
    staging: Path,
    row_limit: int = 0,
    max_bytes: int = 0,
    scan_row_limit: int = 0,
    limits: Limits = DEFAULT_LIMITS,
) -> PreparedFile:
    """Decide the encoding (a UTF-8 copy if needed), scan everything the file holds, read the
    preview and row count of its table, validate it.

    The validation report keeps cell values and the preview is raw: publishing redacts and
    masks them when the data is not plainly public. A file that cannot be read within the
    bounds is held (its report says why), never published half-read.
    """
    sha, size = file_sha256(record.path)
    fmt = normalise_format(record.format, record.name)
    if max_bytes and size > max_bytes:
        raise ValidationError(
            f"文件 {record.name} 超过大小上限（{size} > {max_bytes} 字节）",
            {"size": [str(size)]},
        )
    path, temporary, encoding, codec = record.path, False, None, None
    if fmt in TEXT_FORMATS:
        try:
            decided = decide_encoding(record.path, record.declared_encoding)
        except TableError as exc:
            report = error_report(exc.message, "encoding-error", "编码错误")
            return PreparedFile(
                record, sha, path, False, fmt, None, report, pii=held_report(exc.message)
            )
        encoding, codec = decided.name, decided.codec
        if decided.codec not in ("utf-8", "utf-8-sig"):
            staging.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=staging, suffix=f".{fmt}")
            os.close(fd)
            path, temporary, codec = Path(name), True, "utf-8"
            transcode_to_utf8(record.path, path, decided.codec)
            sha = file_sha256(path)[0]
    main = MainTable()
    pii = scan_file(path, fmt, codec=codec, limits=limits, max_rows=scan_row_limit, main=main)
    report: dict[str, Any] = {}
    preview: dict[str, Any] = {}
    row_count = None
    if fmt in TABLE_FORMATS:
        report = _validate(record, path, fmt, main, pii, row_limit, limits)
        if main.complete and report.get("status") != ERROR:
            preview = {"fields": main.header, "rows": main.preview[:PREVIEW_ROWS]}
            row_count = main.rows
    fields = tuple(report.get("schema", {}).get("fields", []))
    return PreparedFile(
        record,
        sha,
        path,
        temporary,
        fmt,
        encoding,
        report,
        preview,
        row_count if row_count is not None else report.get("rows"),
        len(fields) or report.get("fields"),
        fields,
        pii.to_dict(),
    )


def _validate(
    record: FileRecord,
    path: Path,
    fmt: str,
    main: MainTable,
    pii: ScanReport,
    row_limit: int,
    limits: Limits,
) -> dict[str, Any]:
    """Frictionless's report on the table the reading found; an ``error`` report when the
    reading stopped (Frictionless would read past the bound the reader refused). A JSON or ODS
    file the scanner held never reaches Frictionless either: its parsers have no bounds."""
    if fmt in ("csv", "tsv", "xlsx", "xls"):
        if not main.complete:
            reason = "；".join(pii.held) or "文件中没有数据表"
            return error_report(reason, "source-error", "无法读取")
    elif pii.held:
        return error_report("；".join(pii.held), "source-error", "无法读取")
    elif path.stat().st_size > limits.max_memory_bytes:
        return error_report("文件过大，未作数据校验", "source-error", "无法校验")
    return validate_table(
        path,
        fmt=fmt,
        encoding="utf-8-sig" if fmt in TEXT_FORMATS else None,
        schema=record.schema or None,
        row_limit=row_limit,
        header_row=main.header_row if main.found else 0,
        sheet=main.sheet or None,
        delimiter=main.delimiter,
    )
