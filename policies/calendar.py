"""Working days and deadlines in an institution's time zone.

Regulations count "working days" by the Russian production calendar (public
holidays and the Saturdays moved to working days, which the ``holidays``
package knows), sometimes by a six-day school week, and regional decisions can
move a day further: the per-year override table.  Deadlines are instants:
"the lesson day by 20:00" is 20:00 local time, turned into UTC so the store's
UTC run times compare with it directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays


@dataclass(frozen=True)
class Vacation:
    """A school vacation (каникулы) as the platform lists it."""

    starts_on: dt.date
    ends_on: dt.date

    def contains(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class WorkCalendar:
    """The calendar of one institution.

    ``overrides`` maps a date to ``True`` (a working day by regional decision)
    or ``False`` (a day off); it wins over the production calendar.
    ``week_days`` is 5 (Saturday off unless moved) or 6 (Saturday a school day): the study
    week, which only deadlines counted in school days follow; «рабочих дней» always follow
    the production calendar.
    """

    timezone: str = "Europe/Moscow"
    week_days: int = 5
    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    vacations: tuple[Vacation, ...] = ()

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _ru(self) -> holidays.HolidayBase:
        return holidays.country_holidays("RU", years=range(2015, 2036))

    @cached_property
    def _moved_saturdays(self) -> frozenset[dt.date]:
        return frozenset(getattr(self._ru, "weekend_workdays", ()))

    def is_public_holiday(self, day: dt.date) -> bool:
        return day in self._ru

    def is_working_day(self, day: dt.date, *, school_week: bool = False) -> bool:
        """A working day of the production calendar (Monday to Friday, public holidays off,
        moved Saturdays on).  ``school_week``: the profile's study week instead, so with a
        six-day week every Saturday that is no public holiday counts too: for deadlines a
        regulation counts in school days, never for its «рабочих дней»."""
        if day in self.overrides:
            return self.overrides[day]
        if day in self._moved_saturdays:
            return True
        if self.is_public_holiday(day):
            return False
        weekday = day.weekday()
        if weekday == 6:
            return False
        return not (weekday == 5 and not (school_week and self.week_days == 6))

    def is_school_day(self, day: dt.date) -> bool:
        """A day of the study week that is not inside a school vacation."""
        return self.is_working_day(day, school_week=True) and not any(
            v.contains(day) for v in self.vacations
        )

    def add_working_days(self, day: dt.date, count: int, *, school_week: bool = False) -> dt.date:
        """The ``count``-th working day after ``day`` (``count`` 0: ``day`` itself if working,
        else the next working day); ``school_week`` counts days of the study week instead."""
        current = day
        if count <= 0:
            while not self.is_working_day(current, school_week=school_week):
                current += dt.timedelta(days=1)
            return current
        remaining = count
        while remaining:
            current += dt.timedelta(days=1)
            if self.is_working_day(current, school_week=school_week):
                remaining -= 1
        return current

    def next_working_day(self, day: dt.date) -> dt.date:
        return self.add_working_days(day, 1)

    def at(self, day: dt.date, clock: dt.time) -> dt.datetime:
        """The local moment ``day`` ``clock`` as an aware UTC instant."""
        return dt.datetime.combine(day, clock, tzinfo=self.zone).astimezone(dt.UTC)

    def end_of_day(self, day: dt.date) -> dt.datetime:
        """ "By the end of ``day``": 23:59:59 local, inclusive; deadlines are whole seconds, so
        an entry seen at midnight is already a day late."""
        return self.at(day, dt.time(23, 59, 59))

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.zone).date()

    def vacation_after(self, day: dt.date) -> Vacation | None:
        """The first vacation starting after ``day``."""
        later = [v for v in self.vacations if v.starts_on > day]
        return min(later, key=lambda v: v.starts_on) if later else None

    def days(self, start: dt.date, end: dt.date) -> Iterable[dt.date]:
        current = start
        while current <= end:
            yield current
            current += dt.timedelta(days=1)


def parse_overrides(raw: Mapping[str, object]) -> dict[dt.date, bool]:
    """``{"2026-12-31": false, "2027-02-20": true}`` from a profile or an institution config."""
    out: dict[dt.date, bool] = {}
    for key, value in raw.items():
        out[dt.date.fromisoformat(str(key))] = bool(value)
    return out
