"""Wire formats of the ПОО API: naive local date-times with seven fractional digits, PascalCase enums.

Kept separate from rendering so the exact strings the vendor's SPA checks
(``^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{7}$``) are produced in one place.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

MARK_WORDS = {
    "2": "Two",
    "3": "Three",
    "4": "Four",
    "5": "Five",
    "зч": "Success",
    "зачтено": "Success",
    "зачёт": "Success",
    "нз": "Fail",
    "незачтено": "Fail",
    "не зачтено": "Fail",
    "незачёт": "Fail",
}
"""A journal value as the scenario writes it → the vendor's mark word (``markRatings``:
``Two…Five``, ``Success``, ``Fail``).  Values without a word («н/а», «1») are not shown: the
platform has no way to carry them (see the emulated protocol doc)."""

ABSENCE_TYPES = {
    "УП": "IsAbsentByValidReason",
    "Б": "SickLeave",
    "НП": "IsAbsentByNotValidReason",
    "ОП": "IsLate",
    "ОТ": "IsAbsent",
}
"""Canonical absence codes → ``absenceType``.  ОСВ (exempt from the lesson) has no word in the
vendor's enum and is not shown."""

LESSON_TYPES = (
    "Lecture",
    "Practice",
    "Laboratory",
    "Self",
    "Lesson",
    "Consultation",
    "Seminar",
    "Excursion",
    "Examination",
    "Composition",
    "BusinessGame",
    "PracticalTraining",
    "SportStandarts",
    "PracticalWork",
)
"""The vendor's lesson types (``thematicPlanLessonTypes``)."""

DECREE_TYPES = {
    "enrolment": "Enroll",
    "expulsion": "Retire",
    "transfer": "Move",
    "graduation": "Graduate",
    "academic_leave": "AcademicLeave",
    "return": "Restore",
}
"""Movement kinds → decree ``type``; the last two are not in the vendor enum (our design)."""

TERM_TYPES = {
    "semester": "Semester",
    "half_year": "Semester",
    "quarter": "Semester",
    "trimester": "Trimester",
}

_CAMEL_BREAK = re.compile(r"_([a-z])")


def pascal(snake: str) -> str:
    """``practical_training`` → ``PracticalTraining``."""
    text = _CAMEL_BREAK.sub(lambda m: m.group(1).upper(), snake.strip().lower())
    return text[:1].upper() + text[1:]


@functools.cache
def lesson_type(value: str | None) -> str:
    """A scenario's lesson or plan work kind → one of the vendor's lesson types (``Lesson`` if none).

    A control work has no lesson type on the platform (``thematicPlanLessonTypes``): it shows as
    ``Lesson`` carrying a ``Control`` task (see :class:`emulators.poo.render.LessonRender`)."""
    if not value:
        return "Lesson"
    aliases = {"practical": "Practice", "exam": "Examination", "lab": "Laboratory"}
    candidate = aliases.get(value.strip().lower(), pascal(value))
    return candidate if candidate in LESSON_TYPES else "Lesson"


def wire_datetime(value: dt.date | dt.datetime | str | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS.fffffff`` without an offset; a date gets ``T00:00:00.0000000``."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_value_date(value)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0"


def wire_time(value: dt.time | str | None) -> str | None:
    """``HH:mm``."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.time.fromisoformat(value)
    return f"{value:%H:%M}"


def parse_value_date(value: Any) -> dt.date:
    """A scenario cell holding a date (``date`` or ISO text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def optional_date(value: Any) -> dt.date | None:
    return None if value in (None, "") else parse_value_date(value)
