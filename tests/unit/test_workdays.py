"""Deadline vectors for the working-day calendar (datasets.workdays).

Every expected date was counted by hand against the State Council's holiday arrangements for
2024–2026 (and checked against chinese-calendar 1.11.0). Tests of years the library does not
cover write their own holiday table, so they do not depend on the estimate shipped for 2027.
"""

import os
import random
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from datasets.errors import ConfigError
from datasets.workdays import (
    DEFAULT_TABLE,
    FIRST_COVERED_YEAR,
    LAST_COVERED_YEAR,
    Deadline,
    WorkCalendar,
    calendar_for,
    shanghai_date,
)


def table(tmp_path: Path, text: str, name: str = "holidays.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_the_pinned_library_covers_2004_to_2026():
    # The 2027 vectors below assume 2027 is beyond the library. When an upgrade covers it, move
    # them to the next uncovered year and check config/holidays.toml.
    assert (FIRST_COVERED_YEAR, LAST_COVERED_YEAR) == (2004, 2026)


# -- make-up working days (调休上班) --------------------------------------------------------------


def test_weekend_make_up_days_are_working_days(cal):
    assert cal.is_workday(date(2025, 9, 28))  # Sunday before National Day 2025
    assert cal.is_workday(date(2025, 10, 11))  # Saturday after it
    assert cal.is_workday(date(2024, 10, 12))  # Saturday after National Day 2024
    assert cal.is_workday(date(2024, 9, 29))  # Sunday before it
    assert not cal.is_workday(date(2025, 9, 27))  # an ordinary Saturday
    assert not cal.is_workday(date(2025, 10, 12))  # an ordinary Sunday


def test_make_up_days_count_in_deadlines(cal):
    assert cal.add(date(2025, 9, 26), 1) == Deadline(date(2025, 9, 28), False)
    assert cal.add(date(2025, 9, 26), 2) == Deadline(date(2025, 9, 29), False)
    assert cal.add(date(2024, 10, 11), 1) == Deadline(date(2024, 10, 12), False)
    assert cal.add(date(2024, 9, 27), 1) == Deadline(date(2024, 9, 29), False)


def test_a_submission_on_a_make_up_day_is_received_that_day(cal):
    sunday_morning = datetime(2025, 9, 28, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert cal.received_on(sunday_morning) == Deadline(date(2025, 9, 28), False)


# -- National Day 2025: 1–8 October off, 28 September and 11 October worked -----------------------


def test_national_day_2025(cal):
    for day in range(1, 9):
        assert not cal.is_workday(date(2025, 10, day))
    # 9, 10, 11 (Saturday, worked), 13, 14, 15, 16, 17, 20, 21 October
    assert cal.add(date(2025, 9, 30), 10) == Deadline(date(2025, 10, 21), False)
    assert cal.add(date(2025, 9, 30), 1) == Deadline(date(2025, 10, 9), False)
    assert cal.between(date(2025, 9, 30), date(2025, 10, 21)) == 10


def test_a_submission_during_the_holiday_counts_from_the_next_working_day(cal):
    received = cal.received_on(datetime(2025, 10, 3, 2, 0, tzinfo=UTC))
    assert received == Deadline(date(2025, 10, 9), False)
    assert cal.add(received.on, 1) == Deadline(date(2025, 10, 10), False)
    assert cal.next_workday(date(2025, 10, 3)) == date(2025, 10, 9)
    assert cal.next_workday(date(2025, 10, 9)) == date(2025, 10, 9)


# -- Spring Festival 2026: 15–23 February off, 14 and 28 February worked --------------------------


def test_spring_festival_2026(cal):
    for day in range(15, 24):
        assert not cal.is_workday(date(2026, 2, day))
    assert cal.is_workday(date(2026, 2, 14))  # Saturday, worked
    assert cal.is_workday(date(2026, 2, 28))  # Saturday, worked
    # 13, 14 (Saturday), then 24, 25, 26 February
    assert cal.add(date(2026, 2, 12), 5) == Deadline(date(2026, 2, 26), False)
    assert cal.add(date(2026, 2, 13), 1) == Deadline(date(2026, 2, 14), False)
    assert cal.add(date(2026, 2, 24), 4) == Deadline(date(2026, 2, 28), False)
    assert cal.between(date(2026, 2, 13), date(2026, 2, 28)) == 6


def test_a_submission_on_new_years_eve_2026_counts_from_24_february(cal):
    eve = datetime(2026, 2, 16, 12, 0, tzinfo=UTC)  # 除夕, 20:00 in Shanghai
    assert cal.received_on(eve) == Deadline(date(2026, 2, 24), False)


# -- beyond the library: weekdays plus the operators' table, provisional --------------------------


def test_a_deadline_into_an_uncovered_year_is_provisional(tmp_path):
    cal = WorkCalendar(table(tmp_path, ""))
    # 31 December 2026 is covered, 1 January 2027 (Friday) is not
    assert cal.is_covered(date(2026, 12, 31))
    assert not cal.is_covered(date(2027, 1, 1))
    assert cal.add(date(2026, 12, 30), 1) == Deadline(date(2026, 12, 31), False)
    assert cal.add(date(2026, 12, 31), 1) == Deadline(date(2027, 1, 1), True)
    # 25, 28, 29, 30, 31 December, then 1, 4, 5, 6, 7 January
    assert cal.add(date(2026, 12, 24), 10) == Deadline(date(2027, 1, 7), True)


def test_a_holiday_in_the_table_moves_the_deadline(tmp_path):
    cal = WorkCalendar(table(tmp_path, '[2027]\nholidays = ["2027-01-01"]\n'))
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.add(date(2026, 12, 31), 1) == Deadline(date(2027, 1, 4), True)
    assert cal.add(date(2026, 12, 24), 10) == Deadline(date(2027, 1, 8), True)
    assert cal.received_on(datetime(2027, 1, 1, 3, tzinfo=UTC)) == Deadline(date(2027, 1, 4), True)


def test_a_make_up_day_in_the_table_counts(tmp_path):
    path = table(tmp_path, '[2027]\nholidays = [2027-01-01]\nworkdays = ["2027-01-02"]\n')
    cal = WorkCalendar(path)  # TOML dates are accepted as well as strings
    assert cal.is_workday(date(2027, 1, 2))  # Saturday
    assert cal.add(date(2026, 12, 31), 1) == Deadline(date(2027, 1, 2), True)


def test_a_year_missing_from_the_table_is_monday_to_friday(tmp_path):
    cal = WorkCalendar(table(tmp_path, '[2027]\nholidays = ["2027-12-31"]\n'))
    assert not cal.is_workday(date(2028, 1, 1))  # Saturday
    assert cal.is_workday(date(2028, 1, 3))  # Monday
    # 2028-01-01 is New Year's Day in fact, but no table says so yet: it is a Saturday anyway
    assert cal.add(date(2027, 12, 30), 3) == Deadline(date(2028, 1, 5), True)
    assert cal.received_on(datetime(2028, 3, 1, tzinfo=UTC)) == Deadline(date(2028, 3, 1), True)


def test_add_zero_returns_the_start_as_it_is(tmp_path):
    cal = WorkCalendar(table(tmp_path, ""))
    assert cal.add(date(2025, 10, 3), 0) == Deadline(date(2025, 10, 3), False)
    assert cal.add(date(2028, 1, 1), 0) == Deadline(date(2028, 1, 1), False)


def test_table_entries_for_covered_years_are_ignored(tmp_path):
    cal = WorkCalendar(table(tmp_path, '[2026]\nholidays = ["2026-03-02"]\n'))
    assert cal.is_workday(date(2026, 3, 2))


def test_the_bundled_table_loads_and_marks_new_years_day_2027():
    cal = WorkCalendar()
    assert cal.table == DEFAULT_TABLE
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.add(date(2026, 12, 31), 1).provisional


# -- UTC to Shanghai ------------------------------------------------------------------------------


def test_shanghai_date_is_eight_hours_ahead_of_utc():
    assert shanghai_date(datetime(2025, 3, 3, 16, 30, tzinfo=UTC)) == date(2025, 3, 4)
    assert shanghai_date(datetime(2025, 3, 3, 15, 59, tzinfo=UTC)) == date(2025, 3, 3)
    assert shanghai_date(datetime(2025, 3, 3, 16, 30)) == date(2025, 3, 4)  # naive is UTC
    new_york = timezone(timedelta(hours=-5))
    assert shanghai_date(datetime(2025, 3, 3, 11, 30, tzinfo=new_york)) == date(2025, 3, 4)


def test_received_on_uses_the_shanghai_date(cal):
    # Monday 3 March 2025, 00:30 on Tuesday in Shanghai
    assert cal.received_on(datetime(2025, 3, 3, 16, 30, tzinfo=UTC)) == Deadline(
        date(2025, 3, 4), False
    )
    assert cal.received_on(datetime(2025, 3, 3, 15, 59, tzinfo=UTC)).on == date(2025, 3, 3)
    # Friday 7 March, 17:00 UTC is Saturday 01:00 in Shanghai: received on Monday 10 March
    assert cal.received_on(datetime(2025, 3, 7, 17, 0, tzinfo=UTC)).on == date(2025, 3, 10)
    assert cal.received_on(datetime(2025, 3, 7, 15, 0, tzinfo=UTC)).on == date(2025, 3, 7)
    assert cal.received_on(datetime(2025, 3, 3, 16, 30)).on == date(2025, 3, 4)


def test_datetimes_are_not_taken_for_days(cal):
    with pytest.raises(TypeError):
        cal.is_workday(datetime(2025, 3, 3, 16, 30, tzinfo=UTC))
    with pytest.raises(TypeError):
        shanghai_date(date(2025, 3, 3))


# -- between and add agree ------------------------------------------------------------------------


def test_between_counts_what_add_walked(cal):
    rng = random.Random(20250930)
    first, last = date(2024, 1, 1), date(2026, 11, 30)
    for _ in range(300):
        start = first + timedelta(days=rng.randrange((last - first).days))
        days = rng.randrange(0, 25)
        deadline = cal.add(start, days)
        assert not deadline.provisional
        assert cal.between(start, deadline.on) == days, (start, days)
        if days:
            assert cal.is_workday(deadline.on)
            assert cal.between(start, deadline.on - timedelta(days=1)) == days - 1


def test_between_is_zero_unless_end_is_after_start(cal):
    assert cal.between(date(2025, 3, 4), date(2025, 3, 4)) == 0
    assert cal.between(date(2025, 3, 4), date(2025, 3, 3)) == 0
    assert cal.between(date(2025, 3, 3), date(2025, 3, 4)) == 1


def test_add_rejects_negative_days_and_ends_on_huge_ones(cal):
    with pytest.raises(ValueError, match="negative"):
        cal.add(date(2025, 3, 3), -1)
    with pytest.raises(ValueError, match="beyond the calendar"):
        cal.add(date(2025, 3, 3), 10**12)
    far = cal.add(date(2025, 3, 3), 5_000)  # about twenty years: a linear walk, still quick
    assert far.provisional
    assert cal.between(date(2025, 3, 3), far.on) == 5_000


# -- the operators' table is checked --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[2027]\nholidays = ["2027-02-30"]\n', "'2027-02-30' is not a date"),
        ('[2027]\nholidays = ["soon"]\n', "'soon' is not a date"),
        ("[2027]\nholidays = [20270101]\n", "20270101 is not a date"),
        ('[2027]\nholidays = "2027-01-01"\n', "must be a list of dates"),
        ('[next]\nholidays = ["2027-01-01"]\n', r"\[next\] is not a year"),
        ('[27]\nholidays = ["2027-01-01"]\n', r"\[27\] is not a year"),
        ('[2027]\nholidays = ["2028-01-03"]\n', r"2028-01-03 belongs under \[2028\]"),
        (
            '[2027]\nholidays = ["2027-01-02"]\nworkdays = ["2027-01-02"]\n',
            "2027-01-02 is both a holiday and a working day",
        ),
        ('[2027]\nworkdays = ["2027-01-04"]\n', "2027-01-04 is a weekday already"),
        ('[2027]\nholiday = ["2027-01-01"]\n', "unknown key 'holiday'"),
        ("[2027\nholidays = [\n", "is not valid TOML"),
    ],
)
def test_bad_tables_name_the_file_and_the_entry(tmp_path, text, message):
    path = table(tmp_path, text, name="bad-holidays.toml")
    with pytest.raises(ConfigError, match=message) as caught:
        WorkCalendar(path)
    assert "bad-holidays.toml" in caught.value.message


