"""The production stack under load: 500 virtual users with a browser's pauses, a closed-loop
maximum, and (``--soak MINUTES``) the same mix for that long with each process's memory.

Builds the stack of ``bench.stack`` (PostgreSQL: a fresh database on the server
KAIFANG_BENCH_POSTGRES_URL names, dropped afterwards; Redis db 12 of the local server, or
KAIFANG_BENCH_REDIS_URL; the demo sources and ``--datasets`` realistic datasets; ``kaifang
build-static``; gunicorn ``--preload -w N -k gthread --threads 4``; nginx with the shipped
template), then runs ``bench.load_mix``'s mix from one asyncio process of ours (standard library
HTTP/1.1, one keep-alive connection per user):

- open load: ``--users`` users, each pausing ``--think`` seconds (uniform, default 1–5) between
  actions, for ``--seconds`` after a warm-up (``--warmup``), which is not counted;
- closed loop: ``--closed-users`` users without pauses for ``--closed-seconds``: the most the
  stack answers, with the generator itself on the same cores;
- soak: the open load for ``--soak`` minutes after the warm-up, each process's resident memory
  sampled every 30 s; growth is the last sample against the first.

Prints throughput, p50/p95/p99 per kind and per request, errors by kind and status, the
generator's CPU, each role's CPU, each process's RSS at start and end, and the aims.

Run:  .venv/bin/python -m bench.load --datasets 5000 --users 500 --seconds 300
      .venv/bin/python -m bench.load --datasets 5000 --users 500 --seconds 120 --soak 30
Quick: .venv/bin/python -m bench.load --datasets 300 --users 50 --seconds 30 --closed-seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench import load_report, stack
from bench.load_http import Answer, Connection
from bench.load_mix import Mix, User
from bench.postgres import kept_database, postgres_database
from bench.search_corpus import free_port

SAMPLE_EVERY = 30.0  # seconds between two memory samples


@dataclass
class Recorder:
    """Every counted answer: (kind, label, status, ms, problem); ``counting`` off in warm-up."""

    rows: list[tuple[str, str, int, float, str]] = field(default_factory=list)
    counting: bool = False
    seen: int = 0

    def __call__(self, kind: str, label: str, answer: Answer, problem: str) -> None:
        self.seen += 1
        if self.counting:
            self.rows.append((kind, label, answer.status, answer.seconds * 1e3, problem))


@dataclass
class Phase:
    name: str
    users: int
    seconds: float
    rows: list[tuple[str, str, int, float, str]]
    generator_cpu: float  # seconds of CPU the generator used while counting
    roles_cpu: dict[str, float]  # seconds of CPU each role of the stack used while counting
    samples: list[tuple[float, dict[str, dict[int, float]]]] = field(default_factory=list)


async def _user(
    mix: Mix, port: int, seed: int, record: Recorder, stop: float, think: tuple[float, float]
) -> None:
    rng = random.Random(seed)
    connection = Connection("127.0.0.1", port)
    user = User(mix, connection, rng, record)
    if think[1] > 0:
        await asyncio.sleep(rng.uniform(0, think[1]))  # users arrive over the first pause
    while time.monotonic() < stop:
        await user.act()
        if think[1] > 0:
            await asyncio.sleep(rng.uniform(*think))
    await connection.close()


def _roles_cpu(pids: dict[str, list[int]]) -> dict[str, float]:
    return {role: sum(stack.cpu_seconds(p) for p in found) for role, found in pids.items()}


async def drive(
    name: str,
    mix: Mix,
    running: stack.Stack,
    users: int,
    warmup: float,
    seconds: float,
    think: tuple[float, float],
    progress: Callable[[str], None] = print,
) -> Phase:
    """``users`` users for ``warmup`` + ``seconds``; only the last ``seconds`` are counted, with
    a memory sample at their start and every SAMPLE_EVERY seconds."""
    record = Recorder()
    started = time.monotonic()
    stop = started + warmup + seconds
    tasks = [
        asyncio.create_task(_user(mix, running.port, 1000 * users + n, record, stop, think))
        for n in range(users)
    ]
    await asyncio.sleep(warmup)
    record.counting = True
    pids = await asyncio.to_thread(stack.processes, running)
    cpu0, roles0 = time.process_time(), _roles_cpu(pids)
    phase = Phase(name, users, seconds, record.rows, 0.0, {})
    while (left := stop - time.monotonic()) > 0:
        phase.samples.append(
            (time.monotonic() - started, await asyncio.to_thread(stack.sample, running))
        )
        done = len(record.rows)
        bad = sum(1 for r in record.rows if r[4])
        progress(f"  [{name}] {time.monotonic() - started:5.0f} s: {done} answers, {bad} errors")
        await asyncio.sleep(min(SAMPLE_EVERY, left))
    phase.generator_cpu = time.process_time() - cpu0
    roles1 = _roles_cpu(pids)
    phase.roles_cpu = {role: roles1[role] - roles0.get(role, 0.0) for role in roles1}
    record.counting = False
    await asyncio.gather(*tasks)
    phase.samples.append(
        (time.monotonic() - started, await asyncio.to_thread(stack.sample, running))
    )
    return phase


def run(
    args: Any, progress: Callable[[str], None] = print, database_url: str = ""
) -> dict[str, Any]:
    """The whole benchmark as ``args`` says, on ``database_url`` (an empty database) or on a
    fresh database dropped afterwards; with ``--folder``, the catalog is kept there and in the
    database ``kaifang_load``, and used again by the next run with the same folder."""
    if args.folder:
        folder = Path(args.folder)
        folder.mkdir(parents=True, exist_ok=True)
        fresh = not (folder / "ready.json").exists()
        url = database_url or kept_database("kaifang_load", fresh=fresh)
        return _run_in(folder, url, args, progress)
    fresh = nullcontext(database_url) if database_url else postgres_database("kaifang_load")
    with tempfile.TemporaryDirectory(prefix="kaifang-load-") as name, fresh as url:
        return _run_in(Path(name), url, args, progress)


def _run_in(folder: Path, url: str, args: Any, progress: Callable[[str], None]) -> dict[str, Any]:
    folder.chmod(0o755)  # nginx's workers read the tree
    instance, static, ready = folder / "instance", folder / "static", folder / "ready.json"
    if ready.exists():
        targets, port = stack.load_targets(ready)
        progress(f"the catalog kept in {folder}: {len(targets.datasets)} public datasets")
    else:
        progress(f"publishing the demo and {args.datasets} datasets on PostgreSQL …")
        built, port = time.perf_counter(), free_port()
        targets = stack.prepare(instance, url, args.datasets, args.keys)
        stack.build_static(stack.environment(instance, url, port, static, args.redis_url))
        stack.save_targets(ready, targets, port)
        progress(f"catalog and static tree ready in {time.perf_counter() - built:.0f} s")
    env = stack.environment(instance, url, port, static, args.redis_url)
    mix = Mix.of(targets, seed=7)
    database = make_url(url).database or ""
    with stack.running(folder, env, port, args.workers, database) as running:
        return asyncio.run(_phases(args, mix, running, targets, progress))


async def _phases(
    args: Any, mix: Mix, running: stack.Stack, targets: stack.Targets, progress: Callable
) -> dict[str, Any]:
    think = (args.think_min, args.think_max)
    start = await asyncio.to_thread(stack.sample, running)
    phases = []
    progress(f"open load: {args.users} users, {args.think_min}–{args.think_max} s pauses …")
    phases.append(
        await drive("open", mix, running, args.users, args.warmup, args.seconds, think, progress)
    )
    if args.closed_seconds > 0:
        progress(f"closed loop: {args.closed_users} users without pauses …")
        phases.append(
            await drive(
                "closed",
                mix,
                running,
                args.closed_users,
                5.0,
                args.closed_seconds,
                (0, 0),
                progress,
            )
        )
    if args.soak > 0:
        progress(f"soak: {args.users} users for {args.soak} minutes …")
        phases.append(
            await drive(
                "soak", mix, running, args.users, args.warmup, args.soak * 60, think, progress
            )
        )
    end = await asyncio.to_thread(stack.sample, running)
    counts = {
        "datasets": len(targets.datasets),
        "departments": len(targets.departments),
        "files": len(targets.files),
        "tables": len(targets.tables),
        "conditional": len(targets.conditional),
    }
    return {"phases": phases, "start": start, "end": end, "catalog": counts}


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--datasets", type=int, default=5000, help="corpus datasets (5000)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--keys", type=int, default=200, help="companies with an API key (200)")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=300, help="open load counted (300)")
    parser.add_argument("--warmup", type=float, default=30)
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=5.0)
    parser.add_argument("--closed-users", type=int, default=50)
    parser.add_argument("--closed-seconds", type=float, default=60)
    parser.add_argument("--soak", type=float, default=0, help="soak minutes (0: none)")
    parser.add_argument("--folder", default="", help="keep the catalog here for the next run")
    parser.add_argument("--redis-url", default=stack.REDIS_URL, help="the rate limits' storage")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options(parser)
    args = parser.parse_args()
    result = run(args)
    load_report.report(result, args)


if __name__ == "__main__":
    main()
