"""The reader's bounds (``datasets.tables.Limits``): a file past one of them ends with a
``TableError`` and a reason, intake holds it and never hands it to Frictionless, and a file just
inside every bound is still read completely. Tiny bounds keep the files small; one test per
family of bombs runs moderately sized ones with the default bounds in a fresh process and checks
its peak memory, so that removing a guard fails it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from datasets.intake.prepare import prepare_file
from datasets.intake.records import FileRecord
from datasets.openness.pii.reading import json_items, scan_file
from datasets.tables import (
    PREVIEW_CELL_CHARS,
    Limits,
    TableError,
    open_table,
    preview_cell,
    read_preview,
)
from datasets.tables.xmlparts import part_items

SMALL = Limits(
    max_columns=10,
    max_cell_chars=100,
    max_line_bytes=2000,
    max_rows=50,
    max_unpacked_bytes=400_000,
    max_memory_bytes=300_000,
)
# what the XML and JSON guards let through before refusing: a cell's text written as entities
MARKUP = SMALL.max_cell_chars * 6 + 65536
REPO = Path(__file__).resolve().parents[2]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)


def _repeat(piece: bytes, total: int) -> Iterator[bytes]:
    block = piece * max(1, (1 << 20) // len(piece))
    for start in range(0, total, len(block)):
        yield block[: total - start]


def _chain(*pieces: bytes | Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from [piece] if isinstance(piece, bytes) else piece


def _write(path: Path, *pieces: bytes | Iterable[bytes]) -> Path:
    with path.open("wb") as out:
        for chunk in _chain(*pieces):
            out.write(chunk)
    return path


def _zip(path: Path, members: dict[str, bytes | Iterable[bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, pieces in members.items():
            with package.open(name, "w", force_zip64=True) as out:
                for chunk in _chain(pieces):
                    out.write(chunk)
    return path


def _xlsx(
    path: Path,
    *rows: bytes | Iterable[bytes],
    shared: bytes | Iterable[bytes] = b"",
    dimension: str = "",
) -> Path:
    """A one-sheet workbook; ``rows`` is the XML inside ``<sheetData>``, written streaming."""
    head = f'<worksheet xmlns="{_MAIN}">'
    if dimension:
        head += f'<dimension ref="{dimension}"/>'
    return _zip(
        path,
        {
            "[Content_Types].xml": _TYPES.encode(),
            "_rels/.rels": (
                f'<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
                f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ).encode(),
            "xl/workbook.xml": (
                f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
                '<sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ).encode(),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{_PACKAGE}">'
                f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
                "</Relationships>"
            ).encode(),
            "xl/worksheets/sheet1.xml": _chain(
                (head + "<sheetData>").encode(), *rows, b"</sheetData></worksheet>"
            ),
            "xl/sharedStrings.xml": _chain(f'<sst xmlns="{_MAIN}">'.encode(), shared, b"</sst>"),
        },
    )


def _cells(values: Iterable[str], row: int) -> bytes:
    cells = "".join(
        f'<c r="{_letter(i)}{row}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{row}">{cells}</row>'.encode()


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


HEADER = _cells(["名称", "说明"], 1)


def _read_all(path: Path, fmt: str, limits: Limits = SMALL) -> list[list[object]]:
    with open_table(path, fmt, codec="utf-8" if fmt == "csv" else None, limits=limits) as table:
        sheet = table.main_sheet()
        assert sheet is not None
        return [sheet.header, *sheet.rows]


def _refused(path: Path, fmt: str, limits: Limits = SMALL) -> str:
    with pytest.raises(TableError) as caught:
        _read_all(path, fmt, limits)
    return caught.value.code


# -- text tables --------------------------------------------------------------------------


def test_csv_past_each_bound_is_refused_with_its_code(tmp_path):
    wide = _write(tmp_path / "wide.csv", b",".join([b"a"] * 11) + b"\n")
    line = _write(tmp_path / "line.csv", b"a,b\n", b"1," * 1001)  # no newline
    quoted = _write(tmp_path / "quoted.csv", b'a,b\n1,"', b"x" * 20 + b"\n" * 5, b"y" * 90, b'"\n')
    rows = _write(tmp_path / "rows.csv", b"a,b\n", b"1,2\n" * 50)
    assert _refused(wide, "csv") == "too-many-columns"
    assert _refused(line, "csv") == "line-too-long"
    assert _refused(quoted, "csv") == "cell-too-long"
    assert _refused(rows, "csv") == "too-many-rows"


def test_csv_just_inside_every_bound_is_read_completely(tmp_path):
    cell = "数" * 100
    lines = [",".join(f"c{i}" for i in range(10))] + [",".join([cell] * 10)] * 49
    path = tmp_path / "full.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = _read_all(path, "csv")
    assert len(rows) == 50 and rows[-1] == [cell] * 10


def test_the_delimiter_is_sniffed_from_at_most_a_megabyte(tmp_path, monkeypatch):
    sniffed = []
    sniff = csv.Sniffer.sniff
    monkeypatch.setattr(csv.Sniffer, "sniff", lambda *a: sniffed.append(len(a[1])) or sniff(*a))
    line = ";".join(["x" * 1000] * 700) + "\n"  # 700 KB lines: a second one would pass 1 MB
    path = tmp_path / "long.csv"
    path.write_text(line * 5, encoding="utf-8")
    limits = Limits(max_columns=1000, max_cell_chars=1000)
    with open_table(path, "csv", limits=limits) as table:
        assert table.delimiter == ";"
    assert sniffed == [len(line)]  # Python's sniffer takes seconds and memory on more


# -- workbooks ----------------------------------------------------------------------------


def test_xlsx_past_each_bound_is_refused_with_its_code(tmp_path):
    long_text = b"A" * 101
    cases = {
        "inline": _xlsx(tmp_path / "inline.xlsx", HEADER, _cells(["A" * 101], 2)),
        "shared": _xlsx(
            tmp_path / "shared.xlsx",
            HEADER,
            b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>',
            shared=b"<si><t>" + long_text + b"</t></si>",
        ),
        "wide": _xlsx(tmp_path / "wide.xlsx", _cells("abcdefghijk", 1)),
        "far": _xlsx(tmp_path / "far.xlsx", HEADER, b'<row r="3"><c r="XFD3"/></row>'),
        "dimension": _xlsx(tmp_path / "dim.xlsx", HEADER, dimension="A1:XFD3"),
        "tall-dimension": _xlsx(tmp_path / "tall.xlsx", HEADER, dimension="A1:B1048576"),
        "rows": _xlsx(tmp_path / "rows.xlsx", HEADER, b'<row r="51"><c r="A51"><v>1</v></c></row>'),
        "unpacked": _xlsx(tmp_path / "zip.xlsx", HEADER, _repeat(b"<row/>", 400_000)),
        "part": _xlsx(
            tmp_path / "part.xlsx", HEADER, shared=_repeat(b"<si><t>a</t></si>", 300_001)
        ),
        "attribute": _xlsx(
            tmp_path / "attribute.xlsx", HEADER, b'<row r="2" x="', b"A" * MARKUP, b'"/>'
        ),
        "comment": _xlsx(tmp_path / "comment.xlsx", HEADER, b"<!--", b"<a>" * MARKUP, b"-->"),
    }
    codes = {name: _refused(path, "xlsx") for name, path in cases.items()}
    assert codes == {
        "inline": "cell-too-long",
        "shared": "cell-too-long",
        "wide": "too-many-columns",
        "far": "too-many-columns",
        "dimension": "too-many-columns",
        "tall-dimension": "too-many-rows",
        "rows": "too-many-rows",
        "unpacked": "zip-too-large",
        "part": "part-too-large",
        "attribute": "cell-too-long",
        "comment": "cell-too-long",
    }


def test_shared_strings_count_with_their_full_length_in_each_row_and_sheet(tmp_path):
    string = b"<si><t>" + b"S" * 100 + b"</t></si>"
    refs = b'<c t="s"><v>0</v></c>'
    row = b'<row r="2">' + refs * 10 + b"</row>"
    row_past = _xlsx(tmp_path / "row.xlsx", HEADER, row, shared=string)
    limits = Limits(max_columns=10, max_cell_chars=100, max_line_bytes=999, max_rows=50)
    assert _refused(row_past, "xlsx", limits) == "line-too-long"
    many = (b"<row>" + refs * 10 + b"</row>" for _ in range(45))
    sheet_past = _xlsx(tmp_path / "sheet.xlsx", HEADER, many, shared=string)
    limits = Limits(max_columns=10, max_cell_chars=100, max_rows=50, max_unpacked_bytes=40_000)
    assert _refused(sheet_past, "xlsx", limits) == "zip-too-large"
    assert len(_read_all(sheet_past, "xlsx", SMALL)) == 46


def test_xlsx_just_inside_every_bound_is_read_completely(tmp_path):
    cell = "数" * 100
    rows = [_cells([f"c{i}" for i in range(10)], 1)]
    rows += [_cells([cell] * 10, n) for n in range(2, 50)]
    rows.append(b'<row r="50"><c r="J50" t="inlineStr"><is><t>end</t></is></c></row>')
    path = _xlsx(tmp_path / "full.xlsx", *rows, dimension="A1:J50")
    read = _read_all(path, "xlsx")
    assert len(read) == 50 and read[1] == [cell] * 10 and read[-1][-1] == "end"


def test_rows_a_sheet_skips_come_as_empty_rows(tmp_path):
    far = b'<row r="40"><c r="A40"><v>7</v></c></row>'
    read = _read_all(_xlsx(tmp_path / "gap.xlsx", HEADER, far), "xlsx")
    assert len(read) == 40 and read[1:-1] == [[]] * 38 and read[-1] == [7]


def _xls_with_far_cell(realdata: Path, folder: Path) -> Path:
    """The fixture workbook with its cell A3 moved to IV65536 (the last cell of a sheet)."""
    data = bytearray((realdata / "frictionless-py-fixtures" / "table.xls").read_bytes())
    at = data.index(bytes.fromhex("7e020a0002000000"))  # RK record, row 2, column 0
    data[at + 4 : at + 8] = bytes.fromhex("ffffff00")
    path = folder / "far.xls"
    path.write_bytes(data)
    return path


def test_xls_whose_padded_range_outgrows_the_memory_bound_is_refused(realdata, tmp_path):
    table = realdata / "frictionless-py-fixtures" / "table.xls"
    assert _read_all(table, "xls") == [["id", "name"], [1, "english"], [2, "中国人"]]
    assert _refused(_xls_with_far_cell(realdata, tmp_path), "xls") == "part-too-large"


# -- JSON, XML, archives --------------------------------------------------------------------


def _json_code(path: Path) -> str:
    with pytest.raises(TableError) as caught:
        list(json_items(path, SMALL))
    return caught.value.code


def test_json_past_its_bounds_is_refused(tmp_path):
    escaped = _write(tmp_path / "escaped.json", b'{"a": "', b'\\"' * MARKUP, b'"}')
    number = _write(tmp_path / "number.json", b"[", b"1" * (MARKUP + 1), b"]")
    deep = _write(tmp_path / "deep.json", b'["",' * 257, b"1", b',""]' * 257)
    assert _json_code(escaped) == "cell-too-long"
    assert _json_code(number) == "cell-too-long"
    assert _json_code(deep) == "json-too-deep"


def test_json_inside_its_bounds_is_read_completely(tmp_path):
    deep = _write(tmp_path / "deep.json", b'{"k": ' * 256, b'"v"', b"}" * 256)
    assert list(json_items(deep, SMALL))[-1] == ("k", "v")
    # long arrays of numbers hold no long token: a detailed boundary is not refused
    shape = _write(tmp_path / "shape.json", b'{"coordinates": [', b"[113.1,28.2]," * 20_000, b"1]}")
    assert len(list(json_items(shape, SMALL))) == 40_002
    quotes = b'{"path": "C:\\\\data\\\\", "note": "\\"' + b"x" * 90 + b'\\""}'
    items = list(json_items(_write(tmp_path / "quotes.json", quotes), SMALL))
    assert items[1] == ("path", "C:\\data\\") and items[3][1] == '"' + "x" * 90 + '"'


def test_property_names_past_the_column_bound_share_one_column(tmp_path):
    keys = _write(tmp_path / "keys.json", json.dumps({f"k{i}": i for i in range(20)}).encode())
    report = scan_file(keys, "json", limits=SMALL)
    assert not report.held and report.columns[-1] == "（其他）" and len(report.columns) == 11


def test_xml_with_a_long_comment_literal_or_text_is_refused(tmp_path):
    documents = {
        "comment": (b"<r><!--", b"<a>" * MARKUP, b"--></r>"),
        "instruction": (b"<r><?pi ", b"<" * 2 * MARKUP, b"?></r>"),
        "doctype": (b'<!DOCTYPE r SYSTEM "', b"<>" * MARKUP, b'"><r/>'),
        "text": (b"<r><a>", b"x" * 101, b"</a></r>"),
    }
    for name, pieces in documents.items():
        path = _write(tmp_path / f"{name}.xml", *pieces)
        with pytest.raises(TableError) as caught:
            list(part_items(path.open("rb"), SMALL, "文件 "))
        assert caught.value.code == "cell-too-long", name
        assert scan_file(path, "xml", limits=SMALL).held, name


def test_an_archive_unpacking_past_the_bound_is_held(tmp_path):
    path = _zip(tmp_path / "bomb.zip", {"a.csv": _repeat(b"1,2\n", 400_001)})
    held = scan_file(path, "zip", limits=SMALL).held
    assert len(held) == 1 and "解压后达 400001 字节" in held[0]


# -- intake ---------------------------------------------------------------------------------


def _bombs(folder: Path) -> dict[str, Path]:
    return {
        "csv": _write(folder / "wide.csv", b",".join([b"a"] * 11) + b"\n1\n"),
        "xlsx": _xlsx(folder / "dim.xlsx", HEADER, _cells(["1", "2"], 2), dimension="A1:XFD3"),
        "json": _write(folder / "deep.json", b'["",' * 300, b"1", b',""]' * 300),
        "xml": _write(folder / "comment.xml", b"<r><!--", b"<a>" * MARKUP, b"--></r>"),
        "zip": _zip(folder / "bomb.zip", {"a.csv": _repeat(b"1,2\n", 400_001)}),
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "xml", "zip"])
def test_intake_holds_a_file_past_a_bound_without_validating_it(tmp_path, fmt, monkeypatch):
    path = _bombs(tmp_path)[fmt]
    validated = []
    monkeypatch.setattr(
        "datasets.intake.prepare.validate_table", lambda *a, **k: validated.append(a)
    )
    record = FileRecord(path=path, name=path.name, format=fmt)
    prepared = prepare_file(record, staging=tmp_path / "staging", limits=SMALL)
    assert prepared.pii["held"]
    assert not validated  # Frictionless never reads past the bound the reader refused
    assert not prepared.preview and prepared.row_count is None
    if fmt in ("csv", "xlsx", "json"):
        assert prepared.report["status"] == "error"
        assert prepared.report["errors"][0]["description"] == "；".join(prepared.pii["held"])


# -- previews -------------------------------------------------------------------------------


def test_preview_cells_are_cut_without_leaving_part_of_an_identifier():
    assert preview_cell("短") == "短"
    assert preview_cell("长" * 600) == "长" * PREVIEW_CELL_CHARS + "…"
    id_number = "430602199001011234"
    cut = preview_cell("备注" * 245 + "身份证" + id_number + "其余" * 50)
    assert cut == "备注" * 245 + "身份证…"  # not 4306021990…, which masking would not see
    assert preview_cell(12345) == "12345"


def test_previews_of_intake_and_of_stored_files_cut_long_cells(tmp_path):
    rows = ["名称,说明"] + [f"{n},{'长' * 2000}" for n in range(30)]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    record = FileRecord(path=path, name=path.name, format="csv")
    prepared = prepare_file(record, staging=tmp_path / "staging")
    stored = read_preview(path, "csv")
    for preview in (prepared.preview, stored):
        assert len(preview["rows"]) == 20
        assert preview["rows"][0] == ["0", "长" * PREVIEW_CELL_CHARS + "…"]
    assert prepared.row_count == 30


# -- memory, in a fresh process --------------------------------------------------------------

_CHILD = """
import json, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
import frictionless, ijson  # imported before the peak is taken: not the bombs' cost
from datasets.intake.prepare import prepare_file
from datasets.intake.records import FileRecord
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
outcomes = {}
for name in sys.argv[1:]:
    path = Path(name)
    record = FileRecord(path=path, name=path.name, format=path.suffix[1:])
    try:
        prepared = prepare_file(record, staging=path.parent / "staging")
        outcomes[path.name] = prepared.pii["held"]
    except BaseException as error:
        outcomes[path.name] = repr(error)[:300]
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"grown_mb": grown, "held": outcomes}, ensure_ascii=False))
"""

MB = 1_000_000


def _family(folder: Path, family: str, realdata: Path) -> list[Path]:
    """Moderately sized bombs (tens of MB of text) of one family, written streaming."""
    if family == "xls":
        return [_xls_with_far_cell(realdata, folder)]
    if family == "xlsx":
        return [
            _xlsx(
                folder / "inline.xlsx",
                HEADER,
                b'<row r="2"><c r="A2" t="inlineStr"><is><t>',
                _repeat(b"A", 60 * MB),
                b"</t></is></c></row>",
            ),  # fmt: skip
            _xlsx(folder / "comment.xlsx", HEADER, b"<!--", _repeat(b"<a>", 60 * MB), b"-->"),
            _xlsx(folder / "dimension.xlsx", HEADER, dimension="A1:XFD1048576"),
            _xlsx(folder / "far.xlsx", HEADER, b'<row r="2000000"><c r="XFD2000000"/></row>'),
            _xlsx(
                folder / "reused.xlsx",
                HEADER,
                (b"<row>" + b'<c t="s"><v>0</v></c>' * 100 + b"</row>" for _ in range(3000)),
                shared=_chain(b"<si><t>", _repeat(b"A1", 32_000), b"</t></si>"),
            ),
        ]
    if family == "csv":
        return [
            _write(folder / "line.csv", b"a,b\n", _repeat(b"1234567,", 60 * MB)),
            _write(folder / "quoted.csv", b'a,b\n1,"', _repeat(b"x" * 99 + b"\n", 60 * MB)),
            _write(folder / "wide.csv", b"a," * 1_500_000, b"a\n"),
        ]
    if family == "json":
        return [
            _write(folder / "escaped.json", b'{"a": "', _repeat(b'\\"', 60 * MB), b'"}'),
            _write(folder / "deep.json", b'["",' * 100_000, b"1", b',""]' * 100_000),
        ]
    if family == "xml":
        return [
            _write(folder / "comment.xml", b"<r><!--", _repeat(b"<a>", 60 * MB), b"--></r>"),
            _write(folder / "text.xml", b"<r><a>", _repeat(b"A", 60 * MB), b"</a></r>"),
        ]
    return [_zip(folder / "bomb.zip", {"a.csv": _repeat(b"1,2\n", 1100 * MB)})]


@pytest.mark.parametrize("family", ["xlsx", "xls", "csv", "json", "xml", "zip"])
def test_bombs_are_held_in_bounded_memory(tmp_path, family, realdata):
    paths = _family(tmp_path, family, realdata)
    run = subprocess.run(
        [sys.executable, "-c", _CHILD, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert all(isinstance(h, list) and h for h in result["held"].values()), result["held"]
    assert result["grown_mb"] < 40, result
