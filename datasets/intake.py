"""Preparing a harvested file for publication: encoding, transcoding, validation, preview.

``prepare_file`` takes only plain values and paths, so a harvester may run it in worker processes.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .encoding import detect_encoding, transcode_to_utf8
from .errors import ValidationError
from .pii.scanner import ScanReport, scan_table
from .records import FileRecord
from .storage import file_sha256
from .validation import ERROR, TABLE_FORMATS, error_report, validate_table

log = logging.getLogger(__name__)

PREVIEW_ROWS = 20
_TEXT_FORMATS = ("csv", "tsv")
SCANNED_FORMATS = ("csv", "xlsx")
UNSCANNED: dict[str, Any] = {"columns": [], "rows_scanned": 0, "findings": [], "failed": True}


@dataclass(frozen=True)
class PreparedFile:
    """A file ready to be stored: the bytes to publish and what we learnt about them."""

    record: FileRecord
    source_sha256: str
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


def prepare_file(
    record: FileRecord,
    *,
    staging: Path,
    row_limit: int = 0,
    max_bytes: int = 0,
    scan_row_limit: int = 0,
) -> PreparedFile:
    """Detect the encoding, make a UTF-8 copy if needed, scan for personal information,
    validate and read a preview.

    The validation report keeps cell values and the preview is raw: publishing redacts and
    masks them when the data is not plainly public.
    """
    sha, size = file_sha256(record.path)
    fmt = normalise_format(record.format, record.name)
    if max_bytes and size > max_bytes:
        raise ValidationError(
            f"文件 {record.name} 超过大小上限（{size} > {max_bytes} 字节）",
            {"size": [str(size)]},
        )
    path, temporary, encoding = record.path, False, None
    if fmt in _TEXT_FORMATS:
        try:
            encoding = detect_encoding(record.path)
        except ValidationError as exc:
            report = error_report(exc.message, "encoding-error", "编码错误")
            return PreparedFile(record, sha, path, False, fmt, None, report, pii=UNSCANNED)
        if encoding not in ("utf-8", "utf-8-sig"):
            staging.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=staging, suffix=f".{fmt}")
            os.close(fd)
            path, temporary = Path(name), True
            transcode_to_utf8(record.path, path, encoding)
    if fmt not in TABLE_FORMATS:
        return PreparedFile(record, sha, path, temporary, fmt, encoding, {})
    report = validate_table(
        path,
        fmt=fmt,
        encoding="utf-8-sig" if encoding == "utf-8-sig" else "utf-8",
        schema=record.schema or None,
        row_limit=row_limit,
    )
    fields = tuple(report.get("schema", {}).get("fields", []))
    readable = report["status"] != ERROR
    preview = read_preview(path, fmt) if readable else {}
    row_count = count_rows(path, fmt) if readable else None
    pii: dict[str, Any] = {}
    if fmt in SCANNED_FORMATS:  # a table that cannot be read cannot be checked: held back
        pii = _scan(path, fmt, scan_row_limit) if readable else UNSCANNED
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
        pii,
    )


def _scan(path: Path, fmt: str, max_rows: int) -> dict[str, Any]:
    try:
        return scan_table(path, fmt, max_rows=max_rows).to_dict()
    except Exception:  # noqa: BLE001 — a table the scanner cannot read is held back
        log.warning("personal-information scan failed on %s", path.name, exc_info=True)
        return UNSCANNED


def read_preview(path: Path, fmt: str, limit: int = PREVIEW_ROWS) -> dict[str, Any]:
    """The header and first rows of a table, as strings."""
    try:
        rows = list(_iter_rows(path, fmt, limit + 1))
    except Exception:  # noqa: BLE001 — a preview is a courtesy; the report tells what is wrong
        log.warning("no preview for %s", path.name)
        return {}
    if not rows:
        return {}
    header, body = rows[0], rows[1 : limit + 1]
    return {"fields": header, "rows": body}


def count_rows(path: Path, fmt: str) -> int | None:
    """Data rows of a table (header excluded, blank rows skipped)."""
    try:
        total = sum(1 for row in _iter_rows(path, fmt, None) if any(c.strip() for c in row))
    except Exception:  # noqa: BLE001
        return None
    return max(total - 1, 0)


def _iter_rows(path: Path, fmt: str, limit: int | None):  # type: ignore[no-untyped-def]
    if fmt in _TEXT_FORMATS:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t" if fmt == "tsv" else ",")
            for n, row in enumerate(reader):
                if limit is not None and n >= limit:
                    return
                yield row
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for n, row in enumerate(sheet.iter_rows(values_only=True)):
                if limit is not None and n >= limit:
                    return
                yield ["" if v is None else str(v) for v in row]
        finally:
            workbook.close()
