"""Provisional deadlines are recomputed when the operators' holiday table changes or the calendar
library starts covering a new year: the cases that moved are listed by the command and noted on
each case's history."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import pytest
from chinese_calendar import constants as library_days
from click.testing import CliRunner
from sqlalchemy import select

from datasets import workdays
from datasets.models import AuditEntry, CalendarState, Case
from datasets.workdays import DEFAULT_TABLE
from datasets.workflows import cases as c
from datasets.workflows import recompute as recompute_module
from datasets.workflows.machine import OPENING_REQUEST
from datasets.workflows.recompute import recompute
from portal.cli import main
from tests.factories import make_runtime

EXTRA = '\n[2028]\nholidays = ["2028-01-03"]\n'


def _open(rt, at: datetime) -> str:
    with rt.session() as session:
        case = c.open_case(
            rt,
            session,
            machine=OPENING_REQUEST,
            actor="system",
            status="submitted",
            organization_id=None,
            at=at,
            days=10,
        )
        return case.reference


def _case(rt, reference):
    with rt.reader() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        return case.received_on, case.due_on, case.due_provisional, c.history(session, case)


def test_a_changed_table_moves_provisional_deadlines_and_notes_them(tmp_path):
    table = tmp_path / "holidays.toml"
    shutil.copy(DEFAULT_TABLE, table)
    rt = make_runtime(tmp_path / "instance", holiday_table=str(table))
    try:
        monday = _open(rt, datetime(2027, 1, 25, 2, tzinfo=UTC))
        thursday = _open(rt, datetime(2027, 1, 28, 2, tzinfo=UTC))
        settled = _open(rt, datetime(2026, 11, 2, 2, tzinfo=UTC))  # 2026: official days only
        assert _case(rt, monday)[:3] == (date(2027, 1, 25), date(2027, 2, 16), True)
        assert _case(rt, thursday)[:2] == (date(2027, 1, 28), date(2027, 2, 19))

        first = recompute(rt)
        assert first.first and not first.moved
        assert not recompute(rt).changed  # nothing changed since

        text = table.read_text(encoding="utf-8")
        table.write_text(
            text.replace(
                '"2027-01-01", "2027-01-02", "2027-01-03",',
                '"2027-01-01", "2027-01-02", "2027-01-03", "2027-01-28", "2027-01-29",',
            ),
            encoding="utf-8",
        )
        done = recompute(rt)
        assert done.changed and done.checked == 2
        lines = {m.reference: m.line() for m in done.moved}
        assert lines == {
            monday: f"{monday}：期限 2027-02-16 → 2027-02-18（仍为暂定）",
            thursday: f"{thursday}：受理日 2027-01-28 → 2027-02-01，期限 2027-02-19 → 2027-02-23"
            "（仍为暂定）",
        }
        received, due, provisional, history = _case(rt, thursday)
        assert (received, due, provisional) == (date(2027, 2, 1), date(2027, 2, 23), True)
        assert history[-1]["label"] == "节假日安排更新，重新计算期限"
        assert (
            history[-1]["note"] == "节假日安排更新：受理日 2027-01-28 → 2027-02-01，期限 "
            "2027-02-19 → 2027-02-23（仍为暂定）"
        )
        assert len(_case(rt, settled)[3]) == 1  # only its opening: never recomputed
        assert not recompute(rt).changed

        # the command says the same, after the table changes again
        table.write_text(table.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
        env = {"KAIFANG_INSTANCE": str(rt.paths.root), "KAIFANG_HOLIDAY_TABLE": str(table)}
        result = CliRunner().invoke(main, ["services", "recompute-deadlines"], env=env)
        assert result.exit_code == 0, result.output
        assert "节假日安排已更新，核对办理中的暂定期限 2 件，调整 0 件" in result.output
        again = CliRunner().invoke(main, ["services", "recompute-deadlines"], env=env)
        assert "节假日安排未变化，无需重新计算" in again.output
        with rt.reader() as session:
            rows = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "case.deadline_recomputed")
            ).all()
        assert len(rows) == 2 and rows[0].detail["previous_due_on"] == "2027-02-16"
    finally:
        rt.close()


# What an upgrade of chinese-calendar could bring for 2027 (invented for the test, not the State
# Council's arrangement): 元旦 runs to Monday 4 January, a day the operators' table left as a
# working day.
LIBRARY_2027 = {date(2027, 1, day): "New Year's Day" for day in (1, 2, 3, 4)}


@pytest.fixture
def library_covering_2027(monkeypatch):
    """Call it to make chinese-calendar cover 2027, as an upgraded release would: its data gets
    the year, and the covered range is read from the data again, like on the next start."""

    def upgrade() -> None:
        for day, name in LIBRARY_2027.items():
            monkeypatch.setitem(library_days.holidays, day, name)
        last = max(library_days.holidays).year
        monkeypatch.setattr(workdays, "LAST_COVERED_YEAR", last)
        monkeypatch.setattr(recompute_module, "LAST_COVERED_YEAR", last)

    yield upgrade
    workdays._library_is_workday.cache_clear()  # forget the answers given for the invented year


def test_a_library_covering_a_new_year_recomputes_its_provisional_deadlines(
    tmp_path, library_covering_2027
):
    rt = make_runtime(tmp_path / "instance")
    try:
        # 10 working days from Monday 28 December 2026 reach into 2027, counted with the table
        late = _open(rt, datetime(2026, 12, 28, 2, tzinfo=UTC))
        march = _open(rt, datetime(2027, 3, 1, 2, tzinfo=UTC))
        assert _case(rt, late)[:3] == (date(2026, 12, 28), date(2027, 1, 12), True)
        assert _case(rt, march)[:3] == (date(2027, 3, 1), date(2027, 3, 15), True)
        assert recompute(rt).first  # the calendar of 2004–2026 and the table for 2027

        library_covering_2027()
        env = {"KAIFANG_INSTANCE": str(rt.paths.root)}
        result = CliRunner().invoke(main, ["services", "recompute-deadlines"], env=env)
        assert result.exit_code == 0, result.output
        assert "节假日安排已更新，核对办理中的暂定期限 2 件，调整 1 件" in result.output
        # the operators are told which case moved, and that it is no longer provisional
        assert f"  {late}：期限 2027-01-12 → 2027-01-13\n" in result.output
        assert march not in result.output

        received, due, provisional, history = _case(rt, late)
        assert (received, due, provisional) == (date(2026, 12, 28), date(2027, 1, 13), False)
        assert history[-1]["label"] == "节假日安排更新，重新计算期限"
        assert history[-1]["note"] == "节假日安排更新：期限 2027-01-12 → 2027-01-13"
        # the other one did not move but is now counted with official days only
        received, due, provisional, history = _case(rt, march)
        assert (received, due, provisional) == (date(2027, 3, 1), date(2027, 3, 15), False)
        assert len(history) == 1  # only its opening: nothing to note

        with rt.reader() as session:
            assert session.get(CalendarState, "current").last_covered_year == 2027
            rows = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "case.deadline_recomputed")
            ).all()
        assert [(r.detail["previous_due_on"], r.detail["due_on"]) for r in rows] == [
            ("2027-01-12", "2027-01-13")
        ]
        assert rows[0].detail["provisional"] is False
        again = CliRunner().invoke(main, ["services", "recompute-deadlines"], env=env)
        assert "节假日安排未变化，无需重新计算" in again.output
    finally:
        rt.close()
