"""Fuzzing the table reader with harvested files: CSV in many dialects and encodings (delimiters,
quotes, BOMs, GBK/GB18030/Big5/UTF-16, ragged rows, very long lines, mixed newlines, bytes cut
or flipped), and XLSX workbooks written by openpyxl with hostile cells, then truncated,
corrupted, given hostile XML parts or turned into zip bombs within the reader's bounds.

A file is read to its end or held with ``TableError`` (a ``ValidationError``); the whole
preparation of a harvested file (copy, encoding, scan, validation) either gives a prepared
file (held ones carry their reason) or raises a per-object error.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment

from datasets.intake.prepare import prepare_file
from datasets.intake.records import FileRecord
from datasets.tables import Limits, decide_encoding, open_table, read_preview
from tests.conftest import REALDATA
from tests.fuzz.support import fuzz, parsed_or_held

# bounds small enough that a bomb meets them quickly, as the settings would in production
LIMITS = Limits(
    max_columns=300,
    max_cell_chars=20_000,
    max_line_bytes=200_000,
    max_rows=20_000,
    max_unpacked_bytes=16 * 1024 * 1024,
    max_memory_bytes=4 * 1024 * 1024,
)
CSV_SEEDS = [
    REALDATA / "cn-nbs-national-data" / "zb_population_total.csv",
    REALDATA / "cn-nbs-national-data" / "derived-gb18030" / "zb_price_indices.gb18030.csv",
    REALDATA / "ckanext-xloader-samples" / "sample_with_mixed_quotes.csv",
    REALDATA / "frictionless-py-fixtures" / "latin1.csv",
    REALDATA / "cn-shenzhen-opendata-api" / "szmc_metro_stations_headerless.csv",
]
XLSX_SEEDS = [
    REALDATA / "frictionless-py-fixtures" / "table.xlsx",
    REALDATA / "frictionless-py-fixtures" / "merged-cells.xlsx",
]
CODECS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "big5", "utf-16", "utf-16-le", "latin-1"]
cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", '"', '""', "a,b", "a\nb", "a\r\nb", "\ufeff", "\x00", "=1+1", "数据"]),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "汉", '"']), st.integers(100, 30_000)),
)
rows = st.lists(st.lists(cell, max_size=12), max_size=40)


def read_fully(path: Path, fmt: str, codec: str | None = None) -> int:
    """Open ``path`` and read every sheet, comment and text the scanner would; the count of
    rows read."""
    count = 0
    with open_table(path, fmt, codec=codec, limits=LIMITS) as table:
        for sheet in table.sheets():
            count += sum(1 for _ in sheet.rows)
        count += sum(1 for _ in table.comments())
        count += sum(1 for _ in table.other_text())
        table.unscannable()
    return count


def _check_text_table(path: Path, fmt: str, declared: str | None) -> None:
    encoding = parsed_or_held(lambda: decide_encoding(path, declared))
    if encoding is not None:
        parsed_or_held(lambda: read_fully(path, fmt, encoding.codec))
    parsed_or_held(lambda: read_fully(path, fmt))
    assert isinstance(read_preview(path, fmt, limits=LIMITS), dict)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 3)) == 0:
        body = draw(st.sampled_from(CSV_SEEDS)).read_bytes()
    else:
        out = io.StringIO()
        writer = csv.writer(
            out,
            delimiter=draw(st.sampled_from(",;\t|: ")),
            quotechar=draw(st.sampled_from("\"'")),
            quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
            lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
        )
        writer.writerows(draw(rows))
        codec = draw(st.sampled_from(CODECS))
        body = out.getvalue().encode(codec, errors=draw(st.sampled_from(["replace", "ignore"])))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["cut", "flip", "insert", "newline", "long", "bom"]))
        if action == "cut":
            body = body[:at]
        elif action == "flip" and at < len(body):
            body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1 :]
        elif action == "insert":
            body = body[:at] + draw(st.binary(max_size=16)) + body[at:]
        elif action == "newline":
            body = body[:at] + draw(st.sampled_from([b"\r", b"\n", b"\r\n", b"\n\r"])) + body[at:]
        elif action == "long":
            body = (
                body[:at] + draw(st.sampled_from([b"x", b'"', b",", b"\xe6"])) * 300_000 + body[at:]
            )
        elif action == "bom":
            body = (
                draw(
                    st.sampled_from(
                        [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00"]
                    )
                )
                + body
            )
    return body


@fuzz(50)
@given(
    body=csv_bytes(),
    fmt=st.sampled_from(["csv", "tsv", "txt"]),
    declared=st.sampled_from([None, "gbk", "utf-8", "big5", "utf-16", "klingon", "UTF_8"]),
)
@example(body=b"a,b\n" + b'"' + b"x" * 300_000, fmt="csv", declared=None)
@example(body=b"\xff\xfea\x00,\x00b\x00\n\x00\x00\xd8", fmt="csv", declared=None)
@example(body=b"a,b\r1,2\n3\r\n4,5,6,7\x00", fmt="csv", declared="gbk")
def test_text_tables_are_read_or_held(
    tmp_path_factory: Any, body: bytes, fmt: str, declared: str | None
) -> None:
    path = tmp_path_factory.mktemp("csv") / f"table.{fmt}"
    path.write_bytes(body)
    _check_text_table(path, fmt, declared)


# -- XLSX ------------------------------------------------------------------------------------

xlsx_cell = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=50).map(lambda t: ILLEGAL_CHARACTERS_RE.sub("", t)),
    st.builds(lambda n: "汉" * n, st.integers(1000, 32_000)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 1, 1)),
    st.sampled_from(["=1/0", "=A1", '=HYPERLINK("http://127.0.0.1/")', "=" + "(" * 50]),
)


def _workbook(sheets: list[list[list[Any]]], comment: str, hidden: bool) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for n, table in enumerate(sheets or [[]]):
        sheet = book.create_sheet(f"表{n}")
        for row in table:
            sheet.append(row)
        if comment:
            sheet["A1"].comment = Comment(comment, "某人")
        if hidden and n:
            sheet.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return _stable(out.getvalue())


STAMP = (2024, 1, 1, 0, 0, 0)
CORE = b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"/>'


def _stable(body: bytes) -> bytes:
    """The same workbook with fixed times (openpyxl writes the time of saving), so that the
    same example gives the same bytes on every run."""
    source = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = CORE if info.filename == "docProps/core.xml" else source.read(info)
            target.writestr(zipfile.ZipInfo(info.filename, STAMP), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


HOSTILE_PARTS = {
    "xl/worksheets/sheet1.xml": [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData><row><c><v>&b;</v></c></row></sheetData></worksheet>",
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="A1:XFD1048576"/><sheetData/></worksheet>',
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="99999999999999999999"><c r="ZZZZ1" t="s"><v>-1</v></c><c r="A0" t="s">'
        b'<v>99999999</v></c><c t="d"><v>not a date</v></c><c s="999999"><v>1e400</v></c>'
        b'<c t="n"><v>abc</v></c><c t="b"><v>2</v></c><c t="inlineStr"><is><t>x</t></is></c>'
        b'<c s="1"><v>' + b"9" * 400 + b'</v></c></row><row r="-5"/></sheetData></worksheet>',
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + b"<row>" * 5000
        + b"</sheetData></worksheet>",
        b"<worksheet><sheetData><row><c><v>" + b"1" * 3_000_000 + b"</v></c></row></sheetData>",
        b"",
    ],
    "xl/sharedStrings.xml": [
        b"<sst><si><t>" + b"x" * 100_000 + b"</t></si></sst>",
        b"<sst>" + b"<si><t>a</t></si>" * 200_000 + b"</sst>",
        b"<sst><si><t>\xff\xfe</t></si>",
    ],
    "xl/workbook.xml": [
        b'<workbook><sheets><sheet name="x" r:id="rId1" xmlns:r="urn:r"/></sheets></workbook>',
        b'<workbook><workbookPr date1904="true"/><sheets>'
        + b"<sheet/>" * 10_000
        + b"</sheets></workbook>",
        b"not xml at all",
    ],
    "xl/styles.xml": [
        b'<styleSheet><numFmts><numFmt numFmtId="x" formatCode="[[[["/><numFmt numFmtId="164" '
        b'formatCode="' + b"y" * 10_000 + b'"/></numFmts><cellXfs><xf numFmtId="-1"/><xf '
        b'numFmtId="164"/></cellXfs></styleSheet>',
    ],
}


def _rewrite(body: bytes, part: str, data: bytes, *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as target:
        for info in source.infolist():
            if info.filename != part:
                target.writestr(zipfile.ZipInfo(info.filename, STAMP), source.read(info), method)
        target.writestr(zipfile.ZipInfo(part, STAMP), data, method)
    return out.getvalue()


@st.composite
def xlsx_bytes(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 3)) == 0:
        body = draw(st.sampled_from(XLSX_SEEDS)).read_bytes()
    else:
        sheets = draw(st.lists(st.lists(st.lists(xlsx_cell, max_size=8), max_size=15), max_size=3))
        comment = draw(st.text(max_size=20).map(lambda t: ILLEGAL_CHARACTERS_RE.sub("", t)))
        body = _workbook(sheets, comment, draw(st.booleans()))
    damage = draw(st.sampled_from(["none", "cut", "flip", "part", "part", "bomb", "stored"]))
    if damage == "cut":
        body = body[: draw(st.integers(0, len(body) - 1))]
    elif damage == "flip":
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(body) - 1))
            body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1 :]
    elif damage == "part":
        part = draw(st.sampled_from(sorted(HOSTILE_PARTS)))
        body = _rewrite(body, part, draw(st.sampled_from(HOSTILE_PARTS[part])))
    elif damage == "bomb":  # zeros compress a thousandfold: 1–30 MB unpacked from a few KB
        size = draw(st.sampled_from([1, 3, 30])) * 1024 * 1024
        part = draw(st.sampled_from(["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"]))
        filler = draw(st.sampled_from([b" ", b"<row><c><v>1</v></c></row>"]))
        body = _rewrite(body, part, b"<sst><sheetData>" + filler * (size // len(filler)))
    elif damage == "stored":  # the same parts uncompressed
        body = _rewrite(body, "docProps/custom.xml", b"<x>" + b"y" * 1000 + b"</x>", method=0)
    return body


@fuzz(35)
@given(body=xlsx_bytes())
@example(
    body=_rewrite(
        XLSX_SEEDS[0].read_bytes(),
        "xl/worksheets/sheet1.xml",
        HOSTILE_PARTS["xl/worksheets/sheet1.xml"][2],
    )
)
def test_workbooks_are_read_or_held(tmp_path_factory: Any, body: bytes) -> None:
    path = tmp_path_factory.mktemp("xlsx") / "book.xlsx"
    path.write_bytes(body)
    parsed_or_held(lambda: read_fully(path, "xlsx"))
    assert isinstance(read_preview(path, "xlsx", limits=LIMITS), dict)


def _corrupt_member(body: bytes, member: str) -> bytes:
    """``body`` with the compressed bytes of ``member`` damaged (its header intact)."""
    info = zipfile.ZipFile(io.BytesIO(body)).getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    return body[:middle] + bytes(b ^ 0x5A for b in body[middle : middle + 8]) + body[middle + 8 :]


def test_corrupted_compressed_parts_are_held(tmp_path: Path) -> None:
    body = _workbook([[["数据", n, "x" * 50] for n in range(300)]], "批注" * 20, False)
    for member in zipfile.ZipFile(io.BytesIO(body)).namelist():
        path = tmp_path / "book.xlsx"
        path.write_bytes(_corrupt_member(body, member))
        parsed_or_held(lambda path=path: read_fully(path, "xlsx"))  # type: ignore[misc]


# -- the whole preparation of a harvested file -----------------------------------------------


@fuzz(10)
@given(
    data=st.one_of(csv_bytes().map(lambda b: ("csv", b)), xlsx_bytes().map(lambda b: ("xlsx", b))),
    declared=st.sampled_from([None, "gbk", "utf-8", "klingon"]),
)
def test_preparing_a_harvested_file_holds_what_it_cannot_read(
    tmp_path_factory: Any, data: tuple[str, bytes], declared: str | None
) -> None:
    fmt, body = data
    folder = tmp_path_factory.mktemp("prepare")
    path = folder / f"data.{fmt}"
    path.write_bytes(body)
    record = FileRecord(path=path, name=f"data.{fmt}", format=fmt, declared_encoding=declared)
    prepared = parsed_or_held(
        lambda: prepare_file(
            record, staging=folder / "staging", row_limit=2000, scan_row_limit=2000, limits=LIMITS
        ),
        seconds=60,
    )
    if prepared is not None:
        assert isinstance(prepared.report, dict) and prepared.report
        assert prepared.path.is_file()