def test_a_table_that_is_not_utf8_is_a_config_error(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"# f\xe9ri\xe9s\n[2027]\n")
    with pytest.raises(ConfigError, match="latin1.toml"):
        WorkCalendar(path)


def test_a_missing_table_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="nowhere.toml does not exist"):
        WorkCalendar(tmp_path / "nowhere.toml")
    rt = SimpleNamespace(settings=SimpleNamespace(holiday_table=str(tmp_path / "nowhere.toml")))
    with pytest.raises(ConfigError, match="nowhere.toml does not exist"):
        calendar_for(rt)


# -- calendar_for ---------------------------------------------------------------------------------


def test_calendar_for_uses_the_bundled_table_by_default():
    rt = SimpleNamespace(settings=SimpleNamespace(holiday_table=""))
    assert calendar_for(rt).table == DEFAULT_TABLE
    assert calendar_for(rt) is calendar_for(rt)


def test_calendar_for_reloads_a_changed_table(tmp_path):
    path = table(tmp_path, "")
    rt = SimpleNamespace(settings=SimpleNamespace(holiday_table=str(path)))
    first = calendar_for(rt)
    assert first is calendar_for(rt)
    assert first.is_workday(date(2027, 1, 1))

    path.write_text('[2027]\nholidays = ["2027-01-01"]\n', encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = calendar_for(rt)
    assert second is not first
    assert not second.is_workday(date(2027, 1, 1))


def test_today_is_shanghai_s_whatever_the_machine_s_zone(monkeypatch):
    """17:05 UTC on 7 December is 01:05 on the 8th in Beijing: overdue flags, usage figures and
    kept package dicts change day with the portal, not with the server."""
    import datetime as real

    from datasets import workdays

    class Evening(real.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return cls(2026, 12, 7, 17, 5, tzinfo=real.UTC)  # asked in UTC

    monkeypatch.setattr(workdays, "datetime", Evening)
    assert workdays.shanghai_today() == real.date(2026, 12, 8)
