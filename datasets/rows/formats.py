"""The export formats of public tables, one table of them (``FORMATS``), and their writers.

``stream`` encodes a header and rows as CSV (UTF-8, or UTF-8 with a BOM for Excel), JSON (one
array of objects keyed by field name), NDJSON (one object per line) or XLSX, chunk by chunk in
bounded memory whatever the number of rows: nothing holds the rows, and the workbook is written
as a streamed ZIP (no seeking back), its strings inline (no shared-string table to hold).

Values are plain: ``None`` is an empty cell (``null`` in JSON); ``int`` and ``float`` stay
numbers in JSON and XLSX; ``bool`` stays a boolean there; text stays text, never read as a
number; anything else is written as its text by the one cell rule (``cell_text``). The CSV
for Excel alone guards against formulas (``excel_text``); XLSX cells are text cells, never
formulas, and the other formats are data for programs, kept exact.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any
from urllib.parse import quote

from datasets.tables.cells import cell_text

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class ExportFormat:
    code: str  # stable, in URLs: ?format=<code>
    title: str  # what the page shows
    media_type: str
    extension: str


FORMATS: dict[str, ExportFormat] = {
    f.code: f
    for f in (
        ExportFormat("csv", "CSV（UTF-8）", "text/csv; charset=utf-8", "csv"),
        ExportFormat("csv-bom", "CSV（Excel 适用，带 BOM）", "text/csv; charset=utf-8", "csv"),
        ExportFormat("json", "JSON", "application/json", "json"),
        ExportFormat("ndjson", "NDJSON（每行一条记录）", "application/x-ndjson", "ndjson"),
        ExportFormat(
            "xlsx",
            "Excel 工作簿（XLSX）",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    )
}


def stream(code: str, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The table ``fields`` + ``rows`` encoded in the format ``code`` (a key of ``FORMATS``;
    ``KeyError`` otherwise), as chunks of bytes. Rows are read one at a time, as the chunks are
    taken; memory stays bounded whatever their number.

    XLSX holds at most ``XLSX_MAX_ROWS`` rows (1,048,576, the header's included) and about
    2 GB of sheet text: past either bound the workbook ends cleanly with the rows written so
    far, and a second sheet “说明” says the table was cut and that CSV holds it whole. There,
    a text longer than 32,767 characters (Excel's bound for a cell) is cut, integers of more
    than 15 digits are written as text (Excel keeps 15 significant digits), and columns past
    16,384 are left out."""
    writer = _WRITERS[FORMATS[code].code]
    return writer(list(fields), rows, code)


# ── CSV ─────────────────────────────────────────────────────────────────────────────────


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def excel_text(value: Any) -> str:
    """A cell as the CSV for Excel writes it: a text Excel would run as a formula (it starts
    with = + - @, a tab or a return, and is not a number) gets a leading apostrophe, so opening
    a download never runs what a file's author typed (OWASP's CSV injection advice)."""
    text = cell_text(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv(fields: list[str], rows: Iterable[Sequence[Any]], code: str) -> Iterator[bytes]:
    buffer = io.StringIO()
    cell = cell_text
    if code == "csv-bom":
        buffer.write("\ufeff")
        cell = excel_text
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(f) for f in fields])
    for row in rows:
        writer.writerow([cell(v) for v in row])
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# ── JSON and NDJSON ─────────────────────────────────────────────────────────────────────


def object_keys(fields: Sequence[str]) -> list[str]:
    """The keys of a row's object: the field names, an empty one as ``字段<n>``, a repeated one
    with ``_2``, ``_3`` … (no value is lost to a repeated key)."""
    keys: list[str] = []
    taken: set[str] = set()
    for position, field in enumerate(fields, start=1):
        base = field if field.strip() else f"字段{position}"
        key, n = base, 2
        while key in taken:
            key, n = f"{base}_{n}", n + 1
        taken.add(key)
        keys.append(key)
    return keys


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return cell_text(value)  # dates, non-finite numbers, anything else: as text


