"""Working days (工作日) for the deadlines of the public services (SPEC §7).

A deadline of "n working days" counts the working days after the day of receipt, which itself is
not counted; a submission on a non-working day counts as received on the next working day.
Working days follow the State Council's yearly holiday arrangement, including make-up working
days on weekends (调休上班).

For the years the ``chinese-calendar`` package covers, its data is used. Later years are not
published yet: there a day is a working day when it is Monday to Friday, adjusted by the
operator-maintained table ``config/holidays.toml``, and every deadline that touches such a day is
marked provisional so that the services can say it may still move.

Times are stored in UTC; the day something was received is its calendar date in Asia/Shanghai.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
from chinese_calendar import constants as _cc_data

from datasets.errors import ConfigError

DEFAULT_TABLE = Path(__file__).resolve().parent.parent / "config" / "holidays.toml"

# The years chinese-calendar has data for, read from the library so that upgrading it widens the
# range without a code change (the library itself validates against the same keys).
FIRST_COVERED_YEAR: int = min(_cc_data.holidays).year
LAST_COVERED_YEAR: int = max(_cc_data.holidays).year

# No arrangement has ever had more than a few consecutive days off; a table that leaves a whole
# year without a working day is broken, and the walk must not run to the end of time.
_MAX_DAYS_OFF = 366

_YEAR_KEY = re.compile(r"[0-9]{4}")
_TABLE_KEYS = ("holidays", "workdays")

try:
    SHANGHAI: Any = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # no tz database on this machine
    # China has used UTC+8 without daylight saving time since 1991.
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True)
class Deadline:
    """A date computed in working days; ``provisional`` when it relied on the operators' table."""

    on: date
    provisional: bool


def shanghai_today() -> date:
    """Today in Asia/Shanghai, whatever the machine's zone (a server in UTC is a day behind
    from 00:00 to 08:00 Beijing time)."""
    return shanghai_date(datetime.now(UTC))


