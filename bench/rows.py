"""The row API at scale: a 1,000,000-row table (and a 100,000-row one) published through the
harvester into the row store, served by gunicorn (1 process, 4 threads, as in production),
against Datasette 0.65.5 serving the same rows from one SQLite table with the same indexes
(1 process), in the same run.

Measured, one client at a time: a filtered, sorted page (100 rows of one 区县 above an amount,
by date, newest first; 40 different filters, 3 rounds: p50/p95), a deep page (100 rows from
position 900,000 in amount order, by each one's keyset token: p50/p95 of 20), and a streamed
CSV export of the whole table (rows/s); the portal worker's peak memory during the export of
the 100,000-row and the 1,000,000-row table (it should not grow with the table).

Run:  make bench-venv     # once: .venv-bench with datasette==0.65.5
      .venv/bin/python -m bench.rows              # --rows 1000000 (and a tenth of it)
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from bench import search_corpus as load

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["编号", "区县", "类别", "金额", "日期", "数量", "名称"]
DISTRICTS = ["江南区", "江北区", "临湖区", "云溪县", "青山县", "白鹭区", "八一区", "长江区"]
KINDS = [f"{k}类" for k in "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"]
SEED = 20261206


def write_table(path: Path, count: int) -> None:
    """``count`` rows of a realistic register, seeded."""
    rng = random.Random(SEED + count)
    start = date(2015, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(1, count + 1):
            district, kind = rng.choice(DISTRICTS), rng.choice(KINDS)
            writer.writerow(
                [
                    f"XM{n:08d}",
                    district,
                    kind,
                    f"{rng.uniform(100, 1_000_000):.2f}",
                    (start + timedelta(days=rng.randrange(4000))).isoformat(),
                    rng.randrange(1, 500),
                    f"{district}{kind}项目{n}",
                ]
            )


def package(folder: Path, name: str, count: int) -> None:
    pkg = folder / name
    write_table(pkg / "data.csv", count)
    descriptor = {
        "name": name,
        "title": f"政府投资项目登记（{count} 行）",
        "description": "基准测试用的项目登记表。",
        "provider": {"name": "江州市发展和改革委员会", "code": "11361000MB0000009X"},
        "topic": "经济建设",
        "update_cycle": "每月",
        "resources": [{"name": "data", "path": "data.csv", "format": "csv"}],
    }
    (pkg / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), "utf-8")


def publish(instance: Path, source: Path) -> dict[str, Any]:
    """Harvest both packages (validation, scan, store, row store); time it; the tables' ids."""
    from sqlalchemy import select

    from datasets.database import upgrade
    from datasets.models import Dataset, Resource, RowTable
    from datasets.runtime import Runtime
    from datasets.settings import load_settings
    from harvester.jobs import run_source
    from harvester.sources import add_source, get_sources

    rt = Runtime(load_settings({"instance": str(instance)}, environ={}))
    upgrade(rt)
    add_source(rt, name="bench", kind="datapackage", location=str(source))
    started = time.perf_counter()
    result = run_source(rt, get_sources(rt, ["bench"])[0])
    took = time.perf_counter() - started
    if result.status != "finished":
        raise SystemExit(result.summary())
    with rt.reader() as session:
        found = session.execute(
            select(Dataset.name, Resource.id, RowTable.row_count)
            .join(Resource, Resource.dataset_id == Dataset.id)
            .join(RowTable, RowTable.resource_id == Resource.id)
        ).all()
    rt.close()
    return {"publish_s": took, "tables": {n: (rid, c) for n, rid, c in found}}


