"""The Russian production calendar and an institution's school calendar.

Working days follow ``holidays.RU`` (public holidays, moved days off and the
Saturdays they were moved to); a six-day institution also works on ordinary
Saturdays.  Lesson days are working days outside the school vacations.  The
same arithmetic decides the planted deadlines, so it must agree with the
policy engine's reading of the catalog ("N working days", "next working day").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property

import holidays

_MOVED_FROM = re.compile(r"перенесено с (\d\d)\.(\d\d)\.(\d{4})")


@dataclass(frozen=True)
class Vacation:
    name: str
    starts_on: dt.date
    ends_on: dt.date
    grades: tuple[int, ...] | None = None
    """``None``: every group; else only these grades (the extra February week of grade 1)."""

    def covers(self, day: dt.date, grade: int | None = None) -> bool:
        if not self.starts_on <= day <= self.ends_on:
            return False
        return self.grades is None or (grade is not None and grade in self.grades)


@dataclass(frozen=True)
class PeriodSpan:
    number: int
    name: str
    starts_on: dt.date
    ends_on: dt.date


@dataclass
class WorkCalendar:
    """Working days of one institution (five- or six-day week) over some years."""

    week_days: int
    years: tuple[int, ...]
    vacations: list[Vacation] = field(default_factory=list)

    @cached_property
    def _ru(self) -> holidays.HolidayBase:
        found: holidays.HolidayBase = holidays.country_holidays(
            "RU", years=list(self.years), language="ru"
        )
        return found

    @cached_property
    def days_off(self) -> dict[dt.date, str]:
        """Public holidays and moved days off, with their calendar names."""
        return {day: str(name) for day, name in self._ru.items()}

    @cached_property
    def moved_saturdays(self) -> dict[dt.date, int]:
        """Saturdays made working by the calendar → the weekday whose timetable they follow."""
        out: dict[dt.date, int] = {}
        for day in sorted(self._ru.weekend_workdays):
            out[day] = 0
        for off, name in self.days_off.items():
            for match in _MOVED_FROM.finditer(name):
                source = dt.date(int(match[3]), int(match[2]), int(match[1]))
                if source in out:
                    out[source] = off.weekday()
        return out

    def is_working_day(self, day: dt.date, *, school_week: bool = True) -> bool:
        """A day of the study week (``school_week``, the default: a six-day week counts every
        Saturday), or of the production calendar (regulations' «рабочих дней»)."""
        if day in self.days_off:
            return False
        weekday = day.weekday()
        if weekday < 5:
            return True
        if weekday == 5:
            return (school_week and self.week_days == 6) or day in self.moved_saturdays
        return day in self.moved_saturdays

    def is_lesson_day(self, day: dt.date, grade: int | None = None) -> bool:
        if not self.is_working_day(day):
            return False
        return not any(v.covers(day, grade) for v in self.vacations)

    def timetable_weekday(self, day: dt.date) -> int:
        """Which weekday's timetable a lesson day follows (a moved Saturday borrows one)."""
        if day.weekday() == 5 and self.week_days == 5:
            return self.moved_saturdays.get(day, 0)
        return day.weekday()

    def add_working_days(self, day: dt.date, count: int, *, school_week: bool = True) -> dt.date:
        """The ``count``-th working day after ``day`` (``day`` itself not counted)."""
        current = day
        left = count
        while left > 0:
            current += dt.timedelta(days=1)
            if self.is_working_day(current, school_week=school_week):
                left -= 1
        return current

    def add_production_days(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th working day of the production calendar after ``day``."""
        return self.add_working_days(day, count, school_week=False)

    def next_working_day(self, day: dt.date) -> dt.date:
        return self.add_working_days(day, 1)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]."""
        count = 0
        current = start
        while current < end:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def school_year_start(year: int) -> dt.date:
    return dt.date(year, 9, 1)


def school_calendar(
    kind: str, year: int
) -> tuple[dt.date, dt.date, list[PeriodSpan], list[Vacation]]:
    """Year bounds, reporting periods and vacations of a school (quarters) or college (semesters).

    Dates follow the usual Russian pattern (the regional orders move them by a
    few days from year to year; the scenario fixes one version).
    """
    d = dt.date
    if kind == "school":
        periods = [
            PeriodSpan(1, "1 четверть", d(year, 9, 1), d(year, 10, 25)),
            PeriodSpan(2, "2 четверть", d(year, 11, 5), d(year, 12, 28)),
            PeriodSpan(3, "3 четверть", d(year + 1, 1, 9), d(year + 1, 3, 21)),
            PeriodSpan(4, "4 четверть", d(year + 1, 3, 31), d(year + 1, 5, 26)),
        ]
        vacations = [
            Vacation("Осенние каникулы", d(year, 10, 26), d(year, 11, 4)),
            Vacation("Зимние каникулы", d(year, 12, 29), d(year + 1, 1, 8)),
            Vacation(
                "Дополнительные каникулы для 1 класса", d(year + 1, 2, 15), d(year + 1, 2, 23), (1,)
            ),
            Vacation("Весенние каникулы", d(year + 1, 3, 22), d(year + 1, 3, 30)),
            Vacation("Летние каникулы", d(year + 1, 5, 27), d(year + 1, 8, 31)),
        ]
        return d(year, 9, 1), d(year + 1, 5, 26), periods, vacations
    periods = [
        PeriodSpan(1, "1 семестр", d(year, 9, 1), d(year, 12, 28)),
        PeriodSpan(2, "2 семестр", d(year + 1, 1, 12), d(year + 1, 6, 30)),
    ]
    vacations = [
        Vacation("Зимние каникулы", d(year, 12, 29), d(year + 1, 1, 11)),
        Vacation("Летние каникулы", d(year + 1, 7, 1), d(year + 1, 8, 31)),
    ]
    return d(year, 9, 1), d(year + 1, 6, 30), periods, vacations