def _json_lines(fields: list[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    keys = object_keys(fields)
    width = len(keys)
    for row in rows:
        values = [_json_value(v) for v in row[:width]]
        values += [None] * (width - len(values))
        yield json.dumps(dict(zip(keys, values, strict=True)), ensure_ascii=False)


def _chunked(parts: Iterable[str]) -> Iterator[bytes]:
    pending: list[str] = []
    size = 0
    for part in parts:
        pending.append(part)
        size += len(part)
        if size >= CHUNK_BYTES // 2:
            yield "".join(pending).encode("utf-8")
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode("utf-8")


def _json(fields: list[str], rows: Iterable[Sequence[Any]], code: str) -> Iterator[bytes]:
    def parts() -> Iterator[str]:
        yield "["
        for n, line in enumerate(_json_lines(fields, rows)):
            yield ("\n" if n == 0 else ",\n") + line
        yield "\n]\n"

    return _chunked(parts())


def _ndjson(fields: list[str], rows: Iterable[Sequence[Any]], code: str) -> Iterator[bytes]:
    return _chunked(line + "\n" for line in _json_lines(fields, rows))


# ── XLSX ────────────────────────────────────────────────────────────────────────────────

XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMNS = 16_384
XLSX_MAX_CELL_CHARS = 32_767
XLSX_MAX_SHEET_BYTES = 2_000_000_000  # stays below ZIP's 2 GiB bound: no ZIP64 needed
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _package_parts(sheets: Sequence[str]) -> dict[str, str]:
    """Every part of the workbook but its sheets' cells."""
    names = "".join(
        f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(sheets, start=1)
    )
    links = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_SHEET_TYPE}"/>'
        for n in range(1, len(sheets) + 1)
    )
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return {
        "[Content_Types].xml": f'{_XML}<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
        '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>'
        f"{overrides}</Types>",
        "_rels/.rels": f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f"<sheets>{names}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
        f'{links}<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" '
        'Target="styles.xml"/></Relationships>',
        "xl/styles.xml": f'{_XML}<styleSheet xmlns="{_MAIN}">'
        '<fonts count="2"><font><sz val="11"/><name val="等线"/></font>'
        '<font><b/><sz val="11"/><name val="等线"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"'
        ' xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0"'
        ' applyFont="1"/></cellXfs><cellStyles count="1">'
        '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
    }


