"""Hostile files at intake: each "bomb" must end with a reason (the file held, its validation an
``error`` report) within 60 s and baseline + 300 MB. Two legal tables must pass: 1,000,000
ordinary rows, in the same bound, and 48 lines of 4 MB, the heaviest shape a file inside every
bound can take, whose peak is printed but not bounded (Frictionless sniffs its first 100 lines
whole and keeps them as its sample).

Every file is generated streaming into a temporary folder (a 400 MB string is written 1 MB at a
time, XLSX parts through ``ZipFile.open(name, "w")``, so it is never held here), then
``prepare_file`` reads it in a fresh process with the product's default bounds (the size limit of
the harvester is left out so that every bomb reaches the reader). Each process's peak RSS is its
own (``os.wait4``), printed beside a process that only imports the same modules (the baseline).

Run: .venv/bin/python -m bench.table_bombs [name …]
"""

from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB = 1_000_000
MEMORY_BOUND_MB = 300  # a bomb may cost this much above the baseline
SECONDS_BOUND = 60
TIMEOUT = 300  # a bomb still running after this is killed (a time bomb)
ADDRESS_SPACE = 6 << 30  # each child's RLIMIT_AS: a memory bomb fails there, not the machine

_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<workbook xmlns="{_MAIN.decode()}" xmlns:r="{_REL}">'
    '<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>说明</t></is></c></row>'
).encode()


