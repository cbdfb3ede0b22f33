"""Measure the personal-information scanner: precision and recall on the labelled tables of
``bench/labelled`` (regenerate them with ``python -m bench.labelled.build``), then its speed and
memory on generated 1,000,000-row CSV files. Always exits 0: it is a measurement.

Run: .venv/bin/python -m bench.scanner_accuracy
"""

from __future__ import annotations

import csv
import json
import random
import resource
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.labelled import fake
from datasets.openness.pii.kinds import KINDS
from datasets.openness.pii.reading import scan_table
from datasets.openness.pii.scanner import ScanReport

LABELLED = Path(__file__).parent / "labelled"
RECALL_TARGET = 0.99
FALSE_ALARM_TARGET = 0.01
BIG_ROWS = 1_000_000


@dataclass
class Tally:
    personal: int = 0
    clean: int = 0
    caught: int = 0  # personal columns with a personal finding
    false_alarms: int = 0  # clean columns with a personal finding
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, tp/fp/fn)
    misses: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    wrong_kind: list[str] = field(default_factory=list)


def evaluate(labels: dict[str, dict[str, list[str]]]) -> Tally:
    tally = Tally()
    for table, columns in labels.items():
        report = scan_table(LABELLED / "tables" / table, "csv")
        table_columns = report.columns if report.table_columns is None else report.table_columns
        if list(table_columns) != list(columns):
            raise SystemExit(f"{table}: labels do not cover the columns {table_columns}")
        for column, kinds in columns.items():
            _score(tally, table, column, set(kinds), report)
    return tally


def _score(tally: Tally, table: str, column: str, wanted: set[str], report: ScanReport) -> None:
    found = [f for f in report.findings if f.column == column and f.personal]
    got = {f.kind for f in found}
    where = f"{table} · {column}"
    detail = "; ".join(f"{f.kind} {f.hits}/{f.rows} ({f.evidence}) e.g. {f.example}" for f in found)
    for kind in wanted | got:
        outcome = "tp" if kind in wanted and kind in got else "fn" if kind in wanted else "fp"
        tally.kinds[kind, outcome] += 1
    if wanted:
        tally.personal += 1
        if got:
            tally.caught += 1
            if got != wanted:
                tally.wrong_kind.append(f"{where}: labelled {sorted(wanted)}, found {detail}")
        else:
            tally.misses.append(f"{where}: labelled {sorted(wanted)}, found nothing")
    else:
        tally.clean += 1
        if got:
            tally.false_alarms += 1
            tally.alarms.append(f"{where}: {detail}")


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:7.2%}" if whole else "      —"


def print_accuracy(tally: Tally, tables: int) -> tuple[float, float]:
    total = tally.personal + tally.clean
    print(f"labelled tables:   {tables}")
    print(f"labelled columns:  {total} ({tally.personal} personal, {tally.clean} clean)")
    print()
    print("kind          labelled  found  precision  recall")
    for kind in KINDS:
        tp, fp, fn = (tally.kinds[kind.code, o] for o in ("tp", "fp", "fn"))
        if tp + fp + fn:
            print(
                f"{kind.code:12s} {tp + fn:9d} {tp + fp:6d}    {_ratio(tp, tp + fp)} "
                f"{_ratio(tp, tp + fn)}"
            )
    recall = tally.caught / tally.personal if tally.personal else 1.0
    alarms = tally.false_alarms / tally.clean if tally.clean else 0.0
    print()
    print(f"personal columns caught: {tally.caught}/{tally.personal} = {recall:.2%} (recall)")
    flagged = f"{tally.false_alarms}/{tally.clean}"
    print(f"clean columns flagged:   {flagged} = {alarms:.2%} (false alarms)")
    for title, lines in (
        ("missed personal columns", tally.misses),
        ("false alarms on clean columns", tally.alarms),
        ("caught, but kinds differ from the label", tally.wrong_kind),
    ):
        print(f"{title}: {len(lines)}")
        for line in lines:
            print(f"  - {line}")
    return recall, alarms


# --- speed and memory -----------------------------------------------------------------------

REGISTER = ("序号", "姓名", "身份证号", "手机号码", "家庭住址", "补贴金额(元)", "发放日期", "备注")
DIRECTORY = ("序号", "企业名称", "统一社会信用代码", "法定代表人", "注册资本(万元)", "成立日期",
             "住所", "联系电话")  # fmt: skip


def _register_row(rnd: random.Random) -> list[str]:
    return [
        "",
        fake.name(rnd, 0.05),
        fake.id18(rnd, x=rnd.random() < 0.1),
        fake.mobile(rnd),
        fake.address(rnd),
        fake.amount(rnd, 100, 3000),
        fake.day(rnd, 2024, 2025),
        rnd.choice(("", "", "", "已核实", f"请联系{fake.mobile(rnd)}办理", "家庭人口3人")),
    ]


def _directory_row(rnd: random.Random) -> list[str]:
    return [
        "",
        fake.company(rnd),
        fake.credit_code(rnd, digits_only=rnd.random() < 0.2),
        fake.name(rnd),
        fake.amount(rnd, 10, 50000),
        fake.day(rnd, 1995, 2024),
        fake.institution_address(rnd),
        fake.landline(rnd),
    ]


def write_big_table(path: Path, header: tuple[str, ...], make_row, rows: int) -> None:
    """``rows`` rows cycling through 20,000 distinct generated ones (numbered 1…rows)."""
    rnd = random.Random(11)
    pool = [make_row(rnd) for _ in range(20_000)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for i in range(rows):
            row = pool[i % len(pool)]
            row[0] = str(i + 1)
            writer.writerow(row)


def measure_speed() -> None:
    print()
    print(f"throughput on generated {BIG_ROWS:,}-row × 8-column CSV files (scan_table, all rows):")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as folder:
        for title, header, make_row in (
            ("personal register (5 of 8 columns personal)", REGISTER, _register_row),
            ("company directory (no personal data)", DIRECTORY, _directory_row),
        ):
            path = Path(folder) / "big.csv"
            write_big_table(path, header, make_row, BIG_ROWS)
            size = path.stat().st_size
            started = time.perf_counter()
            report = scan_table(path, "csv")
            elapsed = time.perf_counter() - started
            path.unlink()
            personal = ", ".join(report.personal_columns) or "none"
            print(
                f"  {title}: {report.rows_scanned / elapsed:,.0f} rows/s "
                f"({elapsed:.1f} s, {size / elapsed / 2**20:.0f} MiB/s of {size / 2**20:.0f} MiB); "
                f"personal columns: {personal}"
            )
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS: {after / 1024:.0f} MiB ({before / 1024:.0f} MiB before the large scans)")


def main() -> None:
    labels = json.loads((LABELLED / "labels.json").read_text(encoding="utf-8"))
    started = time.perf_counter()
    tally = evaluate(labels)
    elapsed = time.perf_counter() - started
    recall, alarms = print_accuracy(tally, len(labels))
    print(f"(labelled tables scanned in {elapsed:.2f} s)")
    measure_speed()
    met = recall >= RECALL_TARGET and alarms <= FALSE_ALARM_TARGET
    print()
    print(
        f"{'TARGET MET' if met else 'TARGET MISSED'}: recall {recall:.2%} (≥ {RECALL_TARGET:.0%}), "
        f"false alarms {alarms:.2%} (≤ {FALSE_ALARM_TARGET:.0%})"
    )


if __name__ == "__main__":
    main()
