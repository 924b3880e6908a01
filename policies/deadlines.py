"""Deadline specifications as regulations phrase them, and their instants.

A specification is data in a profile ("2 working days", "by 20:00",
"1.5 hours after the class's last lesson"); :func:`due` turns one base date
into the instant (UTC) by which the entry must exist, in the institution's
calendar and time zone.  Rules evaluate over tables, so the engine tabulates
:func:`due` once per calendar day (a few hundred rows) and joins it in SQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from canonical.wording import count
from policies.calendar import WorkCalendar


class DeadlineSpec(BaseModel):
    """When an entry about a day is due.

    Start from the base date (the lesson day, the order date…), move
    ``calendar_days`` calendar days or ``working_days`` working days, then take
    ``at`` local time on that day (``None``: the end of that day).
    ``after_last_lesson_hours`` instead counts from the end of the group's
    last lesson of the base day (falls back to the day rule when the schedule
    has no end times).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    calendar_days: int = Field(0, ge=0)
    working_days: int = Field(0, ge=0)
    at: dt.time | None = None
    after_last_lesson_hours: float | None = Field(None, gt=0)
    last_working_day_of_week: bool = False
    """Due on the last working day of the base date's week (never before the base date)."""
    weekday: int | None = Field(None, ge=0, le=6)
    """Due on the first such weekday (0 Monday … 4 Friday) on or after the base date."""
    day_kind: Literal["working", "school"] = "working"
    """What ``working_days`` and ``last_working_day_of_week`` count: ``working`` days of the
    production calendar (the regulation says «рабочих дней»), or ``school`` days of the
    profile's study week (a six-day week counts Saturdays).  Each profile says which per
    rule, quoting the regulation (``day_kind_quote``)."""

    @property
    def school_week(self) -> bool:
        return self.day_kind == "school"

    def describe(self) -> str:
        """Russian wording for messages."""
        if self.after_last_lesson_hours is not None:
            n = self.after_last_lesson_hours
            hours = count(n, "часа", "часа" if n != int(n) else "часов", "часов")
            return f"не позднее {hours} после последнего урока дня"
        parts: list[str] = []
        if self.last_working_day_of_week:
            parts.append("до последнего рабочего дня недели")
        elif self.weekday is not None:
            parts.append("еженедельно к " + _WEEKDAYS[self.weekday])
        elif self.working_days:
            unit = (
                ("учебного дня", "учебных дней", "учебных дней")
                if self.school_week
                else ("рабочего дня", "рабочих дней", "рабочих дней")
            )
            parts.append(f"в течение {count(self.working_days, *unit)}")
        elif self.calendar_days == 1:
            parts.append("не позднее следующего дня")
        elif self.calendar_days:
            days = count(
                self.calendar_days, "календарного дня", "календарных дней", "календарных дней"
            )
            parts.append(f"в течение {days}")
        else:
            parts.append("в тот же день")
        if self.at is not None:
            parts.append(f"до {self.at.strftime('%H:%M')}")
        return " ".join(parts)


def due_day(calendar: WorkCalendar, base: dt.date, spec: DeadlineSpec) -> dt.date:
    day = base + dt.timedelta(days=spec.calendar_days)
    if spec.last_working_day_of_week:
        day += dt.timedelta(days=6 - day.weekday())
        while day > base and not calendar.is_working_day(day, school_week=spec.school_week):
            day -= dt.timedelta(days=1)
    if spec.weekday is not None:
        day += dt.timedelta(days=(spec.weekday - day.weekday()) % 7)
    if spec.working_days:
        day = calendar.add_working_days(day, spec.working_days, school_week=spec.school_week)
    return day


def due(calendar: WorkCalendar, base: dt.date, spec: DeadlineSpec) -> dt.datetime:
    """The instant by which an entry about ``base`` must exist (day rule only)."""
    day = due_day(calendar, base, spec)
    if spec.at is None:
        return calendar.end_of_day(day)
    return calendar.at(day, spec.at)


_WEEKDAYS = ("понедельнику", "вторнику", "среде", "четвергу", "пятнице", "субботе", "воскресенью")
