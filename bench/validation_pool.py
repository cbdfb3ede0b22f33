"""Validation and scanning throughput: 200 packages in worker processes against one process.

Run: .venv/bin/python -m bench.validation_pool [packages] [rows]
"""

from __future__ import annotations

import csv
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from datasets.intake.publishing import discard, prepare_files
from datasets.intake.records import FileRecord

HEADER = ["序号", "监测点名称", "所在区县", "监测日期", "PM2.5(μg/m³)", "AQI", "首要污染物", "备注"]
DISTRICTS = ["江南区", "江北区", "临湖区", "青山区", "高新区", "白沙县", "云溪县"]


def write_tables(folder: Path, packages: int, rows: int) -> list[FileRecord]:
    rng = random.Random(7)
    files = []
    for n in range(packages):
        path = folder / f"air-{n:03d}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for i in range(rows):
                writer.writerow(
                    [
                        i + 1,
                        f"监测点{n}-{i % 40}",
                        rng.choice(DISTRICTS),
                        f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                        round(rng.uniform(5, 150), 1),
                        rng.randint(20, 300),
                        rng.choice(["PM2.5", "O3", "PM10", ""]),
                        "",
                    ]
                )
        files.append(FileRecord(path=path, name=path.stem, format="csv"))
    return files


def run(files: list[FileRecord], options: dict, workers: int) -> float:
    started = time.perf_counter()
    if workers == 1:
        for f in files:
            discard(prepare_files([f], **options))
    else:
        context = get_context("forkserver")
        context.set_forkserver_preload(["datasets.intake.prepare", "datasets.intake.publishing"])
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for prepared in pool.map(_prepare_one, files, [options] * len(files)):
                discard(prepared)
    return time.perf_counter() - started


def _prepare_one(record: FileRecord, options: dict) -> list:
    return prepare_files([record], **options)


def main() -> None:
    packages = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        files = write_tables(Path(folder), packages, rows)
        options = {
            "staging": Path(folder) / "staging",
            "row_limit": 0,
            "max_bytes": 0,
            "scan_row_limit": 0,
        }
        single = run(files, options, 1)
        pooled = run(files, options, workers)
    print(f"{packages} packages × {rows} rows (validation + personal-information scan)")
    print(f"one process:      {single:6.2f} s  ({packages / single:5.1f} packages/s)")
    print(f"{workers} worker processes: {pooled:6.2f} s  ({packages / pooled:5.1f} packages/s)")
    print(f"speed-up:         {single / pooled:.2f}×  (aim ≥ 1.7× on 2 cores)")


if __name__ == "__main__":
    main()
