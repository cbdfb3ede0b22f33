"""The export formats: each round-trips rows with Chinese text, None and numbers; only csv-bom
has a BOM; the workbook opens with openpyxl and with the project's own reader; memory stays
bounded whatever the row count; file names are safe and the Content-Disposition has both the
Chinese name and an ASCII fallback."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from datasets.rows import formats
from datasets.rows.formats import FORMATS, attachment_header, safe_filename, stream
from datasets.tables import open_table

FIELDS = ["名称", "床位数", "收费（元/月）", "备注"]
ROWS: list[list[Any]] = [
    ["江州市第一社会福利院", 320, 2800.5, None],
    ["江南区“夕阳红”敬老院", 0, -12.25, '含逗号,引号"和\n换行'],
    ["  前后有空格  ", 123456789012345678, None, "身份证号 430602199001011234"],
    [None, None, None, None],
    ["北区", True, 1e-7, "<b>&amp;</b>"],
]


def _body(code: str, fields: list[str] = FIELDS, rows: list[list[Any]] = ROWS) -> bytes:
    return b"".join(stream(code, fields, rows))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def test_the_table_of_formats() -> None:
    assert list(FORMATS) == ["csv", "csv-bom", "json", "ndjson", "xlsx"]
    for code, fmt in FORMATS.items():
        assert fmt.code == code and fmt.title and fmt.media_type and fmt.extension
        assert not fmt.title.isascii() or code in ("json",)  # Chinese titles
    assert FORMATS["csv-bom"].title == "CSV（Excel 适用，带 BOM）"


@pytest.mark.parametrize("code", ["csv", "csv-bom"])
def test_csv_round_trips_and_only_csv_bom_has_a_bom(code: str) -> None:
    body = _body(code)
    assert body.startswith(b"\xef\xbb\xbf") == (code == "csv-bom")
    text = body.decode("utf-8").removeprefix("\ufeff")
    got = list(csv.reader(io.StringIO(text, newline="")))
    assert got == [FIELDS, *[[_text(v) for v in row] for row in ROWS]]


def test_only_the_csv_for_excel_guards_against_formulas() -> None:
    rows = [['=HYPERLINK("http://x")', "-5", "+86 10 1234", "@SUM(A1)", "-", "−3", "1e5"]]
    header = ["=名称", "编号"]
    excel = list(csv.reader(io.StringIO(_body("csv-bom", header, rows).decode("utf-8-sig"))))
    assert excel == [
        ["'=名称", "编号"],
        ['\'=HYPERLINK("http://x")', "-5", "'+86 10 1234", "'@SUM(A1)", "'-", "−3", "1e5"],
    ]
    exact = list(csv.reader(io.StringIO(_body("csv", header, rows).decode("utf-8"))))
    assert exact == [header, *rows]  # the data for programs is kept as it is


@pytest.mark.parametrize("code", ["json", "ndjson"])
def test_json_round_trips_with_numbers_as_numbers_and_none_as_null(code: str) -> None:
    body = _body(code).decode("utf-8")
    assert "江州市第一社会福利院" in body  # UTF-8, not \\u escapes
    records = json.loads(body) if code == "json" else [json.loads(x) for x in body.splitlines()]
    assert records == [dict(zip(FIELDS, row, strict=True)) for row in ROWS]
    assert isinstance(records[0]["床位数"], int) and isinstance(records[0]["收费（元/月）"], float)


def test_json_of_no_rows_is_an_empty_array_and_keys_never_collide() -> None:
    assert json.loads(_body("json", rows=[])) == []
    assert _body("ndjson", rows=[]) == b""
    records = json.loads(_body("json", ["名称", "名称", ""], [["甲", "乙", "丙"]]))
    assert list(records[0].values()) == ["甲", "乙", "丙"]
    assert len(records[0]) == 3


def _workbook_rows(body: bytes) -> list[list[Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a workbook openpyxl has to patch up is not complete
        book = load_workbook(io.BytesIO(body), read_only=True)
    try:
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        width = max(len(r) for r in rows)
        return [r + [None] * (width - len(r)) for r in rows]
    finally:
        book.close()


def test_the_workbook_opens_and_equals_the_rows(tmp_path: Path) -> None:
    body = _body("xlsx")
    assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
    got = _workbook_rows(body)
    expected = [list(FIELDS)] + [
        [str(v) if isinstance(v, int) and not isinstance(v, bool) and v >= 10**15 else v for v in r]
        for r in ROWS
    ]
    assert got == expected
    assert isinstance(got[1][1], int) and isinstance(got[1][2], float)
    assert got[3][1] == "123456789012345678"  # more digits than Excel keeps: text
    path = tmp_path / "out.xlsx"
    path.write_bytes(body)
    with open_table(path, "xlsx") as table:  # the project's own reader reads it too
        sheet = table.main_sheet()
        assert sheet is not None and sheet.header == FIELDS
        assert [r[0] for r in sheet.rows][:3] == [ROWS[0][0], ROWS[1][0], ROWS[2][0]]


def test_the_workbook_is_written_to_an_unseekable_stream_as_rows_arrive() -> None:
    taken: list[int] = []

    def rows() -> Iterator[list[Any]]:
        for n in range(50_000):
            taken.append(n)
            yield [f"第{n}行", n, n / 4, None]

    chunks = stream("xlsx", FIELDS, rows())
    first_with_rows = next(c for c in chunks if taken)
    assert first_with_rows and len(taken) < 50_000  # bytes leave before the last row is read
    rest = b"".join(chunks)
    assert len(taken) == 50_000 and rest


def _rows(count: int) -> Iterator[list[Any]]:
    for n in range(count):
        yield [f"江州市第{n}号养老机构", n, n * 1.5, None if n % 3 else "备注"]


def _peak(code: str, count: int) -> int:
    tracemalloc.start()
    try:
        for _chunk in stream(code, FIELDS, _rows(count)):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("code", list(FORMATS))
def test_memory_stays_bounded_whatever_the_row_count(code: str) -> None:
    small, large = _peak(code, 10_000), _peak(code, 100_000)
    assert large < 4 * 1024 * 1024, large
    assert large < small * 1.5 + 256 * 1024, (small, large)


def test_past_the_sheet_bound_the_workbook_ends_cleanly_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(formats, "XLSX_MAX_ROWS", 11)  # header + 10 rows
    body = b"".join(stream("xlsx", ["编号"], ([n] for n in range(100))))
    book = load_workbook(io.BytesIO(body), read_only=True)
    try:
        assert [list(r) for r in book.worksheets[0].iter_rows(values_only=True)] == [
            ["编号"],
            *[[n] for n in range(10)],
        ]
        note = " ".join(str(v) for r in book.worksheets[1].iter_rows(values_only=True) for v in r)
        assert "CSV" in note and "10" in note
    finally:
        book.close()


def test_an_unknown_code_is_refused_before_any_byte() -> None:
    with pytest.raises(KeyError):
        stream("pdf", FIELDS, ROWS)


@pytest.mark.parametrize(
    ("name", "extension", "expected"),
    [
        ("养老机构名录", "xlsx", "养老机构名录.xlsx"),
        ("养老机构名录.xlsx", "csv", "养老机构名录.csv"),
        ("../../etc/passwd", "csv", "etc passwd.csv"),
        ('a"b\\c/d:e*f?g<h>i|j', "json", "a b c d e f g h i j.json"),
        ("名录\u202egpj.exe", "csv", "名录 gpj.exe.csv"),
        ("换行\r\n名录\x00", "csv", "换行 名录.csv"),
        ("", "csv", "数据.csv"),
        ("...", "csv", "数据.csv"),
    ],
)
def test_file_names_are_safe(name: str, extension: str, expected: str) -> None:
    assert safe_filename(name, extension) == expected


def test_file_names_are_bounded() -> None:
    name = safe_filename("很长的名字" * 100, "csv")
    assert name.endswith(".csv") and len(name) <= 90


def test_the_attachment_header_has_the_chinese_name_and_an_ascii_fallback() -> None:
    header = attachment_header("养老机构名录.xlsx", "yang-lao-ji-gou-ming-lu.xlsx")
    assert header == (
        'attachment; filename="yang-lao-ji-gou-ming-lu.xlsx"; '
        "filename*=UTF-8''%E5%85%BB%E8%80%81%E6%9C%BA%E6%9E%84%E5%90%8D%E5%BD%95.xlsx"
    )
    bare = attachment_header("养老机构名录.xlsx")
    plain = bare.split('filename="', 1)[1].split('"', 1)[0]
    assert plain.isascii() and plain.endswith(".xlsx") and plain != ".xlsx"
    star = bare.split("filename*=UTF-8''", 1)[1]
    assert unquote(star) == "养老机构名录.xlsx" and star.isascii()
    quoted = attachment_header('a"b.csv', 'x"y.csv')
    assert quoted.count('"') == 2
