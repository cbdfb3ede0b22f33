"""Everything a file that will be public holds, read for the scanner: all of it, or the file is
held with the reason.

| format                                   | what is scanned                                    |
|------------------------------------------|----------------------------------------------------|
| CSV, TSV, TXT                            | every row, above the header too (``tables``)       |
| XLSX, XLS                                | every sheet, hidden ones too; comments; text boxes |
| JSON, GeoJSON                            | every string and number, every property name       |
| XML, KML, GML, RDF                       | every text node and attribute                      |
| PDF                                      | the text of every page                             |
| ZIP, KMZ, DOCX, PPTX, ODT, ODS, ODP      | every member, by its own format                    |
| other text (HTML, Markdown, Turtle …)    | every line                                         |
| images, DOC/PPT, RAR/7Z, other binaries, | nothing: held for a person's confirmation          |
| encrypted files, PDF pages without text  |                                                    |

A bound of ``tables.Limits`` that a file exceeds holds it too. The file's table (a CSV, a
workbook's first visible sheet) can be watched as it is read (``MainTable``) so that one pass
gives the scan, the preview and the row count.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from datasets.openness.pii.scanner import COMMENTS, TITLE_ROWS, Scanner, ScanReport
from datasets.tables import (
    DEFAULT_LIMITS,
    TABLE_FORMATS,
    Limits,
    Sheet,
    TableError,
    decide_encoding,
    is_blank,
    open_table,
    preview_row,
)

JSON_FORMATS = ("json", "geojson", "topojson")
XML_FORMATS = ("xml", "kml", "gml", "rdf", "xsd", "wfs", "wms", "svg")
PACKAGE_FORMATS = ("zip", "kmz", "docx", "pptx", "odt", "ods", "odp", "xlsm")
BINARY_KINDS = {
    "png": "PNG 图像",
    "jpg": "JPEG 图像",
    "jpeg": "JPEG 图像",
    "gif": "GIF 图像",
    "bmp": "BMP 图像",
    "tif": "TIFF 图像",
    "tiff": "TIFF 图像",
    "webp": "WebP 图像",
    "doc": "旧版 Word 文档（DOC）",
    "ppt": "旧版演示文稿（PPT）",
    "rar": "RAR 压缩包",
    "7z": "7z 压缩包",
    "gz": "gzip 压缩文件",
    "tar": "tar 归档",
    "shp": "Shapefile 几何文件",
    "dbf": "dBase 表（DBF）",
    "mdb": "Access 数据库",
    "accdb": "Access 数据库",
    "wps": "WPS 文档",
    "et": "WPS 表格",
}
_MAX_DEPTH = 2  # an archive inside an archive is read; one more level is held
_MAX_MEMBERS = 10_000
_MAX_JSON_DEPTH = 256  # arrays and objects nested in each other
_PREVIEW_ROWS = 20


@dataclass
class MainTable:
    """What the reading learnt of the file's table: its sheet name, header and its row, the
    first rows (raw, long cells cut: ``preview_cell``) and the number of non-blank data rows."""

    sheet: str = ""
    header: list[str] = field(default_factory=list)
    header_row: int = 0
    preview: list[list[str]] = field(default_factory=list)
    rows: int = 0
    delimiter: str | None = None
    found: bool = False
    complete: bool = False  # every row of it was read

    def watch(self, sheet: Sheet) -> Iterator[list[Any]]:
        self.found = True
        self.sheet, self.header, self.header_row = sheet.name, sheet.header, sheet.header_row
        for row in sheet.rows:
            if not is_blank(row):
                self.rows += 1
                if len(self.preview) < _PREVIEW_ROWS:
                    self.preview.append(preview_row(row))
            yield row


def scan_file(
    path: Path,
    fmt: str,
    *,
    codec: str | None = None,
    limits: Limits,
    max_rows: int = 0,
    main: MainTable | None = None,
) -> ScanReport:
    """Scan everything ``path`` holds (see the module's table). ``codec`` is the decided
    encoding of a text table. Never raises for the file's content: what cannot be read is
    recorded in the report's ``held``."""
    scanner = Scanner(max_rows=max_rows, max_columns=limits.max_columns)
    _scan_any(scanner, Path(path), fmt.lower().lstrip("."), codec, limits, main, "", 0)
    return scanner.report()


def scan_table(
    path: Path, fmt: str, *, max_rows: int = 0, limits: Limits = DEFAULT_LIMITS
) -> ScanReport:
    """Scan one file, deciding a text table's encoding itself (for tools and tests)."""
    return scan_file(path, fmt, limits=limits, max_rows=max_rows)


def _scan_any(
    scanner: Scanner,
    path: Path,
    fmt: str,
    codec: str | None,
    limits: Limits,
    main: MainTable | None,
    prefix: str,
    depth: int,
) -> None:
    try:
        if fmt in TABLE_FORMATS:
            _scan_table(scanner, path, fmt, codec, limits, main, prefix)
        elif fmt in JSON_FORMATS:
            _scan_json(scanner, path, limits, prefix)
        elif fmt in XML_FORMATS or fmt in ("html", "htm"):
            _scan_xml(scanner, path, limits, prefix, html=fmt in ("html", "htm"))
        elif fmt == "pdf":
            _scan_pdf(scanner, path, limits, prefix)
        elif fmt in PACKAGE_FORMATS or _is_zip(path):
            _scan_package(scanner, path, fmt, limits, prefix, depth)
        elif fmt in BINARY_KINDS:
            scanner.hold(f"{prefix}{BINARY_KINDS[fmt]}无法扫描")
        else:
            _scan_text(scanner, path, fmt, limits, prefix)
    except TableError as error:
        scanner.hold(prefix + error.message)


def _is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def _scan_table(
    scanner: Scanner,
    path: Path,
    fmt: str,
    codec: str | None,
    limits: Limits,
    main: MainTable | None,
    prefix: str,
) -> None:
    with open_table(path, fmt, codec=codec, limits=limits) as table:
        if main is not None:
            main.delimiter = table.delimiter
        for sheet in table.sheets():
            qualified = f"{prefix}{sheet.name}!" if sheet.name and not sheet.main else prefix
            scanner.text(qualified + TITLE_ROWS, (c for row in sheet.above for c in row))
            rows = (
                main.watch(sheet) if main is not None and sheet.main and not prefix else sheet.rows
            )
            scanner.table(sheet.header, rows, prefix=qualified, main=sheet.main and not prefix)
            if main is not None and sheet.main and not prefix:
                for _ in rows:  # rows past the scanner's row limit still count
                    pass
                main.complete = True
        for sheet_name, text in table.comments():
            scanner.text(f"{prefix}{sheet_name}!{COMMENTS}", [text])
        scanner.text(f"{prefix}（其他文字）", table.other_text())
        for part in table.unscannable():
            scanner.hold(f"{prefix}工作簿内嵌的 {part} 无法扫描")


def _scan_text(scanner: Scanner, path: Path, fmt: str, limits: Limits, prefix: str) -> None:
    """A file of another format, read as lines of text if it is text at all."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        scanner.hold(f"{prefix}{(fmt or '未知').upper()} 格式的二进制文件无法扫描")
        return
    encoding = decide_encoding(path)
    with path.open(encoding=encoding.codec, newline="") as handle:
        scanner.text(prefix + "（正文）", _bounded_lines(handle, limits, path.name))


def _bounded_lines(handle: IO[str], limits: Limits, name: str) -> Iterator[str]:
    while line := handle.readline(limits.max_line_bytes + 1):
        if len(line) > limits.max_line_bytes:
            raise TableError(f"文件 {name} 有一行超过读取上限", "line-too-long")
        yield line


def _scan_xml(scanner: Scanner, path: Path, limits: Limits, prefix: str, *, html: bool) -> None:
    from datasets.tables.workbook import part_items

    if html:  # HTML is seldom well-formed XML: its lines are read as text
        _scan_text(scanner, path, "html", limits, prefix)
        return
    with path.open("rb") as stream:
        _feed_items(scanner, part_items(stream, limits, f"文件 {path.name} "), prefix)


def _feed_items(scanner: Scanner, items: Iterator[tuple[str, str]], prefix: str) -> None:
    """(column, value) pairs into their columns, a batch per column at a time."""
    batches: dict[str, list[str]] = {}
    for column, value in items:
        batch = batches.setdefault(column, [])
        batch.append(value)
        if len(batch) >= 2048:
            scanner.text(prefix + column, batch, outside=False)
            batch.clear()
    for column, batch in batches.items():
        if batch:
            scanner.text(prefix + column, batch, outside=False)


def _scan_json(scanner: Scanner, path: Path, limits: Limits, prefix: str) -> None:
    _feed_items(scanner, json_items(path, limits), prefix)


def json_items(path: Path, limits: Limits) -> Iterator[tuple[str, str]]:
    """(key, value) of every scalar of a JSON document, and ("（键名）", key) of every property
    name, streaming. A value is filed under the nearest property name above it."""
    import ijson

    _check_json_tokens(path, limits)
    # per open array or object, the property name its values are filed under
    nearest: list[str] = []
    try:
        with path.open("rb") as handle:
            for event, value in ijson.basic_parse(handle, use_float=True):
                if event == "map_key":
                    key = str(value)
                    yield "（键名）", key
                    nearest[-1] = key or (nearest[-2] if len(nearest) > 1 else "（值）")
                elif event in ("string", "number", "boolean"):
                    yield (nearest[-1] if nearest else "（值）"), _json_text(value)
                elif event in ("start_map", "start_array"):
                    if len(nearest) >= _MAX_JSON_DEPTH:
                        raise TableError(
                            f"文件 {path.name} 的嵌套超过 {_MAX_JSON_DEPTH} 层，超出读取上限",
                            "json-too-deep",
                        )
                    nearest.append(nearest[-1] if nearest else "（值）")
                elif event in ("end_map", "end_array"):
                    nearest.pop()
    except ijson.JSONError as error:
        raise TableError(
            f"文件 {path.name} 不是有效的 JSON：{str(error)[:200]}", "json-error"
        ) from None


def _json_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


_QUOTE = re.compile(rb'(?<!\\)(?:\\\\)*"')  # a quote no backslash escapes
_BETWEEN_TOKENS = b" \t\r\n,:[]{}"


def _check_json_tokens(path: Path, limits: Limits) -> None:
    """Refuse a JSON file holding a string, a number or a word longer than a cell may be (a
    200 MB string, even one of escaped quotes ``\\"``), before ijson's parser buffers it whole.

    Strings lie between quotes no backslash escapes; outside them, tokens between
    ``, : [ ] { }`` and blanks (a long array of coordinates is many short tokens). The string
    or token a chunk ends in is carried into the next one."""
    bound = limits.max_cell_chars * 6 + 65536  # a cell's text written with escapes
    long_token = re.compile(b"[^%s]{%d}" % (re.escape(_BETWEEN_TOKENS), bound + 1))
    inside = False  # at the start of ``carry``
    carry = b""
    with path.open("rb") as handle:
        while chunk := handle.read(256 * 1024):
            data = carry + chunk
            parts = _QUOTE.split(data) if b"\\" in data else data.split(b'"')
            strings, others = (parts[0::2], parts[1::2]) if inside else (parts[1::2], parts[0::2])
            words = b" ".join(others)
            if max(map(len, strings), default=0) > bound or long_token.search(words):
                raise limits.cell_too_long(f"文件 {path.name} ")
            inside = inside != (len(parts) % 2 == 0)  # each quote between parts flips it
            if inside:
                carry = parts[-1]
            else:
                carry = words[max(words.rfind(c) for c in _BETWEEN_TOKENS) + 1 :]


def _scan_pdf(scanner: Scanner, path: Path, limits: Limits, prefix: str) -> None:
    size = path.stat().st_size
    if size > limits.max_memory_bytes:
        scanner.hold(f"{prefix}PDF 文件 {path.name} 过大（{size} 字节），无法扫描")
        return
    try:
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        if reader.is_encrypted:
            scanner.hold(f"{prefix}PDF 文件 {path.name} 已加密，无法扫描")
            return
        pages = len(reader.pages)
        if pages > 5000:
            scanner.hold(f"{prefix}PDF 文件 {path.name} 页数过多（{pages} 页），无法扫描")
            return
        blank = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if not text.strip():
                blank.append(number)
                continue
            scanner.text(prefix + "（PDF 正文）", text.splitlines())
    except Exception as error:  # noqa: BLE001 — a broken PDF is held, whatever pypdf raises
        scanner.hold(f"{prefix}PDF 文件 {path.name} 无法读取（{type(error).__name__}）")
        return
    if blank:
        shown = "、".join(map(str, blank[:10])) + ("……" if len(blank) > 10 else "")
        scanner.hold(f"{prefix}PDF 第 {shown} 页没有可提取的文字（可能是扫描图像），无法扫描")


def _scan_package(
    scanner: Scanner, path: Path, fmt: str, limits: Limits, prefix: str, depth: int
) -> None:
    """An archive or an office package: every member by its own format."""
    if depth >= _MAX_DEPTH:
        scanner.hold(f"{prefix}多层嵌套的压缩包无法扫描")
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise TableError(f"文件 {path.name} 不是有效的压缩包（{error}）", "zip-error") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > _MAX_MEMBERS:
            raise TableError(f"压缩包 {path.name} 含有过多文件（{len(infos)} 个）", "zip-too-many")
        total = sum(i.file_size for i in infos)
        if total > limits.max_unpacked_bytes:
            raise TableError(
                f"压缩包 {path.name} 解压后达 {total} 字节，超过上限（可能是压缩炸弹）",
                "zip-too-large",
            )
        office = fmt in ("docx", "pptx", "odt", "ods", "odp", "xlsm")
        for info in infos:
            _scan_member(scanner, archive, info, limits, prefix, depth, office=office)


def _scan_member(
    scanner: Scanner,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limits: Limits,
    prefix: str,
    depth: int,
    *,
    office: bool,
) -> None:
    name = info.filename
    where = f"{prefix}{name}!"
    if info.flag_bits & 0x1:
        scanner.hold(f"{where}已加密，无法扫描")
        return
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    if office and (suffix in ("xml", "rels") or name.endswith("mimetype")):
        if suffix == "rels" or name.endswith("mimetype"):
            return
        from datasets.tables.workbook import part_items

        try:
            with archive.open(info) as stream:
                _feed_items(scanner, part_items(stream, limits, where), prefix)
        except TableError as error:
            scanner.hold(error.message)
        return
    fd, temp = tempfile.mkstemp(suffix=f".{suffix or 'bin'}")
    try:
        with os.fdopen(fd, "wb") as out, archive.open(info) as stream:
            while chunk := stream.read(1024 * 1024):
                out.write(chunk)
        _scan_any(scanner, Path(temp), suffix, None, limits, None, where, depth + 1)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        scanner.hold(f"{where}无法解压（{error}）")
    finally:
        Path(temp).unlink(missing_ok=True)
