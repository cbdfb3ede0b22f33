"""The static build at scale: a full build, an incremental one, and dataset pages through nginx
from the tree against the dynamic app, in the same run.

Publishes N realistic datasets (``bench.search_corpus``, through the service layer as
``bench.search_scale`` does: 500 per transaction), builds the static tree (``kaifang
build-static``'s ``build``, one render process per core) and prints its time, files and bytes;
changes one dataset's title through the same publishing path (with ``KAIFANG_STATIC_DIR`` set,
so its files leave the tree in that commit) and times the incremental build, five times (the
median reported); then serves the
catalog with gunicorn (2 processes, gthread, 4 threads, as ``kaifang serve``) behind Debian's
nginx with config/nginx-static.conf.template, and 8 keep-alive clients read the same dataset
pages from nginx (the tree) and from gunicorn directly (the app). Prints p50/p95 and requests per
second of each, and the aims met or not.

Run:  .venv/bin/python -m bench.static --datasets 100000
Quick: .venv/bin/python -m bench.static --datasets 2000
Also --pages N (dataset pages read, 200), --rounds N (2; each after a warm-up pass) and --parts
(builds,throughput,slow: which to run; the builds always). Then
``bench.slow_clients`` on a demo-like instance with a 16 MB public file: a probe's latency while
50 clients download it at 100 KB/s each, against ``kaifang serve`` and the nginx hybrid (--rounds
rounds of 20 s each; --clients, --rate, --seconds as there).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench import search_corpus as load
from bench import slow_clients
from bench.search_scale import harvest_record, publish, publish_all
from datasets.database import upgrade
from datasets.models import Dataset
from datasets.runtime import Runtime
from datasets.search.indexing import refresh_statistics
from datasets.settings import load_settings
from harvester.sources import get_sources

FULL_AIM_S, INCREMENTAL_AIM_S = 600.0, 2.0
CHANGES = 5  # incremental builds, each after one change


def create(instance: Path, out: Path, count: int) -> tuple[float, list[load.Entry]]:
    rt = Runtime(load_settings({"instance": str(instance)}, environ={}))
    upgrade(rt)
    entries = load.records(count)
    took = publish_all(rt, entries)
    refresh_statistics(rt)  # as a harvest ends: the planner told the tables' shape
    rt.close()
    return took, entries


def change_one(instance: Path, out: Path, entry: load.Entry) -> str:
    """One dataset's title changed through the publishing path, as a harvest would."""
    settings = {"instance": str(instance), "static_dir": str(out)}
    rt = Runtime(load_settings(settings, environ={}))
    source_id = get_sources(rt, ["bench"])[0].id
    with rt.session() as session:
        name = publish(
            session, rt, replace(harvest_record(entry), title=f"{entry.title}（修订）"), source_id
        ).name
    rt.close()
    return name


