"""Byte-reproducible writers: CSV, XLSX, datapackage.json and the export 目录."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from model import Table

FIXED_TIME = datetime(2026, 10, 31, 9, 0, 0)  # workbook created/modified and zip entry times
_ZIP_TIME = FIXED_TIME.timetuple()[:6]


class _FixedTimeZip(zipfile.ZipFile):
    """ZipFile whose entries all carry the same timestamp and permissions."""

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):  # noqa: D102
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # noqa: D102
        data = Path(filename).read_bytes()
        self.writestr(self._info(arcname or Path(filename).name), data)


def cell_text(value: object) -> str:
    """Text of a value as written to CSV."""
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def write_csv(
    path: Path,
    header: list[str] | None,
    rows: list[list],
    encoding: str = "utf-8",
    newline: str = "\n",
) -> None:
    """Write rows (possibly ragged) as CSV in the given encoding."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    if header is not None:
        writer.writerow(header)
    for row in rows:
        writer.writerow([cell_text(v) for v in row])
    path.write_bytes(buffer.getvalue().encode(encoding))


def _xlsx_value(value: object, kind: str) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
        if kind == "date":
            return date.fromisoformat(value)
    return value


def save_workbook(wb: Workbook, path: Path, creator: str) -> None:
    """Save with fixed document properties and zip timestamps (reproducible bytes)."""
    wb.properties.creator = creator
    wb.properties.lastModifiedBy = creator
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    archive = _FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()  # bypasses save_workbook(), which stamps "now"


def write_xlsx(path: Path, table: Table, sheet: str, creator: str, typed: bool = True) -> None:
    """Write a table to a one-sheet workbook; ``typed`` stores numbers and dates natively."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append(table.header)
    kinds = [f.type for f in table.fields]
    for row in table.rows:
        if typed:
            ws.append([_xlsx_value(v, k) for v, k in zip(row, kinds, strict=True)])
        else:
            ws.append([cell_text(v) for v in row])
    for i, f in enumerate(table.fields):
        letter = ws.cell(row=1, column=i + 1).column_letter
        ws.column_dimensions[letter].width = max(10, min(40, 2 * len(f.name) + 4))
        if f.type == "date" and typed:
            for cell in ws[letter][1:]:
                cell.number_format = "yyyy-mm-dd"
    save_workbook(wb, path, creator)


def write_sheet_rows(
    path: Path, header: list[str], rows: list[list[str]], sheet: str, creator: str
) -> None:
    """Write plain text rows (the export 目录) to a workbook."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    for i, name in enumerate(header):
        letter = ws.cell(row=1, column=i + 1).column_letter
        wide = name in ("摘要", "开放条件", "不予开放依据")
        ws.column_dimensions[letter].width = 40 if wide else 16
    save_workbook(wb, path, creator)


def write_json(path: Path, data: object) -> None:
    """Pretty UTF-8 JSON with a trailing newline."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


_DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
    'package.core-properties+xml"/></Types>'
)
_DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'
)


def write_docx(path: Path, title: str, paragraphs: tuple[str, ...], creator: str) -> None:
    """A minimal Word document (title and paragraphs) with fixed properties and zip times."""
    from xml.sax.saxutils import escape

    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
        for text in (title, *paragraphs)
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    stamp = FIXED_TIME.isoformat() + "Z"
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>{escape(creator)}</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        "</cp:coreProperties>"
    )
    with _FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _DOCX_TYPES)
        archive.writestr("_rels/.rels", _DOCX_RELS)
        archive.writestr("word/document.xml", document)
        archive.writestr("docProps/core.xml", core)