_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def _xml_text(text: str) -> str:
    """Text for a cell: cut to Excel's bound, escaped for XML; characters XML cannot hold as
    ``_xHHHH_`` (and a literal ``_xHHHH_`` kept literal), as Office does."""
    text = text[:XLSX_MAX_CELL_CHARS]
    text = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _column_letters(count: int) -> list[str]:
    letters = []
    for n in range(1, count + 1):
        name = ""
        while n:
            n, rest = divmod(n - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _cell(ref: str, value: Any, style: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int) and abs(value) < 10**15:
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if isinstance(value, float) and math.isfinite(value):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    text = _xml_text(cell_text(value))
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _row(number: int, letters: list[str], values: Sequence[Any], style: str = "") -> str:
    cells = "".join(
        _cell(f"{letter}{number}", value, style)
        for letter, value in zip(letters, values, strict=False)
    )
    return f'<row r="{number}">{cells}</row>'


class _Sink:
    """Where the ZIP is written: kept until taken, and never seekable (the ZIP is streamed)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


_SHEET_HEAD = (
    f'{_XML}<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews><sheetData>"
)
_SHEET_TAIL = "</sheetData></worksheet>"
CUT_NOTE = (
    "本工作簿只含数据表的前 {rows} 行：Excel 工作表的行数或大小已达上限。完整数据请下载 CSV 格式。"
)


def _sheet_rows(fields: list[str], rows: Iterable[Sequence[Any]], cut: list[int]) -> Iterator[str]:
    """The sheet's XML, row by row; ``cut`` gets the number of data rows written when the
    table did not fit."""
    letters = _column_letters(min(len(fields), XLSX_MAX_COLUMNS))
    yield _SHEET_HEAD + _row(1, letters, fields, ' s="1"')
    size, written = 0, 0
    source = iter(rows)
    for row in source:
        line = _row(written + 2, letters, row)
        size += len(line) * 3  # at most three bytes a character in UTF-8 (no astral bound)
        if written + 2 > XLSX_MAX_ROWS or size > XLSX_MAX_SHEET_BYTES:
            cut.append(written)
            break
        written += 1  # noqa: SIM113 — also counts the row that did not fit
        yield line
    yield _SHEET_TAIL


def _xlsx(fields: list[str], rows: Iterable[Sequence[Any]], code: str) -> Iterator[bytes]:
    sink = _Sink()
    cut: list[int] = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            pending: list[str] = []
            for line in chain(_sheet_rows(fields, rows, cut)):
                pending.append(line)
                if len(pending) >= 200:
                    part.write("".join(pending).encode("utf-8"))
                    pending.clear()
                    if len(sink.parts) > 0:
                        yield sink.take()
            part.write("".join(pending).encode("utf-8"))
        sheets = ["数据"]
        if cut:
            sheets.append("说明")
            note = CUT_NOTE.format(rows=f"{cut[0]:,}")
            archive.writestr(
                "xl/worksheets/sheet2.xml",
                f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'
                f"{_row(1, ['A'], [note])}</sheetData></worksheet>",
            )
        for name, text in _package_parts(sheets).items():
            archive.writestr(name, text)
    yield sink.take()


_WRITERS = {"csv": _csv, "csv-bom": _csv, "json": _json, "ndjson": _ndjson, "xlsx": _xlsx}


# ── File names ──────────────────────────────────────────────────────────────────────────

FILENAME_CHARS = 80
_UNSAFE = re.compile(r"[\\/:*?\"'<>|`]+")
_KNOWN_EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".json", ".ndjson")


def safe_filename(name: str, extension: str) -> str:
    """``name`` as a file name any system takes: no path separators, control or format
    characters, quotes or characters Windows refuses, at most ``FILENAME_CHARS`` characters
    before ``.extension`` (a table extension already at its end is dropped first)."""
    text = "".join(
        " " if unicodedata.category(ch)[0] in ("C", "Z") else ch
        for ch in unicodedata.normalize("NFC", name or "")
    )
    text = " ".join(_UNSAFE.sub(" ", text).split())
    lowered = text.lower()
    for known in _KNOWN_EXTENSIONS:
        if lowered.endswith(known):
            text = text[: -len(known)]
            break
    text = text[:FILENAME_CHARS].strip(" .-") or "数据"
    ext = re.sub(r"[^a-z0-9]", "", extension.lower())[:10] or "bin"
    return f"{text}.{ext}"


def export_filename(name: str, code: str) -> str:
    """The file name of a resource named ``name`` exported as ``code`` (see ``safe_filename``)."""
    return safe_filename(name, FORMATS[code].extension)


def attachment_header(filename: str, fallback: str | None = None) -> str:
    """Content-Disposition for a file name that may be Chinese (RFC 6266 with RFC 5987): the
    name itself in ``filename*``, and an ASCII one in ``filename`` for clients that read only
    that (``fallback`` — e.g. the name in pinyin — else the ASCII characters of the name)."""
    stem, dot, extension = filename.rpartition(".")
    ascii_of = (fallback or "").encode("ascii", "ignore").decode()
    ascii_of = re.sub(r"[^A-Za-z0-9._()+ -]", "", ascii_of).strip(" .")
    if not ascii_of:
        plain = re.sub(r"[^A-Za-z0-9._()+ -]", "", stem if dot else filename).strip(" .-")
        ascii_of = f"{plain or 'data'}{dot}{re.sub(r'[^A-Za-z0-9]', '', extension) if dot else ''}"
    return f"attachment; filename=\"{ascii_of}\"; filename*=UTF-8''{quote(filename, safe='')}"
