"""``bench.load``'s figures as Markdown tables, and the aims met or not."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import Any

P95_AIM_MS = 300.0  # pages and API at 500 users
GROWTH_AIM = 0.10  # memory over the soak, after warm-up
KINDS = ("page", "search", "api", "download", "apply")


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def latencies(rows: list[tuple[str, str, int, float, str]]) -> dict[tuple[str, str], list[float]]:
    """Sorted milliseconds by (kind, "") and by (kind, label)."""
    out: dict[tuple[str, str], list[float]] = defaultdict(list)
    for kind, label, _, ms, _ in rows:
        out[(kind, "")].append(ms)
        out[(kind, label)].append(ms)
    return {key: sorted(values) for key, values in out.items()}


def errors(rows: list[tuple[str, str, int, float, str]]) -> Counter[tuple[str, str, str]]:
    return Counter((kind, label, problem) for kind, label, _, _, problem in rows if problem)


def phase_table(phase: Any) -> None:
    rows, seconds = phase.rows, phase.seconds
    cores = os.cpu_count() or 1
    failed = sum(errors(rows).values())
    print(
        f"\n### {phase.name}: {phase.users} users, {seconds:.0f} s counted — "
        f"{len(rows) / seconds:.1f} req/s, {len(rows)} answers, {failed} errors"
    )
    print(
        f"generator: {phase.generator_cpu / seconds * 100:.0f}% of one core "
        f"({cores} cores); stack: "
        + ", ".join(f"{r} {c / seconds * 100:.0f}%" for r, c in phase.roles_cpu.items())
    )
    by = latencies(rows)
    print("\n| kind / request | share | answers | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for kind in KINDS:
        if (kind, "") not in by:
            continue
        labels = sorted({k[1] for k in by if k[0] == kind and k[1]})
        for label in ["", *labels]:
            values = by[(kind, label)]
            name = f"**{kind}**" if not label else f"  {label}"
            cells = [f"{percentile(values, q):.1f}" for q in (50, 95, 99)]
            share = f"{len(values) / len(rows) * 100:.1f}%"
            print(f"| {name} | {share} | {len(values)} | {' | '.join(cells)} | {values[-1]:.0f} |")
    bad = errors(rows)
    if bad:
        print("\n| errors: kind | request | status or problem | count |")
        print("|---|---|---|---|")
        for (kind, label, problem), n in bad.most_common():
            print(f"| {kind} | {label} | {problem} | {n} |")


def _totals(sample: dict[str, dict[int, float]]) -> dict[str, float]:
    return {role: sum(found.values()) for role, found in sample.items()}


def memory_table(start: dict[str, dict[int, float]], end: dict[str, dict[int, float]]) -> None:
    print("\n| process | RSS at start MB | RSS at end MB |")
    print("|---|---|---|")
    for role in end:
        before, after = start.get(role, {}), end[role]
        if role in ("gunicorn workers", "nginx"):
            for pid in sorted(set(before) | set(after)):
                cells = [f"{before[pid]:.0f}" if pid in before else "—"]
                cells.append(f"{after[pid]:.0f}" if pid in after else "(gone)")
                print(f"| {role} pid {pid} | {' | '.join(cells)} |")
            continue
        label = f"{role} ({len(before)} → {len(after)})" if len(after) > 1 else role
        print(f"| {label} | {sum(before.values()):.0f} | {sum(after.values()):.0f} |")


def soak_growth(phase: Any) -> dict[str, float]:
    """Each role's RSS growth from the first sample after warm-up to the last."""
    first, last = _totals(phase.samples[0][1]), _totals(phase.samples[-1][1])
    return {r: (last[r] / first[r] - 1) if first.get(r) else 0.0 for r in last}


def soak_table(phase: Any) -> None:
    roles = list(phase.samples[0][1])
    print("\n| soak, minute | " + " | ".join(f"{r} MB" for r in roles) + " |")
    print("|---" * (len(roles) + 1) + "|")
    for at, sample in phase.samples:
        totals = _totals(sample)
        print(f"| {at / 60:.1f} | " + " | ".join(f"{totals.get(r, 0):.0f}" for r in roles) + " |")
    growth = soak_growth(phase)
    print("growth: " + ", ".join(f"{r} {g * 100:+.1f}%" for r, g in growth.items()))


def aims(result: dict[str, Any]) -> list[tuple[str, bool, str]]:
    out = []
    phases = {p.name: p for p in result["phases"]}
    open_ = phases["open"]
    by = latencies(open_.rows)
    for kind in ("page", "api"):
        p95 = percentile(by.get((kind, ""), []), 95)
        out.append(
            (
                f"{kind} p95 ≤ {P95_AIM_MS:.0f} ms at {open_.users} users",
                p95 <= P95_AIM_MS,
                f"{p95:.0f} ms",
            )
        )
    for p in result["phases"]:
        n = sum(errors(p.rows).values())
        out.append((f"0 errors ({p.name})", n == 0, f"{n} of {len(p.rows)}"))
    if "soak" in phases:
        growth = soak_growth(phases["soak"])
        worst = max((g, r) for r, g in growth.items() if not r.startswith("redis"))
        text = f"{worst[1]} {worst[0] * 100:+.1f}%"
        out.append(
            (f"memory growth ≤ {GROWTH_AIM * 100:.0f}% over the soak", worst[0] <= GROWTH_AIM, text)
        )
    return out


def report(result: dict[str, Any], args: Any) -> None:
    c = result["catalog"]
    print(
        f"\n## the stack under load: {c['datasets']} public datasets, {c['departments']} "
        f"departments, {c['files']} public files, {c['tables']} tables with rows, "
        f"{c['conditional']} conditional; gunicorn {args.workers} × 4 threads"
    )
    for phase in result["phases"]:
        phase_table(phase)
        if phase.name == "soak":
            soak_table(phase)
    memory_table(result["start"], result["end"])
    print()
    for name, ok, value in aims(result):
        print(f"{name}: {'met' if ok else '**not met**'} ({value})")
