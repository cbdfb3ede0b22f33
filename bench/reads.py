"""How often one publish reads each harvested file: opens, bytes read, hashes, classify calls.

Five representative files — a UTF-8 CSV, a GB18030 CSV (encoding not declared), an XLSX, a JSON
file and a CSV of people published de-identified (masking rules for its personal columns) — are
each harvested from their own data package source into a fresh instance, through the harvest
job (gather → plan → prepare → publish). This process instruments ``builtins.open``/``io.open``
(``Path.open`` goes through it), ``os.open``, ``hashlib`` and ``rules.classify``, and counts, for
the harvested file and every copy of it (its UTF-8 copy in staging, the stored original, the
masked copy):

- opens:   opens of these files, for reading or writing (``os.open`` too)
- reads:   opens of a file object for reading
- read ×:  bytes read from them ÷ the harvested file's size (1.0 is one full read)
- hashes:  hash computations fed at least half the file's size, by the product's code (and,
           apart, by libraries: Frictionless's md5 + sha256 of the stream it validates)
- classify: calls of ``rules.classify`` per harvested record

The time is the median of several harvests of the same file without the instrumentation.
``--save FILE`` writes the figures as JSON; ``--baseline FILE`` prints them beside saved ones
(``bench/reads_before.json``: the figures before one publish learnt to read each file once).

Run: .venv/bin/python -m bench.reads [--rows N] [--runs N] [--save FILE] [--baseline FILE]
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import hashlib
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from datasets.models import Dataset
from datasets.openness import rules
from datasets.runtime import Runtime
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources
from tests.factories import id_number, make_runtime, write_csv, write_package, write_xlsx

HEADER = ["序号", "监测点名称", "所在区县", "监测日期", "PM2.5(μg/m³)", "AQI", "首要污染物", "备注"]
DISTRICTS = ["江南区", "江北区", "临湖区", "青山区", "高新区", "白沙县", "云溪县"]
POLLUTANTS = ["PM2.5", "O3", "PM10", "二氧化氮", ""]
NOTES = ["", "", "设备校准", "数据经人工复核", "沙尘天气影响"]
PEOPLE_HEADER = ["序号", "姓名", "身份证号", "补贴项目", "发放月份", "金额（元）"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红"
MASKING = {"姓名": "mask-name", "身份证号": "mask-id"}
WHOLE_FILE = 0.5  # a hash fed this share of the file's size or more hashes the whole file


# -- the files --------------------------------------------------------------------------------


def air_rows(rows: int, seed: int = 7) -> list[list[Any]]:
    rng = random.Random(seed)
    table: list[list[Any]] = [HEADER]
    for i in range(rows):
        table.append(
            [
                i + 1,
                f"监测点{i % 40}",
                rng.choice(DISTRICTS),
                f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                round(rng.uniform(5, 150), 1),
                rng.randint(20, 300),
                rng.choice(POLLUTANTS),
                rng.choice(NOTES),
            ]
        )
    return table


def people_rows(rows: int, seed: int = 11) -> list[list[Any]]:
    rng = random.Random(seed)
    table: list[list[Any]] = [PEOPLE_HEADER]
    for i in range(rows):
        birth = f"{rng.randint(1940, 1965)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2])))
        table.append(
            [
                i + 1,
                name,
                id_number("430602", birth, f"{rng.randint(0, 999):03d}"),
                rng.choice(["高龄津贴", "养老服务补贴", "护理补贴"]),
                f"2026年{1 + i % 12}月",
                rng.choice([100, 200, 300]),
            ]
        )
    return table


@dataclass(frozen=True)
class Case:
    label: str
    package: str
    filename: str
    fmt: str
    masking: dict[str, str] = field(default_factory=dict)


CASES = (
    Case("UTF-8 CSV", "air-utf8", "air.csv", "csv"),
    Case("GB18030 CSV", "air-gb18030", "air.csv", "csv"),
    Case("XLSX", "air-xlsx", "air.xlsx", "xlsx"),
    Case("JSON", "air-json", "air.json", "json"),
    Case("CSV de-identified", "allowances", "allowances.csv", "csv", MASKING),
)


def write_case(case: Case, folder: Path, rows: int) -> Path:
    """A data package source folder holding ``case``'s package; returns its data file."""
    pkg = folder / case.package
    data = pkg / case.filename
    table = people_rows(rows) if case.masking else air_rows(rows)
    if case.label.startswith("GB18030"):
        write_csv(data, table, encoding="gb18030")
    elif case.fmt == "csv":
        write_csv(data, table)
    elif case.fmt == "xlsx":
        write_xlsx(data, table)
    else:
        data.parent.mkdir(parents=True, exist_ok=True)
        items = [dict(zip(table[0], row, strict=True)) for row in table[1:]]
        data.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    resource = {"name": data.stem, "path": data.name, "format": case.fmt}
    write_package(folder, case.package, title="空气质量监测", resources=[resource])
    if case.masking:
        descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
        descriptor["masking"] = case.masking
        (pkg / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False))
    return data


# -- the instrumentation ----------------------------------------------------------------------