def builds(instance: Path, out: Path, base: str, entries: list[load.Entry]) -> dict[str, Any]:
    from portal.app import create_app
    from portal.publish.build import build

    app = create_app({"instance": str(instance), "base_url": base, "ratelimit_enabled": False})
    creating = file_creation_ms(out.parent)
    print(f"creating an empty file here: {creating:.3f} ms of CPU (median of 5 × 1,000)")
    full = build(app, out, base_url=base, full=True)
    rate = full.seconds * 1e3 / len(entries)
    print(
        f"full build: {full.seconds:.1f} s ({rate:.2f} ms per dataset), {full.files} files, "
        f"{full.bytes} bytes; creating them alone ≈ {full.files * creating / 1e3:.0f} s of CPU",
        flush=True,
    )
    # the first build after it writes the second tree (every file linked, nothing rendered);
    # from then on a build rewrites the previous tree in place
    second = build(app, out, base_url=base)
    print(f"second build (the second tree): {second.seconds:.2f} s", flush=True)
    times, gone = [], True
    for k in range(CHANGES):  # one dataset changed before each build; the median is reported
        name = change_one(instance, out, entries[(len(entries) // 2 + k) % len(entries)])
        gone = gone and not (out / "current" / "dataset" / name).exists()
        started = time.perf_counter()
        incremental = build(app, out, base_url=base)
        times.append(time.perf_counter() - started)
        read = "the changes since its tree" if incremental.from_changes else "the whole catalog"
        print(
            f"incremental build {k + 1}: {times[-1]:.2f} s, {incremental.datasets_rendered} "
            f"datasets and {incremental.rendered} files written, {incremental.linked} linked; "
            f"read {read}",
            flush=True,
        )
    took = statistics.median(times)
    for label, result in (("full", full), ("after one change", incremental)):
        steps = ", ".join(f"{k} {v:.2f} s" for k, v in result.phases.items())
        print(f"  {label}: {steps}", flush=True)
    app.extensions["kaifang"].close()
    return {
        "full": full,
        "second": second,
        "incremental": incremental,
        "incremental_s": took,
        "removed_at_once": gone,
    }


def file_creation_ms(folder: Path) -> float:
    """The CPU time (ms) this machine's kernel takes to create an empty file in ``folder``'s
    file system: a full build creates every file of its tree new (on some virtual machines this
    costs more than rendering a small page)."""
    probe = Path(tempfile.mkdtemp(prefix=".probe-", dir=folder))
    laps = []
    try:
        for lap in range(5):
            started = time.process_time()
            for n in range(1_000):
                os.close(os.open(probe / f"{lap}-{n}", os.O_WRONLY | os.O_CREAT | os.O_EXCL))
            laps.append(time.process_time() - started)
    finally:
        shutil.rmtree(probe)
    return statistics.median(laps)  # seconds per 1,000 files = ms per file


def throughput(instance: Path, out: Path, port: int, args: Any) -> dict[str, Any]:
    """Dataset pages from nginx (the tree) and from gunicorn (the app)."""
    rt = Runtime(load_settings({"instance": str(instance)}, environ={}))
    with rt.reader() as session:
        names = list(session.scalars(select(Dataset.name).where(Dataset.state == "active")))
    rt.close()
    paths = [f"/dataset/{n}" for n in random.Random(5).sample(names, min(args.pages, len(names)))]
    env = {
        **os.environ,
        "KAIFANG_INSTANCE": str(instance),
        "KAIFANG_BASE_URL": f"http://127.0.0.1:{port}",
        "KAIFANG_RATELIMIT_ENABLED": "false",
        "KAIFANG_LOG_LEVEL": "WARNING",
    }
    with slow_clients.behind_nginx(instance, out, port, 2, env) as app_port:
        return {
            "static": _read(port, paths, args.rounds),
            "dynamic": _read(app_port, paths, args.rounds),
        }


def _read(port: int, paths: list[str], rounds: int) -> dict[str, Any]:
    out, wall = load._clients([port], paths, rounds, load.SEED)
    latencies = sorted(t * 1e3 for t, _ in out)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    errors = sum(1 for _, status in out if status != 200)
    return {
        "p50": cuts[49],
        "p95": cuts[94],
        "rps": len(out) / wall,
        "n": len(out),
        "errors": errors,
    }


def report(count: int, created_s: float, b: dict[str, Any], t: dict[str, Any] | None) -> None:
    full, inc = b["full"], b["incremental"]
    cores = os.cpu_count()
    print(f"\n## static build, {count} datasets ({cores} cores; publishing took {created_s:.0f} s)")
    print("| build | seconds | files | bytes | written | linked | datasets rendered |")
    print("|---|---|---|---|---|---|---|")
    second = b["second"]
    for label, r, seconds in (
        ("full", full, full.seconds),
        ("second (makes the second tree)", second, second.seconds),
        (f"after one change (median of {CHANGES})", inc, b["incremental_s"]),
    ):
        cells = [f"{seconds:.2f}", str(r.files), f"{r.bytes:,}", str(r.rendered), str(r.linked)]
        print(f"| {label} | {' | '.join(cells)} | {r.datasets_rendered} |")
    print(f"removed from the tree in the change's commit: {b['removed_at_once']}")
    if t is not None:
        _report_throughput(t)
    linear = full.seconds * 100_000 / count
    print(
        f"\nfull build ≤ {FULL_AIM_S:.0f} s at 100,000: {_aim(linear <= FULL_AIM_S)} "
        f"({full.seconds:.1f} s for {count}, {full.seconds * 1e3 / count:.2f} ms per dataset; "
        f"{linear:.0f} s at 100,000 if linear)"
    )
    print(f"incremental ≤ {INCREMENTAL_AIM_S} s: {_aim(b['incremental_s'] <= INCREMENTAL_AIM_S)}")
    if t is not None:
        print(f"static/dynamic throughput: {t['static']['rps'] / t['dynamic']['rps']:.1f}×")


def _report_throughput(t: dict[str, Any]) -> None:
    print("\n| dataset pages | p50 ms | p95 ms | req/s | requests | errors |")
    print("|---|---|---|---|---|---|")
    for label, key in (("nginx, static tree", "static"), ("gunicorn, the app", "dynamic")):
        r = t[key]
        cells = [f"{r['p50']:.1f}", f"{r['p95']:.1f}", f"{r['rps']:.0f}", str(r["n"])]
        print(f"| {label} | {' | '.join(cells)} | {r['errors']} |")


def report_slow(slow: dict[str, list[dict[str, Any]]], args: Any) -> None:
    """The probe's latency while ``--clients`` download at ``--rate``, median of the rounds."""
    print(
        f"\n| probe while {args.clients} clients download at {args.rate // 1000} KB/s "
        "| p50 ms | p95 ms | max ms | probes | failed |"
    )
    print("|---|---|---|---|---|---|")
    aims = []
    for setup, label in (("new", "kaifang serve"), ("hybrid", "nginx hybrid")):
        rounds = slow[setup]
        p95s = [r["p95_ms"] if r["p95_ms"] is not None else float("inf") for r in rounds]
        cells = [
            f"{statistics.median(r['p50_ms'] or float('inf') for r in rounds):.0f}",
            f"{statistics.median(p95s):.0f}",
            f"{max(r['max_ms'] or float('inf') for r in rounds):.0f}",
            str(sum(r["probes"] for r in rounds)),
            str(sum(r["probe_errors"] for r in rounds)),
        ]
        print(f"| {label} | {' | '.join(cells)} |")
        aims.append(f"probe p95 ≤ 100 ms, {label}: {_aim(statistics.median(p95s) <= 100)}")
    print("\n".join(aims))


def _aim(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--parts", default="builds,throughput,slow", help="which of builds,throughput,slow to run"
    )
    parser.add_argument(
        "--folder",
        help="keep the instance and tree in this folder; a later run reuses its corpus",
    )
    slow_clients.options(parser)
    args = parser.parse_args()
    if args.folder:
        folder = Path(args.folder).resolve()
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="kaifang-bench-static-"))
    folder.chmod(0o755)  # nginx's workers (another user when run as root) read the tree
    instance, out = folder / "instance", folder / "out"
    port = load.free_port()
    try:
        if (instance / "done").exists():
            print(f"reusing the {args.datasets} datasets published in {folder}", flush=True)
            created_s, entries = float("nan"), load.records(args.datasets)
        else:
            print(f"publishing {args.datasets} datasets …", flush=True)
            created_s, entries = create(instance, out, args.datasets)
            (instance / "done").write_text(str(created_s))
        parts = set(args.parts.split(","))
        b = builds(instance, out, f"http://127.0.0.1:{port}", entries)
        t = throughput(instance, out, port, args) if "throughput" in parts else None
        report(args.datasets, created_s, b, t)
        if "slow" in parts:
            print("slow clients: a demo-like instance with a 16 MB public file …", flush=True)
            slow = slow_clients.compare(folder / "slow" / "instance", ["new", "hybrid"], args)
            report_slow(slow, args)
    finally:
        if not args.folder:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
