"""Preparing a harvested file for publication: a copy, encoding, transcoding, scanning,
validation, preview.

The source is read once, into our own copy (``staging``), hashed as it is copied. One read of
the copy (``pii.reading.scan_file``) scans everything it holds and, for a table, gives its
preview and row count; Frictionless then validates the table it found (the same sheet, header
row and delimiter). ``prepare_file`` takes only plain values and paths, so a harvester may run
it in worker processes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets.errors import ValidationError
from datasets.intake.records import FileRecord
from datasets.intake.staging import StagedCopy, new_staged_file, stage_copy
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
    path: Path  # what to store: our copy of the source in staging (UTF-8 for a text table)
    format: str
    source_encoding: str | None
    report: dict[str, Any]
    preview: dict[str, Any] = field(default_factory=dict)  # raw rows: never stored as is
    row_count: int | None = None
    field_count: int | None = None
    fields: tuple[dict[str, Any], ...] = ()
    pii: dict[str, Any] = field(default_factory=dict)  # ScanReport.to_dict() of the file


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
    """Copy the file into staging (hashing it as it is copied), decide its encoding (a UTF-8
    copy if needed), scan everything it holds, read the preview and row count of its table,
    validate it. Nothing reads the source after the copy.

    The validation report keeps cell values and the preview is raw: publishing redacts and
    masks them when the data is not plainly public. A file that cannot be read within the
    bounds is held (its report says why), never published half-read.
    """
    if record.path is None:
        raise ValidationError(f"文件尚未下载：{record.name}", {"files": [record.name]})
    fmt = normalise_format(record.format, record.name)
    staged = stage_copy(
        record.path,
        staging,
        fmt=fmt,
        text=fmt in TEXT_FORMATS,
        name=record.name,
        max_bytes=max_bytes,
    )
    paths = [staged.path]
    try:
        decided = _as_utf8(record, staged, fmt, staging, paths)
        if isinstance(decided, PreparedFile):
            return decided
        path, sha, encoding, codec = decided
        main = MainTable()
        pii = scan_file(path, fmt, codec=codec, limits=limits, max_rows=scan_row_limit, main=main)
        report, preview, row_count = _table(record, path, fmt, main, pii, row_limit, limits)
    except BaseException:
        for copy in paths:
            copy.unlink(missing_ok=True)
        raise
    fields = tuple(report.get("schema", {}).get("fields", []))
    return PreparedFile(
        record,
        sha,
        path,
        fmt,
        encoding,
        report,
        preview,
        row_count if row_count is not None else report.get("rows"),
        len(fields) or report.get("fields"),
        fields,
        pii.to_dict(),
    )


def _as_utf8(
    record: FileRecord, staged: StagedCopy, fmt: str, staging: Path, paths: list[Path]
) -> tuple[Path, str, str | None, str | None] | PreparedFile:
    """(path, its hash, the source's encoding, the codec to read it with) of the copy to
    publish: the staged copy, or for a text table not in UTF-8 a UTF-8 copy of it (which
    replaces it, and is hashed as it is written). A text table whose encoding cannot be
    decided is held as it is: its ``PreparedFile`` says why."""
    if fmt not in TEXT_FORMATS:
        return staged.path, staged.content_sha256(), None, None
    try:
        decided = decide_encoding(staged.path, record.declared_encoding, sample=staged.sample)
    except TableError as exc:
        report = error_report(exc.message, "encoding-error", "编码错误")
        return PreparedFile(
            record,
            staged.content_sha256(),
            staged.path,
            fmt,
            None,
            report,
            pii=held_report(exc.message),
        )
    if decided.codec in ("utf-8", "utf-8-sig"):
        return staged.path, staged.content_sha256(), decided.name, decided.codec
    target = new_staged_file(staging, f".{fmt}")
    paths.append(target)
    sha, _size = transcode_to_utf8(staged.path, target, decided.codec)
    staged.path.unlink()
    return target, sha, decided.name, "utf-8"


def _table(
    record: FileRecord,
    path: Path,
    fmt: str,
    main: MainTable,
    pii: ScanReport,
    row_limit: int,
    limits: Limits,
) -> tuple[dict[str, Any], dict[str, Any], int | None]:
    """(validation report, raw preview, row count) of a table format; empty for others."""
    if fmt not in TABLE_FORMATS:
        return {}, {}, None
    report = _validate(record, path, fmt, main, pii, row_limit, limits)
    if main.complete and report.get("status") != ERROR:
        return report, {"fields": main.header, "rows": main.preview[:PREVIEW_ROWS]}, main.rows
    return report, {}, None


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
