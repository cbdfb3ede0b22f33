"""The statistics' period (a year or a date range, for the bureau's yearly assessment) and what
the statistics count within it besides cases: uses of the data (views, downloads, API calls,
counted up to yesterday), approved reuses (应用成果), the most used datasets, and the trends by
month that the charts draw."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from datasets.catalog import usage
from datasets.errors import ValidationError
from datasets.models import Case, Dataset, Organization, Reuse, ReuseDataset
from datasets.workdays import SHANGHAI, shanghai_date

FIRST_YEAR = 2000
MAX_MONTHS = 120  # months a trend covers at most
POPULAR = 10


@dataclass(frozen=True)
class Period:
    """The days ``since`` … ``until`` (both included, Asia/Shanghai)."""

    since: date
    until: date
    label: str

    @property
    def start(self) -> datetime:
        """The period's first instant (UTC), for timestamps."""
        return datetime.combine(self.since, time(), SHANGHAI).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The instant after the period's last day (UTC)."""
        return datetime.combine(self.until + timedelta(days=1), time(), SHANGHAI).astimezone(UTC)

    def as_dict(self) -> dict[str, str]:
        return {"since": str(self.since), "until": str(self.until), "label": self.label}


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            f"{'起始' if name == 'since' else '截止'}日期须为 YYYY-MM-DD 格式", {name: [value[:20]]}
        ) from None


def parse_period(args: Mapping[str, Any], *, today: date) -> Period | None:
    """``year=2026``, or ``since``/``until`` dates (either may be left out); None: all time."""
    year = str(args.get("year") or "").strip()
    since = str(args.get("since") or "").strip()
    until = str(args.get("until") or "").strip()
    if year:
        if since or until:
            raise ValidationError("年度和起止日期只能选一种", {"year": [year[:10]]})
        if not year.isdigit() or not FIRST_YEAR <= int(year) <= today.year:
            raise ValidationError(
                f"年度须为 {FIRST_YEAR}–{today.year} 之间的年份", {"year": [year[:10]]}
            )
        number = int(year)
        return Period(date(number, 1, 1), date(number, 12, 31), f"{number}年")
    if not since and not until:
        return None
    first = _day(since, "since") if since else date(FIRST_YEAR, 1, 1)
    last = _day(until, "until") if until else today
    if first > last:
        raise ValidationError("起始日期不能晚于截止日期", {"since": [since], "until": [until]})
    if first.year < FIRST_YEAR:
        raise ValidationError(f"起始日期不能早于 {FIRST_YEAR} 年", {"since": [since]})
    return Period(first, last, f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}")


def months(period: Period | None, today: date) -> list[str]:
    """The months a trend shows: the period's (at most ``MAX_MONTHS``, the latest), or the
    twelve months up to this one."""
    if period is None:
        first, last = _month_add(today.replace(day=1), -11), today.replace(day=1)
    else:
        first, last = period.since.replace(day=1), min(period.until, today).replace(day=1)
    found: list[str] = []
    current = max(first, _month_add(last, -(MAX_MONTHS - 1)))
    while current <= last:
        found.append(f"{current:%Y-%m}")
        current = _month_add(current, 1)
    return found


def _month_add(day: date, count: int) -> date:
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _window(period: Period | None, today: date) -> tuple[date | None, date]:
    """The days of usage figures: the period's, up to yesterday at the latest."""
    yesterday = today - timedelta(days=1)
    if period is None:
        return None, yesterday
    return period.since, min(period.until, yesterday)


def usage_by_department(
    session: Session, period: Period | None, today: date
) -> tuple[dict[str | None, dict[str, int]], list[dict[str, Any]]]:
    """Uses per department id (by kind, and ``total``) and the most used public datasets."""
    since, until = _window(period, today)
    per_dataset = usage.by_dataset(session, since, until)
    if not per_dataset:
        return {}, []
    rows = session.execute(
        select(Dataset.id, Dataset.name, Dataset.title, Dataset.organization_id, Organization.title)
        .join(Organization, Organization.id == Dataset.organization_id)
        .where(Dataset.id.in_(list(per_dataset)), Dataset.state == "active")
    ).all()
    per_org: dict[str | None, dict[str, int]] = {}
    for ds_id, _name, _title, org_id, _org_title in rows:
        into = per_org.setdefault(org_id, {k: 0 for k in (*usage.KINDS, "total")})
        for kind, n in per_dataset[ds_id].items():
            into[kind] += n
    ranked = sorted(rows, key=lambda r: (-per_dataset[r[0]]["total"], r[2]))[:POPULAR]
    popular = [
        {"name": n, "title": t, "department": ot, **per_dataset[i]} for i, n, t, _o, ot in ranked
    ]
    return per_org, popular