def peer_database(db: Path, source: Path) -> None:
    """The same rows for Datasette: typed columns, indexes on the filtered and sorted ones."""
    connection = sqlite3.connect(db)
    connection.execute(
        "CREATE TABLE big (编号 TEXT, 区县 TEXT, 类别 TEXT, 金额 REAL, 日期 TEXT,"
        " 数量 INTEGER, 名称 TEXT)"
    )
    with (source / "big" / "data.csv").open(encoding="utf-8") as handle:
        rows = csv.reader(handle)
        next(rows)
        connection.executemany(
            "INSERT INTO big VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((a, b, c, float(d), e, int(f), g) for a, b, c, d, e, f, g in rows),
        )
    for column in HEADER:
        connection.execute(f'CREATE INDEX "big_{column}" ON big ("{column}")')
    connection.commit()
    connection.close()


def timed(port: int, paths: list[str], rounds: int) -> dict[str, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    for path in paths:  # warm-up
        status, _ = load.get(connection, path)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    times = []
    for _ in range(rounds):
        for path in paths:
            started = time.perf_counter()
            load.get(connection, path)
            times.append((time.perf_counter() - started) * 1e3)
    connection.close()
    cuts = statistics.quantiles(sorted(times), n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94]}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def export(port: int, path: str, pid: int | None) -> dict[str, float]:
    """Stream ``path`` to the end; rows/s, and the peak growth of ``pid``'s memory meanwhile."""
    peak, done = [0.0], threading.Event()
    base = rss_mb(pid) if pid else 0.0

    def watch() -> None:
        while not done.is_set() and pid:
            peak[0] = max(peak[0], rss_mb(pid) - base)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    lines = 0
    tail = b""
    while chunk := response.read(1 << 16):
        lines += chunk.count(b"\n")
        tail = chunk[-1:]
    took = time.perf_counter() - started
    done.set()
    watcher.join()
    connection.close()
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}")
    rows = lines - 1 + (tail != b"\n")
    return {"rows": rows, "rows_per_s": rows / took, "seconds": took, "peak_mb": peak[0]}


def filtered_paths(prefix: str, count: int) -> list[str]:
    """40 filters: one 区县, an amount floor, newest first, 100 rows."""
    rng = random.Random(SEED)
    paths = []
    for _ in range(40):
        params = {"区县": rng.choice(DISTRICTS), "金额__gt": f"{rng.uniform(0, 900_000):.0f}"}
        paths.append(prefix + urlencode({**params, "_sort_desc": "日期", "_size": "100"}))
    return paths


