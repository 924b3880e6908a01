"""What the generator builds on: the context of one run and the shapes it keeps.

The planters read and bend the same context, so its fields are the
generator's working memory: lessons with their topic edits, marks by lesson,
absence reasons, orders and their enrolment edits.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulators.scenario.builder import Clock, Row, ScenarioBuilder
from emulators.scenario.calendar import PeriodSpan, WorkCalendar, school_calendar
from emulators.scenario.deadlines import Deadlines
from emulators.scenario.names import (
    Family,
)
from emulators.scenario.profiles import Profile

if TYPE_CHECKING:
    from emulators.scenario.people import People


DEFAULT_YEAR = 2024
"""The 2024/2025 school year: two moved working Saturdays (2 Nov, 28 Dec) and a Monday holiday."""


TAIL_DAYS = 14
"""After the last lesson the world runs on for two weeks: late entries, reasons, corrections."""


GENERATOR_VERSION = "1"


MARK_COLUMNS = [
    "student_id",
    "subject_id",
    "group_id",
    "lesson_id",
    "date",
    "value",
    "scale",
    "numeric",
    "work_kind_id",
    "weight",
    "comment",
    "final_kind",
    "period_id",
    "teacher_id",
]


ABSENCE_COLUMNS = ["student_id", "lesson_id", "date", "code", "valid", "document_date"]

UNSHOWN_ABSENCE_CODES = {"poo": frozenset({"ОСВ"})}
"""Absence codes a platform has no word for («Модуль ПОО» shows no «освобождён»): such an
absence never reaches the store, so no case is planted on it there."""


def exemption_code(platform: str) -> str:
    """How a student exempt from a lesson (PE) is recorded on ``platform``: «ОСВ», or where
    the platform has no such word, absent for a valid reason («УП»), the word it does have.
    An exemption the journal cannot show would leave the student unmarked yet present."""
    return "УП" if "ОСВ" in UNSHOWN_ABSENCE_CODES.get(platform, frozenset()) else "ОСВ"


LESSON_COLUMNS = [
    "group_id",
    "subject_id",
    "teacher_id",
    "date",
    "number",
    "starts_at",
    "ends_at",
    "topic",
    "hours",
    "room",
    "plan_item_id",
    "lesson_type",
]


PERSON_COLUMNS = [
    "last_name",
    "first_name",
    "middle_name",
    "roles",
    "birth_date",
    "sex",
    "snils",
    "document_type",
    "document_series",
    "document_number",
    "document_issued_on",
    "email",
    "phone",
    "login",
    "position",
    "employed_from",
]


WORK_KIND_BY_PLAN = {
    "practical": "wk-practical",
    "laboratory": "wk-lab",
    "control": "wk-control",
}


@dataclass
class Assignment:
    id: str
    group: GroupInfo
    subject_id: str
    subject_name: str
    teacher_id: str
    weekly: int
    plan_id: str = ""
    items: list[Row] = field(default_factory=list)
    slots: list[tuple[dt.date, int]] = field(default_factory=list)
    """Every lesson of the school year: (day, lesson number)."""


@dataclass
class GroupInfo:
    id: str
    name: str
    grade: int | None
    course: int | None
    curator_id: str
    room: str
    specialty: str | None = None
    assignments: list[Assignment] = field(default_factory=list)
    timetable: dict[int, list[tuple[int, Assignment]]] = field(default_factory=dict)

    @property
    def level(self) -> int:
        return self.grade if self.grade is not None else (self.course or 1)


@dataclass
class StudentInfo:
    id: str
    group_id: str
    ability: float
    absence_rate: float
    parents: list[str] = field(default_factory=list)
    intervals: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)
    """(group, from, to) when the student attends."""
    enrolment_id: str = ""
    exempt_pe: bool = False


@dataclass
class LessonInfo:
    id: str
    row: Row
    assignment: Assignment
    day: dt.date
    number: int
    start: dt.time
    end: dt.time
    item: Row
    item_kind: str
    topic_at: int
    """Seconds after midnight when the topic was entered (on time)."""
    topic_edit: Row
    """The edit that enters the topic (planters move it or change its text)."""


@dataclass
class Generated:
    scenario: dict[str, Any]
    truth: dict[str, Any]


class Context:
    """Everything generated so far; the planters read and bend it."""

    def __init__(
        self, profile: Profile, students: int, weeks: int, seed: int, start: dt.date | None
    ) -> None:
        if students < 20:
            raise ValueError("слишком мало обучающихся: нужно не меньше 20")
        if not 1 <= weeks <= 44:
            raise ValueError("число недель должно быть от 1 до 44")
        self.profile = profile
        self.n_students = students
        self.weeks = weeks
        self.seed = seed
        self.clock = Clock(profile.timezone)
        self.b = ScenarioBuilder(self.clock)
        self.year = _school_year_of(start)
        year_start, year_end, periods, vacations = school_calendar(profile.kind, self.year)
        self.year_start = year_start
        self.year_end = year_end
        self.period_spans = periods
        self.vacations = vacations
        self.cal = WorkCalendar(profile.week_days, (self.year, self.year + 1), vacations)
        self.dl = Deadlines(profile, self.cal)
        self.window_start = start or _default_start(self.year, weeks)
        self.window_end = self.window_start + dt.timedelta(days=7 * weeks)
        """Exclusive: lessons happen on days before it."""
        self.ends_on = self.window_end + dt.timedelta(days=TAIL_DAYS)
        self.groups: list[GroupInfo] = []
        self.students: dict[str, StudentInfo] = {}
        self.assignments: list[Assignment] = []
        self.lessons: list[LessonInfo] = []
        self.lessons_by_id: dict[str, LessonInfo] = {}
        self.marks_by_lesson: dict[str, list[Row]] = defaultdict(list)
        self.absences_by_lesson: dict[str, list[Row]] = defaultdict(list)
        self.homework_by_lesson: dict[str, Row] = {}
        self.group_last_end: dict[tuple[str, dt.date], dt.time] = {}
        self.period_ids: list[tuple[str, PeriodSpan]] = []
        self.year_period_id = ""
        self.staff: dict[str, list[str]] = defaultdict(list)
        self.subject_ids: dict[str, str] = {}
        self.claimed: set[tuple[str, str]] = set()
        self.skip_lessons: set[tuple[str, dt.date]] = set()
        """(assignment, day) where the lesson was not given (plan.coverage)."""
        self.mark_limits: dict[tuple[str, str], int] = {}
        """(student, assignment) → how many current marks the student may get (marks.density)."""
        self.families: dict[str, Family] = {}
        self.institution_id = "inst1"
        self.year_id = "sy1"
        self.orders: list[Row] = []
        self.group_index: dict[str, GroupInfo] = {}
        self.reason_edits: dict[str, list[Row]] = {}
        """Absence id → the class teacher's edits setting its reason."""
        self.order_edits: dict[str, list[Row]] = defaultdict(list)
        """Movement order id → the enrolment edits made when it was entered."""
        self.people: People | None = None
        self.notes: dict[str, Any] = {}
        """What one planter leaves for another (the ЕПГУ stranger, density targets…)."""
        self.year_marks_at: dt.datetime | None = None
        self.order_date_hints: list[dt.date] = []
        """Order dates the movement planter wants (next to holidays and moved Saturdays)."""
        self.final_marks: list[tuple[Row, PeriodSpan, Assignment]] = []
        self.optouts: list[Row] = []
        self.epgu_rows: list[Row] = []

    # randomness -------------------------------------------------------------
    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.profile.id}:{purpose}")

    # time helpers ------------------------------------------------------------
    def stamp(self, day: dt.date, seconds: int) -> str:
        return self.clock.stamp(day, max(0, min(seconds, 86399)))

    def iso(self, moment: dt.datetime) -> str:
        return self.clock.iso(moment)

    def in_window(self, day: dt.date) -> bool:
        return self.window_start <= day < self.window_end

    def claim(self, kind: str, record_id: str) -> bool:
        key = (kind, record_id)
        if key in self.claimed:
            return False
        self.claimed.add(key)
        return True

    def table(self, kind: str) -> Any:
        return self.b.tables[kind]

    def period_of(self, day: dt.date) -> tuple[str, PeriodSpan] | None:
        for pid, span in self.period_ids:
            if span.starts_on <= day <= span.ends_on:
                return pid, span
        return None

    def active(self, student: StudentInfo, group_id: str, day: dt.date) -> bool:
        return any(g == group_id and a <= day <= b for g, a, b in student.intervals)


def _school_year_of(start: dt.date | None) -> int:
    if start is None:
        return DEFAULT_YEAR
    return start.year if start.month >= 8 else start.year - 1


def _default_start(year: int, weeks: int) -> dt.date:
    """The window ends with the first half-year (and its moved Saturdays), or starts on 1 Sep.

    Eight weeks from 4 Nov 2024 hold a Monday holiday, the moved working
    Saturday of 28 Dec, the end of the second quarter / first semester and its
    final marks; a long window starts with the school year.
    """
    first = dt.date(year, 9, 1)
    if first.weekday() >= 5:
        first += dt.timedelta(days=7 - first.weekday())
    winter = dt.date(year, 12, 29)
    end = winter + dt.timedelta(days=7 - winter.weekday())  # the Monday after
    return max(end - dt.timedelta(days=7 * weeks), first)


def level_of(ctx: Context, group_id: str) -> int:
    return next(g.level for g in ctx.groups if g.id == group_id)


def group_of(ctx: Context, group_id: str) -> GroupInfo:
    if len(ctx.group_index) != len(ctx.groups):
        ctx.group_index = {g.id: g for g in ctx.groups}
    return ctx.group_index[group_id]
