"""Search at scale: the portal's ``package_search`` against Datasette over the same records.

Publishes N realistic datasets (``bench.search_corpus``) through the service layer, 500 per
transaction, as a harvest publishes metadata-only 无条件开放 records (files as links); times the
full ``rebuild_index`` and one dataset's update (median of 20); serves the catalog with gunicorn
(gthread, 4 threads, as in production) and Datasette 0.65.5 (FTS5 over jieba-cut text) with
the same number of processes; then 8 keep-alive clients run ≥ 50 Chinese queries (words, several
words, a filter, page 2, no match; all facets) in their own shuffled orders. Prints p50/p95/p99,
throughput, ratios to Datasette, errors, result counts, the workers' RSS after ``--soak``
searches, and the aims met or not.

Run:  make bench-venv     # once: .venv-bench with datasette==0.65.5 and jieba==0.42.1
      .venv/bin/python -m bench.search_scale --datasets 100000 --rounds 3 --backends sqlite,postgres
Quick: .venv/bin/python -m bench.search_scale --datasets 5000 --rounds 1 --backends sqlite
Also --workers N (server processes, 2), --soak N (searches before the RSS, 10000) and --gate FILE
(on a shared machine: after publishing, wait for FILE before timing anything). PostgreSQL:
KAIFANG_BENCH_POSTGRES_URL (default the local ``test``); a fresh database is made and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench import search_corpus as load
from bench.postgres import postgres_database
from bench.search_corpus import Entry, Query, queries, records
from datasets.database import upgrade
from datasets.intake.entries import upsert
from datasets.intake.findings import classify_scanned
from datasets.intake.gating import apply_gates, prepared_files
from datasets.intake.planning import INTAKE_REVISION, check_record, file_fingerprint
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord, Unmirrored
from datasets.models import Dataset, Organization
from datasets.runtime import Runtime
from datasets.search.indexing import rebuild_index, sync_index
from datasets.settings import load_settings
from harvester.sources import add_source, get_sources

ROOT = Path(__file__).resolve().parent.parent
BATCH = 500  # records per transaction
FACETS = ["organization", "groups", "tags", "res_format", "license_id", "openness"]
FACETS += ["update_cycle", "topic"]
TRIED = datetime(2026, 1, 1, tzinfo=UTC).isoformat()


def harvest_record(e: Entry) -> HarvestRecord:
    """An entry as a harvester hands it over: metadata, its files named but not downloaded."""
    links = tuple(
        FileRecord(
            path=None,
            name=f"{e.identifier}.{fmt}",
            format=fmt,
            source_url=f"https://data.example.gov.cn/files/{e.identifier}.{fmt}",
            fingerprint=f"{e.identifier}-{fmt}-{e.modified}",
            unmirrored=Unmirrored("基准测试：文件未下载", TRIED, "data.example.gov.cn", link=True),
        )
        for fmt in e.formats
    )
    return HarvestRecord(
        identifier=e.identifier,
        title=e.title,
        provider=ProviderRecord(title=e.department),
        notes=e.notes,
        topic=e.topic,
        keywords=e.keywords,
        openness="无条件开放",
        update_cycle=e.update_cycle,
        issued=date(e.modified.year, 1, 1),
        modified=e.modified,
        license_id=e.license_id,
        files=links,
    )


def publish(session: Session, rt: Runtime, record: HarvestRecord, source_id: str) -> Dataset:
    """What ``publish_plan`` does for a record with no local file, in the caller's session:
    the declared class, the publish gates, the rows (and with them the search row)."""
    classification = classify_scanned(check_record(record), [], {})
    links = list(record.files)
    classification = apply_gates(
        session, classification, record, prepared_files([], links), dataset_id=None
    )
    content_hash = record.metadata_hash(
        [file_fingerprint(f) for f in links], extra=[{}, {}, INTAKE_REVISION]
    )
    return upsert(
        session, rt, record, classification, source_id, content_hash, "harvester", [], links=links
    )


def publish_all(rt: Runtime, entries: list[Entry]) -> float:
    """Publish every entry as one source's harvest, BATCH per transaction; the seconds it took."""
    add_source(rt, name="bench", kind="ckan", location="https://data.example.gov.cn/")
    source_id = get_sources(rt, ["bench"])[0].id
    started = time.perf_counter()
    for start in range(0, len(entries), BATCH):
        with rt.session() as session:
            for e in entries[start : start + BATCH]:
                publish(session, rt, harvest_record(e), source_id)
    return time.perf_counter() - started