def _repeat(piece: bytes, total: int) -> Iterator[bytes]:
    """``total`` bytes of ``piece`` repeated, 1 MB at a time (never the whole run at once)."""
    block = piece * max(1, (1 << 20) // len(piece))
    left = total
    while left > 0:
        yield block[:left]
        left -= len(block)


def _write(path: Path, *parts: bytes | Iterable[bytes]) -> None:
    with path.open("wb") as out:
        for part in parts:
            for chunk in [part] if isinstance(part, bytes) else part:
                out.write(chunk)


def _zip(path: Path, members: dict[str, bytes | Iterable[bytes]]) -> None:
    """A ZIP package whose members are written streaming (deflated: 400 MB of one letter take
    about 400 KB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        for name, parts in members.items():
            with package.open(name, "w", force_zip64=True) as out:
                for chunk in [parts] if isinstance(parts, bytes) else parts:
                    out.write(chunk)


def _xlsx(
    path: Path, rows: Iterable[bytes], *, shared: Iterable[bytes] = (), dimension: str = ""
) -> None:
    """An XLSX workbook of one sheet: ``rows`` is the XML inside ``<sheetData>``."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="' + _MAIN + b'">'
    if dimension:
        head += f'<dimension ref="{dimension}"/>'.encode()
    strings = [b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="' + _MAIN + b'">']
    _zip(
        path,
        {
            "[Content_Types].xml": _CONTENT_TYPES.encode(),
            "_rels/.rels": _ROOT_RELS.encode(),
            "xl/workbook.xml": _WORKBOOK.encode(),
            "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS.encode(),
            "xl/worksheets/sheet1.xml": _chain(
                [head, b"<sheetData>"], rows, [b"</sheetData></worksheet>"]
            ),
            "xl/sharedStrings.xml": _chain(strings, shared, [b"</sst>"]),
        },
    )


def _chain(*pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from piece


def _row(number: int, cells: bytes) -> bytes:
    return f'<row r="{number}">'.encode() + cells + b"</row>"


def _xls(path: Path, sheets: int, cells: list[tuple[int, int, str]]) -> None:
    """A minimal XLS (BIFF8 in an OLE2 compound file) whose ``sheets`` sheets hold the same
    text ``cells`` (row, column, text), written as Excel 97 would."""

    def record(kind: int, body: bytes) -> bytes:
        return struct.pack("<HH", kind, len(body)) + body

    def bof(kind: int) -> bytes:
        return record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x0006))

    sheet = bof(0x10) + b"".join(
        record(0x0204, struct.pack("<HHHHB", r, c, 0, len(text), 0) + text.encode("latin-1"))
        for r, c, text in cells
    )
    sheet += record(0x000A, b"")
    names = [f"S{n}".encode() for n in range(sheets)]
    globals_size = len(bof(5)) + sum(4 + 8 + len(n) for n in names) + 4
    stream = bof(5)
    for n, name in enumerate(names):
        where = globals_size + n * len(sheet)
        stream += record(0x0085, struct.pack("<IBBBB", where, 0, 0, len(name), 0) + name)
    stream += record(0x000A, b"") + sheet * sheets
    stream += b"\0" * (-len(stream) % 512 + (4096 if len(stream) < 4096 else 0))
    count = len(stream) // 512  # sectors of the stream: 2 … count + 1 (0 is the FAT, 1 the dir)
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + list(range(3, count + 2)) + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack("<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, 1, 1, 0,
                          4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)  # fmt: skip
    header += struct.pack("<I", 0) + b"\xff" * 4 * 108

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\0\0" if name else b""
        return struct.pack(
            "<64sHBBIII16sIQQII",
            encoded, len(encoded), kind, 1, 0xFFFFFFFF, 0xFFFFFFFF, child,
            bytes(16), 0, 0, 0, start, size,
        ) + bytes(4)  # fmt: skip

    directory = entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry("Workbook", 2, 0xFFFFFFFF, 2,
                                                                 len(stream))  # fmt: skip
    directory += entry("", 0, 0xFFFFFFFF, 0, 0) * 2
    path.write_bytes(header + struct.pack("<128I", *fat[:128]) + directory + stream)


# -- the bombs -----------------------------------------------------------------------------


def xlsx_shared_string(path: Path) -> None:
    """One 400 MB shared string (sharedStrings.xml), referenced by one cell."""
    string = _chain([b"<si><t>"], _repeat(b"A", 400 * MB), [b"</t></si>"])
    _xlsx(path, [_HEADER_ROW, _row(2, b'<c r="A2" t="s"><v>0</v></c>')], shared=string)


def xlsx_inline_string(path: Path) -> None:
    """One 400 MB inline string in a cell of the sheet."""
    cell = _chain([b'<row r="2"><c r="A2" t="inlineStr"><is><t>'], _repeat(b"A", 400 * MB))
    _xlsx(path, _chain([_HEADER_ROW], cell, [b"</t></is></c></row>"]))


def xlsx_attribute(path: Path) -> None:
    """One 400 MB attribute value on a cell."""
    cell = _chain([b'<row r="2"><c r="A2" x="'], _repeat(b"A", 400 * MB))
    _xlsx(path, _chain([_HEADER_ROW], cell, [b'"><v>1</v></c></row>']))


def xlsx_comment(path: Path) -> None:
    """One 400 MB XML comment full of ``<a>`` in the sheet (no text run is long)."""
    comment = _chain([b"<!--"], _repeat(b"<a>", 400 * MB), [b"-->"])
    _xlsx(path, _chain([_HEADER_ROW], comment, [_row(2, b'<c r="A2"><v>1</v></c>')]))


def xlsx_far_cell(path: Path) -> None:
    """A cell at XFD1048576: a reader that pads rows and columns builds 17 billion cells."""
    far = _row(1048576, b'<c r="XFD1048576"><v>1</v></c>')
    _xlsx(path, [_HEADER_ROW, _row(2, b'<c r="A2"><v>1</v></c>'), far])


def xlsx_dimension(path: Path) -> None:
    """Three rows, but a ``<dimension>`` claiming A1:XFD1048576 (openpyxl pads up to it)."""
    rows = [_HEADER_ROW] + [_row(n, f'<c r="A{n}"><v>{n}</v></c>'.encode()) for n in (2, 3)]
    _xlsx(path, rows, dimension="A1:XFD1048576")


def xlsx_wide(path: Path) -> None:
    """2,000 columns."""
    cells = b"".join(f'<c t="inlineStr"><is><t>列{i}</t></is></c>'.encode() for i in range(2000))
    _xlsx(path, [_row(1, cells), _row(2, b"<c><v>1</v></c>" * 2000)])


def xlsx_zip_bomb(path: Path) -> None:
    """A sheet unpacking to 1.1 GB (about 1 MB packed)."""
    rows = _repeat(b"<row><c><v>1</v></c><c><v>2</v></c></row>", 1100 * MB)
    _xlsx(path, _chain([_HEADER_ROW], rows))


def xlsx_shared_reuse(path: Path) -> None:
    """One 32,000-character shared string referenced by 2,000,000 cells (20,000 rows × 100):
    a 4 MB workbook holding 64 billion characters of text."""
    string = _chain([b"<si><t>"], _repeat(b"A1", 32_000), [b"</t></si>"])
    cells = b"<c t='s'><v>0</v></c>" * 100
    rows = (_row(n, cells) for n in range(2, 20_002))
    _xlsx(path, _chain([_HEADER_ROW], rows), shared=string)


def xls_far_cells(path: Path) -> None:
    """A 10 KB XLS whose 8 sheets each hold a cell at IV65536: xlrd pads each sheet to
    65,536 rows × 256 columns."""
    _xls(path, 8, [(0, 0, "name"), (65535, 255, "x")])


def csv_wide(path: Path) -> None:
    """1,000,000 columns (a 2 MB header line)."""
    _write(path, b"a," * 999_999 + b"a\n", b"1,2\n")


def csv_long_line(path: Path) -> None:
    """One 100 MB line, no newline."""
    _write(path, b"a,b\n", _repeat(b"1234567,", 100 * MB))


def csv_quoted_field(path: Path) -> None:
    """A quoted field of 100 MB spanning a million lines."""
    _write(path, '名称,说明\n1,"'.encode(), _repeat(b"x" * 99 + b"\n", 100 * MB), b'"\n')


def csv_long_lines(path: Path) -> None:
    """Within every bound: 48 lines of 4 MB (120 cells of 32,000 characters each). Not a bomb
    (no amplification, the file is as large as its text) but the heaviest shape a legal file
    can take: Frictionless keeps its first 100 rows to infer the schema."""
    cell = b"A" * 32_000
    line = b",".join([cell] * 120) + b"\n"
    _write(path, b",".join(b"c%d" % i for i in range(120)) + b"\n", (line for _ in range(48)))


def json_string(path: Path) -> None:
    """One 200 MB string."""
    _write(path, b'{"a": "', _repeat(b"A", 200 * MB), b'"}')


def json_escaped_quotes(path: Path) -> None:
    """One 200 MB string of escaped quotes (``\\"``): no run between quotes is long."""
    _write(path, b'{"a": "', _repeat(b'\\"', 200 * MB), b'"}')


def json_deep(path: Path) -> None:
    """1,000,000 nested arrays, each holding a string (so quotes come every few bytes)."""
    _write(path, b'["",' * 1_000_000, b"1", b',""]' * 1_000_000)


def xml_text(path: Path) -> None:
    """A 400 MB text node."""
    _write(path, b"<root><a>", _repeat(b"A", 400 * MB), b"</a></root>")


def xml_comment(path: Path) -> None:
    """A 400 MB comment full of ``<a>``."""
    _write(path, b"<root><!--", _repeat(b"<a>", 400 * MB), b"--><a>1</a></root>")


def zip_archive(path: Path) -> None:
    """A ZIP archive holding a CSV that unpacks to 1.1 GB."""
    _zip(path, {"data.csv": _chain([b"a,b\n"], _repeat(b"1,2\n", 1100 * MB))})


def csv_million_rows(path: Path) -> None:
    """The control: 1,000,000 ordinary rows."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("序号,监测点,区县,日期,PM2.5,AQI,首要污染物,备注\n")
        districts = ("江南区", "江北区", "临湖区", "青山区")
        for start in range(0, 1_000_000, 10_000):
            out.write(
                "".join(
                    f"{n},监测点{n % 40},{districts[n % 4]},2026-{1 + n % 12:02d}-"
                    f"{1 + n % 28:02d},{n % 150}.5,{20 + n % 280},PM2.5,\n"
                    for n in range(start + 1, start + 10_001)
                )
            )


@dataclass(frozen=True)
class Bomb:
    name: str
    fmt: str
    write: Callable[[Path], None]
    control: bool = False  # a normal file: it must pass
    bounded: bool = True  # its peak must stay under the memory bound


BOMBS = (
    Bomb("xlsx-shared-string-400MB", "xlsx", xlsx_shared_string),
    Bomb("xlsx-inline-string-400MB", "xlsx", xlsx_inline_string),
    Bomb("xlsx-attribute-400MB", "xlsx", xlsx_attribute),
    Bomb("xlsx-comment-400MB", "xlsx", xlsx_comment),
    Bomb("xlsx-cell-at-XFD1048576", "xlsx", xlsx_far_cell),
    Bomb("xlsx-dimension-XFD1048576", "xlsx", xlsx_dimension),
    Bomb("xlsx-2000-columns", "xlsx", xlsx_wide),
    Bomb("xlsx-zip-bomb-1.1GB", "xlsx", xlsx_zip_bomb),
    Bomb("xlsx-shared-string-reused", "xlsx", xlsx_shared_reuse),
    Bomb("xls-8-sheets-at-IV65536", "xls", xls_far_cells),
    Bomb("csv-1000000-columns", "csv", csv_wide),
    Bomb("csv-one-100MB-line", "csv", csv_long_line),
    Bomb("csv-quoted-field-100MB", "csv", csv_quoted_field),
    Bomb("json-string-200MB", "json", json_string),
    Bomb("json-escaped-quotes-200MB", "json", json_escaped_quotes),
    Bomb("json-1000000-nested", "json", json_deep),
    Bomb("xml-text-node-400MB", "xml", xml_text),
    Bomb("xml-comment-400MB", "xml", xml_comment),
    Bomb("zip-archive-1.1GB", "zip", zip_archive),
    Bomb("csv-48-lines-of-4MB", "csv", csv_long_lines, control=True, bounded=False),
    Bomb("csv-1000000-rows", "csv", csv_million_rows, control=True),
)


# -- the child process ---------------------------------------------------------------------


def _child(path: str, fmt: str) -> None:
    """Prepare one file (or, with no path, only import) and print the outcome as JSON."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    import frictionless  # noqa: F401 — the baseline holds what a preparation imports
    import ijson  # noqa: F401

    import datasets.tables.workbook  # noqa: F401
    from datasets.intake.prepare import prepare_file
    from datasets.intake.records import FileRecord

    if not path:
        print(json.dumps({"outcome": "imports only"}))
        return
    source = Path(path)
    record = FileRecord(path=source, name=source.name, format=fmt)
    started = time.perf_counter()
    try:
        prepared = prepare_file(
            record,
            staging=source.parent / "staging",
            row_limit=100_000,  # the default validation_row_limit
            max_bytes=0,
            scan_row_limit=0,
        )
    except Exception as error:  # noqa: BLE001 — an escaping exception is the finding
        outcome = {"raised": f"{type(error).__name__}: {str(error)[:120]}"}
    else:
        outcome = {
            "held": list(prepared.pii.get("held") or ()),
            "status": prepared.report.get("status"),
            "rows": prepared.row_count,
        }
    outcome["seconds"] = time.perf_counter() - started
    print(json.dumps(outcome, ensure_ascii=False))


def _run_child(path: Path | None, fmt: str) -> dict[str, Any]:
    """Run ``_child`` in a fresh interpreter; its outcome and its own peak RSS."""
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.table_bombs", "--child", str(path or ""), fmt],
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        timer = threading.Timer(TIMEOUT, child.kill)
        timer.start()
        started = time.perf_counter()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = out.read().strip().splitlines()
    result: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    if not lines:
        killed = wall >= TIMEOUT
        result = {"raised": f"killed after {wall:.0f} s" if killed else f"exit {child.returncode}"}
        result["seconds"] = wall
    result["rss_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return result


def _outcome(result: dict[str, Any]) -> str:
    if "raised" in result:
        return f"RAISED {result['raised']}"
    held = result.get("held") or []
    if held:  # a format Frictionless does not validate (XML, ZIP) has no report
        report = f"report {result['status']}" if result.get("status") else "no report"
        return f"held ({report}): {held[0][:50]}"
    rows = result.get("rows")
    return f"passed (report {result['status']}), {rows:,} rows"


def _contained(bomb: Bomb, result: dict[str, Any], baseline: float) -> bool:
    within = float(result["seconds"]) <= SECONDS_BOUND
    if bomb.bounded:
        within = within and float(result["rss_mb"]) <= baseline + MEMORY_BOUND_MB
    if "raised" in result:
        return False
    if bomb.control:
        return within and not result.get("held") and result.get("status") != "error"
    return within and bool(result.get("held")) and result.get("status") in ("error", None)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], sys.argv[3])
        return
    wanted = set(sys.argv[1:])
    bombs = [b for b in BOMBS if not wanted or b.name in wanted]
    baseline = float(_run_child(None, "")["rss_mb"])
    print(
        f"baseline (a fresh process importing the reader, the scanner and Frictionless): "
        f"{baseline:.0f} MB peak RSS"
    )
    print(f"{'file':<27} {'size':>9} {'seconds':>8} {'peak MB':>8} {'+MB':>6}  outcome")
    good = True
    with tempfile.TemporaryDirectory() as folder:
        for bomb in bombs:
            path = Path(folder) / f"{bomb.name}.{bomb.fmt}"
            bomb.write(path)
            size = path.stat().st_size
            result = _run_child(path, bomb.fmt)
            path.unlink()
            ok = _contained(bomb, result, baseline)
            good = good and ok
            shown = f"{size / MB:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} KB"
            rss = float(result["rss_mb"])
            print(
                f"{bomb.name:<27} {shown:>9} {float(result['seconds']):>8.2f} "
                f"{rss:>8.0f} {rss - baseline:>+6.0f}  {'' if ok else '!! '}{_outcome(result)}"
            )
    verdict = "yes" if good else "NO"
    print(
        f"every bomb held with a reason and the controls passed, each within {SECONDS_BOUND} s "
        f"and (but the legal 4 MB lines) baseline + {MEMORY_BOUND_MB} MB: {verdict}"
    )


if __name__ == "__main__":
    main()