@dataclass
class Counts:
    opens: int = 0
    reads: int = 0
    bytes_read: int = 0
    hashes: list[tuple[str, int]] = field(default_factory=list)  # (caller module, bytes fed)
    classify: int = 0


class Probe:
    """Counts what the process does to the files under ``watched`` (paths and folders)."""

    def __init__(self, watched: list[Path], *, trace: bool = False) -> None:
        self.watched = [str(p.resolve()) for p in watched]
        self.counts = Counts()
        self.trace = trace

    def note(self, what: str) -> None:
        """With ``trace``, print what happened and the product's functions that led to it."""
        if not self.trace:
            return
        frame: Any = sys._getframe(2)
        chain: list[str] = []
        while frame is not None and len(chain) < 6:
            module = frame.f_globals.get("__name__", "")
            if module.startswith(("datasets", "harvester", "frictionless")):
                chain.append(f"{module.rsplit('.', 1)[-1]}.{frame.f_code.co_name}")
            frame = frame.f_back
        print(f"    {what:<28} {' < '.join(chain)}")

    def tracked(self, file: object) -> bool:
        if not isinstance(file, str | bytes | os.PathLike):
            return False
        path = os.path.abspath(os.fsdecode(file))
        return any(path == w or path.startswith(w + os.sep) for w in self.watched)

    @contextlib.contextmanager
    def installed(self) -> Iterator[Counts]:
        patches = [
            (builtins, "open", self._open(io.open)),
            (io, "open", self._open(io.open)),
            (os, "open", self._os_open(os.open)),
            (hashlib, "sha256", self._hash(hashlib.sha256)),
            (hashlib, "new", self._hash(hashlib.new)),
            (rules, "classify", self._classify(rules.classify)),
        ]
        saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
        for owner, name, patched in patches:
            setattr(owner, name, patched)
        try:
            yield self.counts
        finally:
            for owner, name, real in saved:
                setattr(owner, name, real)

    def _open(self, real: Callable[..., Any]) -> Callable[..., Any]:
        counts = self.counts

        class CountingFileIO(io.FileIO):
            def readinto(self, buffer: Any) -> int | None:
                n = super().readinto(buffer)
                counts.bytes_read += n or 0
                return n

            def read(self, size: int | None = -1) -> bytes:
                data = super().read(size)
                counts.bytes_read += len(data or b"")
                return data

            def readall(self) -> bytes:
                data = super().readall()
                counts.bytes_read += len(data)
                return data

        def patched(file: Any, mode: str = "r", buffering: int = -1, *args: Any, **kw: Any) -> Any:
            if not self.tracked(file):
                return real(file, mode, buffering, *args, **kw)
            counts.opens += 1
            if any(c in mode for c in "wax+") or kw.get("opener") or kw.get("closefd") is False:
                self.note(f"open {mode} {Path(os.fsdecode(file)).name[:12]}")
                return real(file, mode, buffering, *args, **kw)
            counts.reads += 1
            self.note(f"open {mode} {Path(os.fsdecode(file)).name[:12]}")
            return _reader(CountingFileIO(file, "r"), mode, buffering, *args, **kw)

        return patched

    def _os_open(self, real: Callable[..., int]) -> Callable[..., int]:
        def patched(path: Any, flags: int, *args: Any, **kw: Any) -> int:
            if self.tracked(path):  # a new temporary file, or a flush to disk: no reading
                self.note(f"os.open {Path(os.fsdecode(path)).name[:12]}")
                self.counts.opens += 1
            return real(path, flags, *args, **kw)

        return patched

    def _hash(self, real: Callable[..., Any]) -> Callable[..., Any]:
        hashes = self.counts.hashes
        note = self.note

        class Counted:
            def __init__(self, inner: Any, slot: int) -> None:
                self._inner, self._slot = inner, slot

            def update(self, data: Any) -> None:
                caller, fed = hashes[self._slot]
                hashes[self._slot] = (caller, fed + memoryview(data).nbytes)
                self._inner.update(data)

            def hexdigest(self) -> str:
                if hashes[self._slot][1] > 4096:
                    note(f"hash of {hashes[self._slot][1]:,} bytes")
                return str(self._inner.hexdigest())

            def copy(self) -> Counted:
                hashes.append(hashes[self._slot])
                return Counted(self._inner.copy(), len(hashes) - 1)

            def __getattr__(self, name: str) -> Any:
                return getattr(self._inner, name)

        def patched(*args: Any, **kw: Any) -> Counted:
            caller = sys._getframe(1).f_globals.get("__name__", "")
            data = next((a for a in args if isinstance(a, bytes | bytearray | memoryview)), b"")
            data = kw.pop("data", kw.pop("string", data))
            args = tuple(a for a in args if not isinstance(a, bytes | bytearray | memoryview))
            hashes.append((caller, 0))
            counted = Counted(real(*args, **kw), len(hashes) - 1)
            if data:
                counted.update(data)
            return counted

        return patched

    def _classify(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def patched(*args: Any, **kw: Any) -> Any:
            self.note("classify")
            self.counts.classify += 1
            return real(*args, **kw)

        return patched


def _reader(raw: io.FileIO, mode: str, buffering: int, *args: Any, **kw: Any) -> Any:
    """What ``open`` returns for reading, built on ``raw``."""
    if buffering == 0:
        return raw
    size = buffering if buffering > 1 else io.DEFAULT_BUFFER_SIZE
    buffered = io.BufferedReader(raw, size)
    if "b" in mode:
        return buffered
    names = ("encoding", "errors", "newline")
    options = {**dict(zip(names, args, strict=False)), **{k: kw[k] for k in names if k in kw}}
    text = io.TextIOWrapper(buffered, line_buffering=buffering == 1, **options)
    text.mode = mode  # type: ignore[misc]
    return text


# -- one harvest ------------------------------------------------------------------------------


@dataclass
class Figures:
    label: str
    size: int
    opens: int
    reads: int
    read_ratio: float
    hashes: int
    hashes_libraries: int
    classify: int
    seconds: float
    outcome: str


def harvest_once(case: Case, folder: Path, data: Path, probe: Probe | None) -> tuple[float, str]:
    """Harvest ``case``'s source into a fresh instance; (seconds, dataset state)."""
    rt: Runtime = make_runtime(folder / "instance")
    try:
        add_source(rt, name="bench", kind="datapackage", location=str(data.parent.parent))
        [source] = get_sources(rt, ["bench"])
        if probe:
            watched = [data, rt.paths.staging, rt.paths.public_files, rt.paths.private_files]
            probe.watched = [str(p.resolve()) for p in watched]
        with probe.installed() if probe else contextlib.nullcontext():
            started = time.perf_counter()
            result = run_source(rt, source)
            seconds = time.perf_counter() - started
        assert result.status == "finished" and result.counts["added"] == 1, result.summary()
        with rt.reader() as session:
            dataset = session.query(Dataset).one()
            state = f"{dataset.state}{' masked' if dataset.deidentified else ''}"
        return seconds, state
    finally:
        rt.close()


def measure(case: Case, rows: int, runs: int, *, trace: bool = False) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = write_case(case, folder / "source", rows)
        size = data.stat().st_size
        probe = Probe([], trace=trace)
        if trace:
            print(f"{case.label}:")
        _, state = harvest_once(case, folder / "probed", data, probe)
        times = [harvest_once(case, folder / f"run{n}", data, None)[0] for n in range(runs)]
    counts = probe.counts
    whole = [caller for caller, fed in counts.hashes if fed >= WHOLE_FILE * size]
    ours = [c for c in whole if c.startswith(("datasets.", "harvester."))]
    return Figures(
        label=case.label,
        size=size,
        opens=counts.opens,
        reads=counts.reads,
        read_ratio=counts.bytes_read / size,
        hashes=len(ours),
        hashes_libraries=len(whole) - len(ours),
        classify=counts.classify,
        seconds=statistics.median(times),
        outcome=state,
    )


# -- the report -------------------------------------------------------------------------------


def print_figures(figures: list[Figures]) -> None:
    print(
        f"{'file':<18} {'size':>9} {'opens':>5} {'reads':>5} {'read ×':>7} "
        f"{'hashes':>6} {'+lib':>4} {'classify':>8} {'time s':>7}  published"
    )
    for f in figures:
        print(
            f"{f.label:<18} {f.size:>9,} {f.opens:>5} {f.reads:>5} {f.read_ratio:>7.2f} "
            f"{f.hashes:>6} {f.hashes_libraries:>4} {f.classify:>8} {f.seconds:>7.3f}  "
            f"{f.outcome}"
        )
    print("(+lib: hashes libraries make: Frictionless's md5 + sha256 of what it validates)")


def print_comparison(before: list[dict[str, Any]], after: list[Figures]) -> None:
    old = {b["label"]: b for b in before}
    print(
        f"{'file':<18} {'opens':>9} {'reads':>9} {'read ×':>13} {'hashes':>9} "
        f"{'classify':>9} {'time s':>15}"
    )
    for f in after:
        b = old.get(f.label)
        if b is None:
            continue
        print(
            f"{f.label:<18} {b['opens']:>4} → {f.opens:<2} {b['reads']:>4} → {f.reads:<2} "
            f"{b['read_ratio']:>5.2f} → {f.read_ratio:<5.2f} {b['hashes']:>4} → {f.hashes:<2} "
            f"{b['classify']:>4} → {f.classify:<2} {b['seconds']:>6.3f} → {f.seconds:<6.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--trace", action="store_true", help="print every open, hash, classify")
    args = parser.parse_args()
    figures = [measure(case, args.rows, args.runs, trace=args.trace) for case in CASES]
    print(f"one harvest per file, {args.rows} rows each; time: median of {args.runs} runs")
    print_figures(figures)
    if args.save:
        args.save.write_text(json.dumps([asdict(f) for f in figures], indent=1) + "\n")
    if args.baseline:
        print(f"\nbefore ({args.baseline.name}) → after")
        print_comparison(json.loads(args.baseline.read_text()), figures)


if __name__ == "__main__":
    main()