def create_catalog(rt: Runtime, entries: list[Entry], gate: str = "") -> dict[str, Any]:
    """Publish every entry, BATCH per transaction; time it, the repair pass, the rebuild and
    one dataset's update (once ``gate``, if named, exists)."""
    created = publish_all(rt, entries)
    wait_for(gate)
    started = time.perf_counter()
    synced = sync_index(rt)  # 0 when the publishing transactions wrote every search row
    sync_s = time.perf_counter() - started
    started = time.perf_counter()
    rebuilt = rebuild_index(rt)
    rebuild_s = time.perf_counter() - started
    figures = {"created": len(entries), "created_s": created, "synced": synced}
    figures |= {"sync_s": sync_s, "rebuilt": rebuilt, "rebuild_s": rebuild_s}
    return figures | time_updates(rt, entries, get_sources(rt, ["bench"])[0].id)


def wait_for(gate: str) -> None:
    """On a machine shared with other work: say the catalog is published and wait until the
    file ``gate`` exists (whoever shares the machine pauses their work, then creates it)."""
    if gate:
        print(f"published; timing when {gate} exists …", flush=True)
        while not Path(gate).exists():
            time.sleep(2)


def time_updates(rt: Runtime, entries: list[Entry], source_id: str) -> dict[str, float]:
    """One dataset's title changed through the same path, 20 times: the transaction (with its
    search row), then ``sync_index`` of that dataset (which writes it if the commit did not)."""
    commits, syncs = [], []
    for n in range(20):
        e = entries[(n * 7919) % len(entries)]
        record = replace(harvest_record(e), title=f"{e.title}（第{n + 1}次修订）")
        started = time.perf_counter()
        with rt.session() as session:
            dataset_id = publish(session, rt, record, source_id).id
        middle = time.perf_counter()
        sync_index(rt, dataset_ids=[dataset_id])
        syncs.append(time.perf_counter() - middle)
        commits.append(middle - started)
    return {
        "update_ms": statistics.median(c + s for c, s in zip(commits, syncs, strict=True)) * 1e3,
        "update_commit_ms": statistics.median(commits) * 1e3,
        "update_sync_ms": statistics.median(syncs) * 1e3,
    }


def organization_names(rt: Runtime) -> dict[str, str]:
    with rt.reader() as session:
        return {t: n for t, n in session.execute(select(Organization.title, Organization.name))}


def portal_path(query: Query, names: dict[str, str]) -> str:
    params: dict[str, Any] = {"q": query.q, "rows": 20, "facet.field": json.dumps(FACETS)}
    if query.start:
        params["start"] = query.start
    if query.organization:
        params["fq"] = f"organization:{names.get(query.organization, query.organization)}"
    if query.res_format:
        params["fq"] = f"res_format:{query.res_format}"
    return "/api/3/action/package_search?" + urlencode(params)


def run_backend(backend: str, entries: list[Entry], qs: list[Query], args: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        instance = str(Path(folder) / "instance")
        if backend == "postgres":
            with postgres_database("kaifang_search") as url:
                return _run_portal(backend, instance, url, entries, qs, args)
        return _run_portal(backend, instance, "", entries, qs, args)


def _run_portal(
    backend: str, instance: str, url: str, entries: list[Entry], qs: list[Query], args: Any
) -> dict[str, Any]:
    rt = Runtime(load_settings({"instance": instance, "database_url": url}, environ={}))
    upgrade(rt)
    print(f"[{backend}] creating {len(entries)} datasets …", flush=True)
    times = create_catalog(rt, entries, args.gate)
    names = organization_names(rt)
    rt.close()
    print(f"[{backend}] created in {times['created_s']:.1f} s; serving …", flush=True)
    env = {
        **os.environ,
        "KAIFANG_INSTANCE": instance,
        "KAIFANG_DATABASE_URL": url,
        "KAIFANG_RATELIMIT_ENABLED": "false",
        "KAIFANG_LOG_LEVEL": "WARNING",
    }
    port = load.free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "--preload",
        "-w",
        str(args.workers),
        "-k",
        "gthread",
        "--threads",
        "4",
    ]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "portal.wsgi:app"]
    paths = [portal_path(q, names) for q in qs]
    with load.serve([command], env, [port], "/api/3/action/status_show") as pids:
        result = load.measure([port], paths, args.rounds, args.soak, pids)
        result["counts"] = load.counts(port, paths)
    return {**result, **times, "workers": args.workers}


