"""The institution and its calendar: school year, reporting periods, vacations."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar, Literal

from canonical.base import Record


class InstitutionKind(StrEnum):
    SCHOOL = "school"
    COLLEGE = "college"


class Institution(Record):
    kind: ClassVar[str] = "institution"

    profile_id: str
    name: str
    short_name: str = ""
    institution_kind: InstitutionKind
    timezone: str
    """IANA zone name, e.g. ``Asia/Tomsk``: every deadline is computed in it."""
    week_days: Literal[5, 6] = 5
    region: str = ""


class SchoolYear(Record):
    kind: ClassVar[str] = "school_year"

    name: str
    """As the platforms print it: ``2026/2027``."""
    starts_on: dt.date
    ends_on: dt.date


class PeriodKind(StrEnum):
    QUARTER = "quarter"
    TRIMESTER = "trimester"
    SEMESTER = "semester"
    HALF_YEAR = "half_year"
    YEAR = "year"


class Period(Record):
    """A reporting period: the unit of period (final) marks and of ``period.lock``."""

    kind: ClassVar[str] = "period"

    year_id: str
    period_kind: PeriodKind
    number: int
    name: str
    starts_on: dt.date
    ends_on: dt.date


class Holiday(Record):
    """A school vacation (каникулы) as the platform lists it; public holidays come from the calendar."""

    kind: ClassVar[str] = "holiday"

    year_id: str
    name: str
    starts_on: dt.date
    ends_on: dt.date
