"""Figures that live in the database, read at each scrape of ``/metrics`` with a few short
queries (the probe engine's: one connection, statements limited to a couple of seconds):

- ``kaifang_harvest_jobs{status}``: harvest jobs in the history, by status;
- ``kaifang_harvest_objects_last_day{outcome}``: what the jobs that ended in the last 24 hours
  did with their objects (added, updated, unchanged, unmirrored, withdrawn, errored);
- ``kaifang_harvest_last_finished_timestamp_seconds``: the end of the newest finished job;
- ``kaifang_cases_open{kind}`` and ``kaifang_cases_overdue{kind}``: open cases of the public
  services, and those past their deadline while their handler still has to act (the rule of
  ``datasets.workflows.overdue``);
- ``kaifang_grants{status}``: grants of conditional data by status;
- ``kaifang_database_up``: 1 when these figures could be read, else 0 (and none of them).

Counts only, by codes the portal defines: no names, titles, references or personal values.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from datasets.models import Case, Grant, HarvestJob
from datasets.workdays import shanghai_date
from portal.observe.probes import Failed, Probes

log = logging.getLogger("portal.metrics")

OUTCOMES = ("added", "updated", "unchanged", "unmirrored", "withdrawn", "errored")


class DatabaseFigures:
    """A prometheus-client collector of the figures above."""

    def __init__(self, probes: Probes) -> None:
        self.probes = probes

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily("kaifang_database_up", "Whether the database figures were read.")
        families: list[Any] | None
        try:
            with self.probes.connect() as connection:
                families = list(_families(connection))
        except Failed as failure:
            log.warning("运行指标未能读取数据库：%s %s", failure, failure.detail)
            families = None
        except Exception as exc:  # noqa: BLE001 — a scrape still gets the processes' metrics
            log.warning("运行指标未能读取数据库：%s", type(exc).__name__)
            families = None
        up.add_metric([], 0 if families is None else 1)
        yield up
        yield from families or ()


def _families(connection: Connection) -> Iterator[Any]:
    from prometheus_client.core import GaugeMetricFamily

    def gauge(name: str, doc: str, label: str, counts: dict[str, int]) -> GaugeMetricFamily:
        family = GaugeMetricFamily(name, doc, labels=[label])
        for value, n in sorted(counts.items()):
            family.add_metric([value], n)
        return family

    jobs = _grouped(connection, HarvestJob.status)
    yield gauge("kaifang_harvest_jobs", "Harvest jobs in the history, by status.", "status", jobs)
    yield gauge(
        "kaifang_harvest_objects_last_day",
        "Outcomes of the objects of the harvest jobs that ended in the last 24 hours.",
        "outcome",
        _recent_outcomes(connection),
    )
    last = connection.execute(
        select(func.max(HarvestJob.finished_at)).where(HarvestJob.status == "finished")
    ).scalar()
    finished = GaugeMetricFamily(
        "kaifang_harvest_last_finished_timestamp_seconds",
        "End of the newest finished harvest job (Unix time); 0 when none finished.",
    )
    finished.add_metric([], _timestamp(last))
    yield finished
    yield from _case_families(connection, gauge)
    grants = _grouped(connection, Grant.status)
    yield gauge("kaifang_grants", "Grants of conditional data, by status.", "status", grants)


def _case_families(connection: Connection, gauge: Any) -> Iterator[Any]:
    today = shanghai_date(datetime.now(UTC))
    open_ = Case.closed_at.is_(None)
    yield gauge(
        "kaifang_cases_open",
        "Open cases of the public services, by kind.",
        "kind",
        _grouped(connection, Case.kind, open_),
    )
    overdue = _grouped(
        connection,
        Case.kind,
        open_,
        Case.due_on.is_not(None),
        Case.due_on < today,
        or_(Case.decided_at.is_(None), Case.status == "ruling"),  # as datasets.workflows.overdue
    )
    yield gauge(
        "kaifang_cases_overdue",
        "Open cases past their deadline (Asia/Shanghai) while their handler has to act, by kind.",
        "kind",
        overdue,
    )


def _grouped(connection: Connection, column: Any, *where: Any) -> dict[str, int]:
    query = select(column, func.count()).where(*where).group_by(column)
    return {str(value): int(n) for value, n in connection.execute(query)}


def _recent_outcomes(connection: Connection) -> dict[str, int]:
    since = datetime.now(UTC) - timedelta(days=1)
    totals: Counter[str] = Counter({outcome: 0 for outcome in OUTCOMES})
    stats = connection.execute(select(HarvestJob.stats).where(HarvestJob.finished_at >= since))
    for (counts,) in stats:
        for outcome in OUTCOMES:
            value = (counts or {}).get(outcome)
            if isinstance(value, int):
                totals[outcome] += value
    return dict(totals)


def _timestamp(at: datetime | None) -> float:
    if at is None:
        return 0.0
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