def deep_positions(db: Path, count: int) -> list[tuple[float, int]]:
    """(金额, row number) of 20 rows from 90% of the table on, in amount order."""
    connection = sqlite3.connect(db)
    out = []
    for k in range(20):
        offset = int(count * 0.9) + k * (count // 200)
        out.append(
            connection.execute(
                "SELECT 金额, rowid FROM big ORDER BY 金额, rowid LIMIT 1 OFFSET ?", (offset,)
            ).fetchone()
        )
    connection.close()
    return out


def run_portal(args: Any, folder: Path, db: Path) -> dict[str, Any]:
    from datasets.rows.query import make_token

    instance = folder / "instance"
    print(f"[portal] publishing {args.rows} + {args.rows // 10} rows …", flush=True)
    published = publish(instance, folder / "source")
    big, big_count = published["tables"]["big"]
    small, _ = published["tables"]["small"]
    print(f"[portal] published in {published['publish_s']:.1f} s; serving …", flush=True)
    env = {**os.environ, "KAIFANG_INSTANCE": str(instance), "KAIFANG_RATELIMIT_ENABLED": "false"}
    env["KAIFANG_LOG_LEVEL"] = "WARNING"
    port = load.free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-w", "1", "-k", "gthread", "--threads", "4"]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "portal.wsgi:app"]
    rows = f"/api/v1/resources/{big}/rows?"
    deep = [
        rows + urlencode({"_sort": "金额", "_size": "100", "_next": token})
        for token in (
            make_token([("金额", False), ("_id", False)], {"金额": v, "_id": i})
            for v, i in deep_positions(db, big_count)
        )
    ]
    with load.serve([command], env, [port], "/api/3/action/status_show") as pids:
        pid = pids()[0]
        result = {
            "filtered": timed(port, filtered_paths(rows, big_count), args.rounds),
            "deep": timed(port, deep, args.rounds),
            "export": export(port, f"/api/v1/resources/{big}/rows/export?_format=csv", pid),
            "export_small": export(port, f"/api/v1/resources/{small}/rows/export?_format=csv", pid),
        }
    return {**result, "publish_s": published["publish_s"], "rows": big_count}


def run_datasette(args: Any, db: Path) -> dict[str, Any]:
    datasette = ROOT / ".venv-bench" / "bin" / "datasette"
    if not datasette.exists():
        raise SystemExit(f"{datasette} is missing: run `make bench-venv` first")
    port = load.free_port()
    command = [str(datasette), "serve", "-i", str(db), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--setting", "max_csv_mb", "0"]
    command += ["--setting", "sql_time_limit_ms", "30000", "--setting", "suggest_facets", "off"]
    table = "/peer/big"
    deep = [
        f"{table}.json?"
        + urlencode({"_sort": "金额", "_size": "100", "_shape": "objects"})
        + f"&_next={quote(f'{v},{i}')}"
        for v, i in deep_positions(db, args.rows)
    ]
    with load.serve([command], dict(os.environ), [port], "/peer.json") as pids:
        pid = pids()[0] if pids() else None
        return {
            "filtered": timed(
                port, filtered_paths(f"{table}.json?_shape=objects&", args.rows), args.rounds
            ),
            "deep": timed(port, deep, args.rounds),
            "export": export(port, f"{table}.csv?_stream=on&_size=max", pid),
        }


def report(ours: dict[str, Any], peer: dict[str, Any]) -> None:
    print(f"\nrow API, {ours['rows']:,} rows ({os.cpu_count()} cores; one client at a time)")
    print(f"publishing both tables (validation, scan, store, row store): {ours['publish_s']:.1f} s")
    print(f"{'':34}{'portal':>12}{'Datasette':>12}{'ratio':>8}")
    for key, label in (("filtered", "filtered, sorted page"), ("deep", "deep page (keyset)")):
        for cut in ("p50", "p95"):
            a, b = ours[key][cut], peer[key][cut]
            print(f"{label + ' ' + cut + ' (ms)':34}{a:12.1f}{b:12.1f}{b / a:8.2f}")
    a, b = ours["export"]["rows_per_s"], peer["export"]["rows_per_s"]
    print(f"{'CSV export (rows/s)':34}{a:12,.0f}{b:12,.0f}{a / b:8.2f}")
    small, big = ours["export_small"], ours["export"]
    print(
        f"export peak memory growth: {small['peak_mb']:.1f} MB at {small['rows']:,} rows, "
        f"{big['peak_mb']:.1f} MB at {big['rows']:,} rows"
    )
    aims = {
        "filtered p95 at or below Datasette's": ours["filtered"]["p95"] <= peer["filtered"]["p95"],
        "deep page p95 at or below Datasette's": ours["deep"]["p95"] <= peer["deep"]["p95"],
        "export rows/s at or above Datasette's": a >= b,
        "export memory flat (1M within 10 MB of 100k)": big["peak_mb"] <= small["peak_mb"] + 10,
        "every row exported": big["rows"] == ours["rows"],
    }
    for aim, ok in aims.items():
        print(f"  {'met' if ok else 'NOT met'}: {aim}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        print(f"writing {args.rows:,} and {args.rows // 10:,} rows …", flush=True)
        package(folder / "source", "big", args.rows)
        package(folder / "source", "small", args.rows // 10)
        db = folder / "peer.db"
        peer_database(db, folder / "source")
        ours = run_portal(args, folder, db)
        peer = run_datasette(args, db)
    print(json.dumps({"portal": ours, "datasette": peer}, ensure_ascii=False))
    report(ours, peer)


if __name__ == "__main__":
    main()