def reuses_by_department(
    session: Session, period: Period | None
) -> tuple[dict[str | None, int], int, Counter[str]]:
    """Approved reuses published in the period: per department id (a reuse counts once for
    each department whose data it uses), in all, and per month."""
    query = (
        select(Reuse.id, Reuse.decided_at, Dataset.organization_id)
        .join(ReuseDataset, ReuseDataset.reuse_id == Reuse.id)
        .join(Dataset, Dataset.id == ReuseDataset.dataset_id)
        .where(Reuse.status == "approved")
    )
    if period is not None:
        query = query.where(Reuse.decided_at >= period.start, Reuse.decided_at < period.end)
    per_org: dict[str | None, set[str]] = {}
    per_month: dict[str, set[str]] = {}
    for reuse_id, decided_at, org_id in session.execute(query):
        per_org.setdefault(org_id, set()).add(reuse_id)
        if decided_at is not None:
            per_month.setdefault(f"{shanghai_date(decided_at):%Y-%m}", set()).add(reuse_id)
    every = {r for found in per_org.values() for r in found}
    counted = Counter({m: len(r) for m, r in per_month.items()})
    return {o: len(r) for o, r in per_org.items()}, len(every), counted


def monthly_trends(
    session: Session, period: Period | None, today: date, reuses: Counter[str]
) -> list[dict[str, Any]]:
    """Per month: datasets first published (still public), cases received, cases decided and
    decided on time (by the month of the decision), uses and reuses published."""
    wanted = months(period, today)
    if not wanted:
        return []
    first = date.fromisoformat(wanted[0] + "-01")
    rows: dict[str, dict[str, Any]] = {
        m: {"month": m, "datasets": 0, "cases": 0, "decided": 0, "on_time": 0} for m in wanted
    }
    for month, count in _published_by_month(session, wanted).items():
        rows[month]["datasets"] = count
    cases = session.execute(
        select(Case.received_on, Case.decided_on, Case.decided_on_time, Case.status).where(
            Case.received_on >= first
        )
    )
    for received_on, decided_on, on_time, status in cases:
        _bump(rows, received_on, "cases")
        if decided_on is not None and status != "ruling":
            _bump(rows, decided_on, "decided")
            if on_time:
                _bump(rows, decided_on, "on_time")
    uses = usage.by_month(session, first, _window(period, today)[1])
    for month, row in rows.items():
        row["uses"] = uses.get(month, 0)
        row["reuses"] = reuses.get(month, 0)
        decided = row["decided"]
        row["on_time_share"] = round(100 * row["on_time"] / decided, 1) if decided else None
    return list(rows.values())


def _month_start(day: date) -> datetime:
    """The first instant of ``day``'s month in Shanghai, in UTC (as times are stored)."""
    return datetime.combine(day.replace(day=1), time(), SHANGHAI).astimezone(UTC)


def _published_by_month(session: Session, wanted: list[str]) -> dict[str, int]:
    """Month → active datasets created in it (Shanghai months), counted by the database in
    one pass: a sum per month, not a row per dataset."""
    starts = [date.fromisoformat(m + "-01") for m in wanted]
    bounds = [*starts, _month_add(starts[-1], 1)]
    created = Dataset.created_at
    sums = [
        func.coalesce(
            func.sum(case((and_(created >= _month_start(a), created < _month_start(b)), 1))), 0
        )
        for a, b in zip(bounds, bounds[1:], strict=False)
    ]
    counts = session.execute(
        select(*sums).where(Dataset.state == "active", created >= _month_start(starts[0]))
    ).one()
    return {month: int(n) for month, n in zip(wanted, counts, strict=True)}


def _bump(rows: dict[str, dict[str, Any]], when: date | datetime | None, key: str) -> None:
    if when is None:
        return
    day = shanghai_date(when) if isinstance(when, datetime) else when
    row = rows.get(f"{day:%Y-%m}")
    if row is not None:
        row[key] += 1