def run_datasette(entries: list[Entry], qs: list[Query], args: Any) -> dict[str, Any]:
    datasette = ROOT / ".venv-bench" / "bin" / "datasette"
    if not datasette.exists():
        raise SystemExit(f"{datasette} is missing: run `make bench-venv` first")
    with tempfile.TemporaryDirectory() as folder:
        db, meta, texts = Path(folder) / "peer.db", Path(folder) / "meta.json", Path(folder) / "q"
        texts.write_text(json.dumps(sorted({q.q for q in qs}), ensure_ascii=False), "utf-8")
        print(f"[datasette] building {len(entries)} records (jieba, FTS5) …", flush=True)
        built = subprocess.run(
            [str(datasette.with_name("python")), "-m", "bench.search_corpus", "datasette"]
            + [str(db), str(len(entries)), str(texts)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        cut = json.loads(built.stdout)
        table = {"fts_table": "records_fts", "fts_pk": "rowid"}
        meta.write_text(json.dumps({"databases": {"peer": {"tables": {"records": table}}}}))
        ports = [load.free_port() for _ in range(args.workers)]
        commands = [datasette_command(datasette, db, meta, p) for p in ports]
        with load.serve(commands, dict(os.environ), ports, "/peer.json") as pids:
            paths = datasette_paths(ports[0], qs, cut)
            result = load.measure(ports, paths, args.rounds, args.soak, pids)
            result["counts"] = load.counts(ports[0], paths)
    return {**result, "workers": args.workers}


def datasette_command(datasette: Path, db: Path, meta: Path, port: int) -> list[str]:
    """Datasette as its users publish a catalog: immutable file, no facet suggestions, time
    limits high enough that no facet or count is cut short (which would flatter it)."""
    settings = ["sql_time_limit_ms", "30000", "facet_time_limit_ms", "30000"]
    settings += ["suggest_facets", "off", "default_page_size", "20"]
    command = [str(datasette), "serve", "-i", str(db), "--metadata", str(meta)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    for n in range(0, len(settings), 2):
        command += ["--setting", settings[n], settings[n + 1]]
    return command


def datasette_paths(port: int, qs: list[Query], cut: dict[str, str]) -> list[str]:
    """Each query as Datasette's table URL, all facets; page 2 by the ``next`` token its first
    page gives."""
    facets = [("_facet", f) for f in load.FACETS]
    facets += [("_facet_array", f) for f in load.ARRAY_FACETS]
    paths = []
    connection = HTTPConnection("127.0.0.1", port, timeout=120)
    for q in qs:
        params = [("_search", cut[q.q]), ("_size", "20"), *facets]
        if q.organization:
            params.append(("organization", q.organization))
        if q.res_format:
            params.append(("res_format__arraycontains", q.res_format))
        path = "/peer/records.json?" + urlencode(params)
        if q.start:
            status, body = load.get(connection, path)
            token = json.loads(body).get("next") if status == 200 else None
            path += f"&_next={token}" if token else f"&_next={q.start}"
        paths.append(path)
    connection.close()
    return paths


def _row(label: str, r: dict[str, Any], peer: dict[str, Any]) -> str:
    rss, pss = max(r["rss"], default=0.0), max(r["pss"], default=0.0)
    return (
        f"{label:<18}{r['workers']:>3}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
        f"{r['rps']:>9.1f}{r['errors']:>7}{r['p95'] / peer['p95']:>9.2f}"
        f"{r['rps'] / peer['rps']:>10.2f}{rss:>9.0f}{pss:>9.0f}{r['served']:>8}"
    )


def report(results: dict[str, Any], qs: list[Query], args: Any, cores: int) -> None:
    peer = results["datasette"]
    print(
        f"\nsearch_scale {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {cores} cores; "
        f"{args.datasets} datasets, {len(qs)} queries × {load.CLIENTS} clients × "
        f"{args.rounds} rounds after a warm-up pass; clients on the same machine"
    )
    print(
        f"servers: portal gunicorn --preload -w {args.workers} -k gthread --threads 4; Datasette "
        f"0.65.5 × {args.workers} processes (clients spread over them), -i, no suggestions"
    )
    print(
        f"\n{'target':<18}{'w':>3}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}"
        f"{'errors':>7}{'p95/ds':>9}{'req/s/ds':>10}{'RSS MB':>9}{'PSS MB':>9}{'served':>8}"
    )
    print(_row("datasette", peer, peer))
    for backend in ("sqlite", "postgres"):
        if backend in results:
            print(_row(f"portal {backend}", results[backend], peer))
    print(
        "(the largest worker process after `served` searches in all; RSS counts every page it"
        " maps, PSS its share of pages shared with the other processes)"
    )
    print("\neach query's first answer (one client, before the warm-up; nothing kept yet):")
    for name in ("datasette", "sqlite", "postgres"):
        if name in results:
            r = results[name]
            print(f"  {name:<10} p50 {r['first_p50']:.1f} ms, p95 {r['first_p95']:.1f} ms")
    for backend in ("sqlite", "postgres"):
        if backend in results:
            _backend_report(backend, results[backend], peer, args.soak)
    _count_report(results, qs)


def _aim(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _backend_report(backend: str, r: dict[str, Any], peer: dict[str, Any], soak: int) -> None:
    print(
        f"\n[{backend}] created {r['created']} datasets in {r['created_s']:.1f} s "
        f"({r['created'] / r['created_s']:.0f}/s, {BATCH} per transaction); "
        f"sync_index after: {r['synced']} rows changed in {r['sync_s']:.1f} s"
    )
    rss, pss, uss = (max(r[k], default=0.0) for k in ("rss", "pss", "uss"))
    aims = [
        (f"p95 {r['p95']:.1f} ms ≤ 50 ms", r["p95"] <= 50),
        (f"p95 below Datasette's ({peer['p95']:.1f} ms)", r["p95"] < peer["p95"]),
        (f"throughput ≥ Datasette's ({peer['rps']:.1f} req/s)", r["rps"] >= peer["rps"]),
        (f"full rebuild of {r['rebuilt']}: {r['rebuild_s']:.1f} s ≤ 60 s", r["rebuild_s"] <= 60),
        (
            f"one dataset's update {r['update_ms']:.1f} ms ≤ 20 ms (commit with its search row "
            f"{r['update_commit_ms']:.1f} + sync_index of it {r['update_sync_ms']:.1f})",
            r["update_ms"] <= 20,
        ),
        (
            f"worker RSS {rss:.0f} MB ≤ 200 MB after {r['served']} searches (PSS {pss:.0f} MB,"
            f" its own pages {uss:.0f} MB)",
            rss <= 200 and r["served"] >= soak,
        ),
        (
            f"no errors ({r['errors']} of {r['requests']}; by status, 0 = no answer:"
            f" {r['statuses']})",
            r["errors"] == 0,
        ),
    ]
    for label, ok in aims:
        print(f"  {_aim(ok):<8} {label}")


def _count_report(results: dict[str, Any], qs: list[Query]) -> None:
    """Result counts of every target for each query, the differing ones marked."""
    backends = [b for b in ("sqlite", "postgres") if b in results]
    print("\nresult counts (portal matches longer words and synonyms too; * differs):")
    print(f"  {'query':<28}{'kind':<8}{'datasette':>10}" + "".join(f"{b:>10}" for b in backends))
    for n, q in enumerate(qs):
        row = [results["datasette"]["counts"][n]] + [results[b]["counts"][n] for b in backends]
        extra = q.organization or q.res_format or (f"start={q.start}" if q.start else "")
        label = f"{q.q} {extra}".strip()[:26]
        mark = "*" if len(set(row)) > 1 else " "
        print(f"{mark} {label:<28}{q.label:<8}" + "".join(f"{c:>10}" for c in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, default=2, help="server processes of each")
    parser.add_argument("--soak", type=int, default=10_000, help="searches before the RSS")
    parser.add_argument("--gate", default="", help="after publishing, time once this file exists")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    if set(backends) - {"sqlite", "postgres"}:
        raise SystemExit("--backends: sqlite, postgres or both")
    entries = records(args.datasets)
    qs = queries(entries)
    results = {"datasette": run_datasette(entries, qs, args)}
    for backend in backends:
        results[backend] = run_backend(backend, entries, qs, args)
    report(results, qs, args, os.cpu_count() or 0)


if __name__ == "__main__":
    main()
