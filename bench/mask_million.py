"""Mask a generated CSV of 1,000,000 synthetic people with the default rules; print the figures.

The table (序号, 姓名, 身份证号, 手机号码, 银行卡号, 家庭住址, 出生日期, 备注 — a phone number in
about a third of the 备注) is generated with a fixed seed in a temporary folder and removed after.
Each size is masked in its own process, so each peak RSS is that run's own: the same figure for
100,000 and 1,000,000 rows shows that memory does not grow with the file.

Run: .venv/bin/python -m bench.mask_million
"""

from __future__ import annotations

import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from datasets.openness.masking import default_rules, mask_csv
from datasets.openness.pii.patterns import id18_check_char, luhn_valid

SIZES = (100_000, 1_000_000)
SEED = 37964
HEADER = ["序号", "姓名", "身份证号", "手机号码", "银行卡号", "家庭住址", "出生日期", "备注"]
# What the scanner reports for this table.
FINDINGS = [
    ("姓名", "name"),
    ("身份证号", "id_card"),
    ("手机号码", "mobile"),
    ("银行卡号", "bank_card"),
    ("家庭住址", "address"),
    ("出生日期", "birth_date"),
    ("备注", "mobile"),
]
KEY = b"bench-key-not-a-secret"

_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐") + ["欧阳", "司马", "诸葛"]
_GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红")
_REGIONS = ["430602", "430603", "430611", "430621", "430681", "360402", "360403", "110105"]
_PLACES = ["江州市江南区", "江州市江北区", "湖南省岳阳市岳阳楼区", "湖南省岳阳市汨罗市"]
_STREETS = ["建设路", "人民路", "洞庭北路", "解放大道", "滨江路", "青年路"]
_NOTES = ["", "", "已办结", "材料齐全，已受理", "待复核", "本人办理"]


def _pools(rng: random.Random, size: int = 4096) -> dict[str, list[str]]:
    ids, births, cards, names, addresses = [], [], [], [], []
    for _ in range(size):
        year, month, day = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        first17 = f"{rng.choice(_REGIONS)}{year}{month:02d}{day:02d}{rng.randint(0, 999):03d}"
        ids.append(first17 + id18_check_char(first17))
        forms = [f"{year}-{month:02d}-{day:02d}", f"{year}年{month}月{day}日", first17[6:14]]
        births.append(rng.choice(forms))
        card = f"622202{rng.randrange(10**12):012d}"
        cards.append(card + next(d for d in "0123456789" if luhn_valid(card + d)))
        given = "".join(rng.choices(_GIVEN, k=rng.choice([1, 2])))
        names.append(rng.choice(_SURNAMES) + given)
        addresses.append(
            f"{rng.choice(_PLACES)}{rng.choice(_STREETS)}{rng.randint(1, 300)}号"
            f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(101, 2604)}室"
        )
    return {"ids": ids, "births": births, "cards": cards, "names": names, "addresses": addresses}


def generate(path: Path, rows: int, seed: int = SEED) -> None:
    """Write ``rows`` synthetic people to ``path`` (UTF-8 with BOM, as Excel users send them)."""
    rng = random.Random(seed)
    pools = _pools(rng)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for start in range(0, rows, 10_000):
            chunk = []
            for n in range(start + 1, min(start + 10_000, rows) + 1):
                i = rng.getrandbits(12)
                mobile = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
                note = f"请联系{mobile}办理" if n % 3 == 0 else _NOTES[n % len(_NOTES)]
                chunk.append(
                    [
                        n,
                        pools["names"][i],
                        pools["ids"][i],
                        mobile,
                        pools["cards"][rng.getrandbits(12)],
                        pools["addresses"][rng.getrandbits(12)],
                        pools["births"][i],
                        note,
                    ]
                )
            writer.writerows(chunk)


def _measure(source: Path) -> dict[str, float]:
    """Mask ``source`` in this process; the figures of this run only."""
    target = source.with_name("masked.csv")
    started = time.perf_counter()
    stats = mask_csv(source, target, default_rules(FINDINGS), key=KEY)
    seconds = time.perf_counter() - started
    figures = {
        "rows": stats.rows,
        "seconds": seconds,
        "in_mb": source.stat().st_size / 2**20,
        "out_mb": target.stat().st_size / 2**20,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
    }
    target.unlink()
    return figures


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(_measure(Path(sys.argv[2]))))
        return
    print(f"rules: {default_rules(FINDINGS)}")
    columns = ("rows", 10), ("seconds", 8), ("rows/s", 9), ("in MB", 7), ("out MB", 7)
    print(" ".join(f"{name:>{width}}" for name, width in columns), f"{'peak RSS MB':>12}")
    peaks = []
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            source = Path(folder) / f"people-{size}.csv"
            generate(source, size)
            run = subprocess.run(
                [sys.executable, "-m", "bench.mask_million", "--measure", str(source)],
                check=True,
                capture_output=True,
                text=True,
            )
            source.unlink()
            f = json.loads(run.stdout)
            peaks.append(f["rss_mb"])
            print(
                f"{f['rows']:>10,} {f['seconds']:>8.2f} {f['rows'] / f['seconds']:>9,.0f} "
                f"{f['in_mb']:>7.1f} {f['out_mb']:>7.1f} {f['rss_mb']:>12.1f}"
            )
    growth = peaks[-1] - peaks[0]
    print(f"peak RSS for {SIZES[-1] // SIZES[0]}× the rows: {growth:+.1f} MB (bounded memory)")


if __name__ == "__main__":
    main()