def shanghai_date(at: datetime) -> date:
    """The calendar date of ``at`` in Asia/Shanghai; a naive datetime is taken to be UTC."""
    if not isinstance(at, datetime):
        raise TypeError(f"expected a datetime, not {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(SHANGHAI).date()


@functools.cache
def _library_is_workday(day: date) -> bool:
    # Cached because the library re-derives its year range on every call; the cache is bounded
    # by the days of the covered years (about 8,400), as only covered days are passed here.
    return chinese_calendar.is_workday(day)


def official_is_workday(day: date) -> bool:
    """The library's answer for a day of a year it covers (``WorkCalendar.is_covered``)."""
    return _library_is_workday(_plain_date(day))


def _plain_date(day: date) -> date:
    # A datetime is also a date, but its day depends on the time zone: make the caller choose.
    if isinstance(day, datetime):
        raise TypeError("expected a date, not a datetime (use shanghai_date or received_on)")
    return day


class WorkCalendar:
    """Working days from chinese-calendar, extended by the operators' table beyond its range."""

    def __init__(self, table: Path | None = None) -> None:
        """Load and check the operators' table ``table`` (None: the bundled config/holidays.toml).

        Raises ConfigError naming the file and the entry when the table is missing or wrong.
        """
        self.table = Path(table) if table is not None else DEFAULT_TABLE
        self._holidays, self._workdays = _load_table(self.table)

    def table_days(self) -> tuple[frozenset[date], frozenset[date]]:
        """The holidays and make-up working days the operators' table gives the years the
        library does not cover."""
        return self._holidays, self._workdays

    def is_covered(self, day: date) -> bool:
        """Whether chinese-calendar has the official arrangement of ``day``'s year."""
        return FIRST_COVERED_YEAR <= _plain_date(day).year <= LAST_COVERED_YEAR

    def is_workday(self, day: date) -> bool:
        """Whether people work on ``day``: official data if covered, else the table and weekdays."""
        if self.is_covered(day):
            return _library_is_workday(day)
        if day in self._workdays:
            return True
        return day.weekday() < 5 and day not in self._holidays

    def next_workday(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        for offset in range(_MAX_DAYS_OFF + 1):
            candidate = _step(day, offset)
            if self.is_workday(candidate):
                return candidate
        raise ConfigError(
            f"holiday table {self.table}: no working day in the {_MAX_DAYS_OFF} days from {day}"
        )

    def received_on(self, at: datetime) -> Deadline:
        """The day a submission made at ``at`` counts as received (a working day).

        ``at`` is an aware datetime (naive means UTC). Its Shanghai date is moved to the next
        working day when it is not one, like ``chinese_calendar.find_workday(0, day)``.
        """
        day = shanghai_date(at)
        received = self.next_workday(day)
        return Deadline(received, self._provisional(day, received))

    def add(self, start: date, days: int) -> Deadline:
        """The ``days``-th working day after ``start`` (``start`` itself is not counted).

        ``add(start, 0)`` is ``start``. Provisional when any day examined lies outside
        chinese-calendar's range.
        """
        start = _plain_date(start)
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        if days > (date.max - start).days:  # there are fewer working days than days left
            raise ValueError(f"{days} working days after {start} is beyond the calendar")
        if days == 0:
            return Deadline(start, False)  # no day examined
        day = start
        for _ in range(days):
            day = self.next_workday(_step(day, 1))
        return Deadline(day, self._provisional(_step(start, 1), day))

    def between(self, start: date, end: date) -> int:
        """The number of working days in (start, end]; 0 when ``end`` is not after ``start``."""
        start, end = _plain_date(start), _plain_date(end)
        return sum(
            1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(n))
        )

    def _provisional(self, first: date, last: date) -> bool:
        # The covered years are one contiguous range, so every day of first..last is covered
        # exactly when both ends are.
        return not (self.is_covered(first) and self.is_covered(last))


def _step(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise ValueError(f"{day} + {days} days is beyond the calendar") from None


# -- the operators' table -------------------------------------------------------------------------


def _load_table(path: Path) -> tuple[frozenset[date], frozenset[date]]:
    """Read and check the table; returns the holidays and make-up working days it declares.

    Years chinese-calendar covers are checked like the others but take no effect.
    """
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"holiday table {path} does not exist (setting KAIFANG_HOLIDAY_TABLE)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"holiday table {path} cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"holiday table {path} is not valid TOML: {exc}") from None

    holidays: set[date] = set()
    workdays: set[date] = set()
    for key, entry in document.items():
        if not _YEAR_KEY.fullmatch(key):
            raise ConfigError(f"holiday table {path}: [{key}] is not a year such as [2027]")
        if not isinstance(entry, dict):
            raise ConfigError(f"holiday table {path}: {key} must be a table such as [{key}]")
        year = int(key)
        unknown = sorted(set(entry) - set(_TABLE_KEYS))
        if unknown:
            raise ConfigError(
                f"holiday table {path}: [{key}] has unknown key {unknown[0]!r} "
                "(expected holidays and workdays)"
            )
        days_off = _dates(path, year, entry, "holidays")
        days_on = _dates(path, year, entry, "workdays")
        for day in sorted(days_on):
            if day.weekday() < 5:
                raise ConfigError(
                    f"holiday table {path}: [{key}] workdays: {day} is a weekday already; "
                    "list only make-up working days on weekends"
                )
        both = sorted(days_off & days_on)
        if both:
            raise ConfigError(
                f"holiday table {path}: [{key}] {both[0]} is both a holiday and a working day"
            )
        if FIRST_COVERED_YEAR <= year <= LAST_COVERED_YEAR:
            continue  # the official data of chinese-calendar wins
        holidays |= days_off
        workdays |= days_on
    return frozenset(holidays), frozenset(workdays)


def _dates(path: Path, year: int, entry: dict[str, Any], name: str) -> set[date]:
    """The dates listed under ``[year] name``, as ISO strings or TOML dates."""
    values = entry.get(name, [])
    if not isinstance(values, list):
        raise ConfigError(f"holiday table {path}: [{year}] {name} must be a list of dates")
    found: set[date] = set()
    for value in values:
        day = _as_date(value)
        if day is None:
            raise ConfigError(
                f"holiday table {path}: [{year}] {name}: {value!r} is not a date such as "
                f'"{year}-01-01"'
            )
        if day.year != year:
            raise ConfigError(
                f"holiday table {path}: [{year}] {name}: {day} belongs under [{day.year}]"
            )
        found.add(day)
    return found


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


# -- one calendar per table file ------------------------------------------------------------------

_calendars: dict[Path, tuple[int, WorkCalendar]] = {}


def calendar_for(rt: Any) -> WorkCalendar:
    """The calendar of ``rt.settings.holiday_table``, reloaded when the file changes.

    Cached per (table path, modification time), so operators can update the table without a
    restart and the services do not re-read it for every deadline.
    """
    setting = rt.settings.holiday_table
    path = Path(setting).expanduser().resolve() if setting else DEFAULT_TABLE
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return WorkCalendar(path)  # raises the ConfigError that names the file
    cached = _calendars.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    calendar = WorkCalendar(path)
    _calendars[path] = (mtime, calendar)
    return calendar
