"""Provisional deadlines recomputed when the working-day calendar changes (SPEC §7).

A deadline that reaches into a year ``chinese-calendar`` does not cover yet is counted with the
operators' table ``config/holidays.toml`` and marked provisional (``workdays``). When that table
is edited, or an upgraded library starts covering the year, such deadlines may move. The
calendar they were computed with is kept in ``calendar_state`` (the last covered year and the
table's days of later years); ``recompute`` compares it with the current one and, when they
differ, counts each open provisional case's working days again under the current calendar:
the day of receipt (a submission on a day that became a holiday moves to the next working day)
and the deadline, the same number of working days after it as before. Each case that moved gets
a history row (``case.deadline_recomputed``) naming the old and the new date. Run by
``kaifang services recompute-deadlines`` and by the daily sweep; the first run only records
the calendar.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.models import CalendarState, Case
from datasets.runtime import Runtime
from datasets.workdays import (
    FIRST_COVERED_YEAR,
    LAST_COVERED_YEAR,
    WorkCalendar,
    calendar_for,
    official_is_workday,
)
from datasets.workflows import cases as c

STATE_ID = "current"
ACTION = "case.deadline_recomputed"


@dataclass(frozen=True)
class Moved:
    """A case whose receipt day or deadline moved."""

    reference: str
    received_from: date
    received_to: date
    due_from: date
    due_to: date
    provisional: bool

    def line(self) -> str:
        received = (
            f"受理日 {self.received_from} → {self.received_to}，"
            if self.received_from != self.received_to
            else ""
        )
        still = "（仍为暂定）" if self.provisional else ""
        return f"{self.reference}：{received}期限 {self.due_from} → {self.due_to}{still}"


@dataclass(frozen=True)
class Recomputed:
    """What a run did: whether the calendar changed since the last run (``first``: nothing
    was recorded before), how many provisional cases were checked, and those that moved."""

    changed: bool
    first: bool
    checked: int
    moved: tuple[Moved, ...]


class RecordedCalendar:
    """The calendar as recorded: the library's data up to its last covered year then, the
    table's holidays and make-up working days after it."""

    def __init__(self, last_covered_year: int, days: dict[str, Any]) -> None:
        self.last_covered_year = last_covered_year
        self.holidays = {date.fromisoformat(d) for d in days.get("holidays", [])}
        self.workdays = {date.fromisoformat(d) for d in days.get("workdays", [])}

    def is_workday(self, day: date) -> bool:
        covered = FIRST_COVERED_YEAR <= day.year <= min(self.last_covered_year, LAST_COVERED_YEAR)
        if covered:
            return official_is_workday(day)
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def between(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        return sum(
            1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(n))
        )


def snapshot(calendar: WorkCalendar) -> dict[str, Any]:
    """What of ``calendar`` can still change: the last covered year, and the table's days of
    the years after it."""
    holidays, workdays = calendar.table_days()
    return {
        "last_covered_year": LAST_COVERED_YEAR,
        "days": {
            "holidays": sorted(d.isoformat() for d in holidays if d.year > LAST_COVERED_YEAR),
            "workdays": sorted(d.isoformat() for d in workdays if d.year > LAST_COVERED_YEAR),
        },
    }


def fingerprint(state: dict[str, Any]) -> str:
    blob = json.dumps(state, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def recompute(rt: Runtime, *, actor: str = "system") -> Recomputed:
    """Recompute the open provisional deadlines if the calendar changed since the last run,
    and record the current calendar."""
    calendar = calendar_for(rt)
    current = snapshot(calendar)
    mark = fingerprint(current)
    with rt.session() as session:
        state = session.get(CalendarState, STATE_ID, with_for_update=True)
        if state is None:
            session.add(CalendarState(id=STATE_ID, fingerprint=mark, **current))
            return Recomputed(changed=False, first=True, checked=0, moved=())
        if state.fingerprint == mark:
            return Recomputed(changed=False, first=False, checked=0, moved=())
        old = RecordedCalendar(state.last_covered_year, state.days or {})
        cases = session.scalars(
            select(Case)
            .where(
                Case.closed_at.is_(None),
                Case.due_on.is_not(None),
                Case.due_provisional.is_(True),
            )
            .order_by(Case.reference)
            .with_for_update()
        ).all()
        found = [_recompute_case(session, case, old, calendar, actor) for case in cases]
        moved = [m for m in found if m is not None]
        state.fingerprint, state.last_covered_year = mark, current["last_covered_year"]
        state.days = current["days"]
        return Recomputed(changed=True, first=False, checked=len(cases), moved=tuple(moved))


def _recompute_case(
    session: Session, case: Case, old: RecordedCalendar, calendar: WorkCalendar, actor: str
) -> Moved | None:
    assert case.due_on is not None  # selected with a deadline
    days = old.between(case.received_on, case.due_on)
    received = calendar.received_on(case.received_at)
    due = calendar.add(received.on, days)
    provisional = received.provisional or due.provisional
    before = (case.received_on, case.due_on)
    case.due_provisional = provisional
    if before == (received.on, due.on):
        return None
    case.received_on, case.due_on = received.on, due.on
    moved = Moved(case.reference, before[0], received.on, before[1], due.on, provisional)
    c.audit(
        session,
        actor,
        ACTION,
        case,
        note="节假日安排更新：" + moved.line().split("：", 1)[1],
        received_on=str(received.on),
        due_on=str(due.on),
        previous_received_on=str(before[0]),
        previous_due_on=str(before[1]),
        provisional=provisional,
    )
    return moved
