"""The deterministic scenario generator: one synthetic institution over some weeks.

Same arguments, same bytes: every random choice comes from a stream seeded by
(seed, purpose), nothing reads the wall clock, and output keys are sorted.
The world is built in steps (calendar, staff, groups, people, plans, timetable
and journal, contingent, the institution's own records, cross-platform
differences, accounts), then the planters of ``emulators.scenario.plants``
break rules on purpose and write the ground truth.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from canonical.normalize import make_snils
from emulators.scenario.builder import Clock, Row, ScenarioBuilder, seconds_of
from emulators.scenario.calendar import PeriodSpan, WorkCalendar, school_calendar
from emulators.scenario.catalog import REPORT_OBLIGATIONS, rules_of
from emulators.scenario.curriculum import (
    COMMON_DISCIPLINES,
    FOREIGN_LANGUAGE_SUBJECTS,
    SCHOOL_SUBJECTS,
    SPECIALTIES,
    WORK_KINDS,
    topics_for,
)
from emulators.scenario.deadlines import Deadlines
from emulators.scenario.names import (
    Family,
    FullName,
    adult_name,
    child_name,
    father_name,
    mother_name,
    random_family,
    translit,
)
from emulators.scenario.profiles import Profile
from emulators.scenario.profiles import profile as get_profile
from emulators.scenario.world import FORMAT, FORMAT_VERSION

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


# ---------------------------------------------------------------------------
# steps


def _institution(ctx: Context) -> None:
    p = ctx.profile
    created = ctx.stamp(dt.date(ctx.year, 8, 1), 9 * 3600)
    ctx.b.table(
        "institution",
        ["profile_id", "name", "short_name", "institution_kind", "timezone", "week_days", "region"],
    ).add(
        ctx.institution_id,
        created,
        profile_id=p.id,
        name=p.name,
        short_name=p.short_name,
        institution_kind=p.kind,
        timezone=p.timezone,
        week_days=p.week_days,
        region=p.region,
    )
    ctx.b.table("school_year", ["name", "starts_on", "ends_on"]).add(
        ctx.year_id,
        created,
        name=f"{ctx.year}/{ctx.year + 1}",
        starts_on=ctx.year_start.isoformat(),
        ends_on=ctx.year_end.isoformat(),
    )
    periods = ctx.b.table(
        "period", ["year_id", "period_kind", "number", "name", "starts_on", "ends_on"]
    )
    for span in ctx.period_spans:
        pid = ctx.b.next_id("per")
        periods.add(
            pid,
            created,
            year_id=ctx.year_id,
            period_kind=p.period_kind,
            number=span.number,
            name=span.name,
            starts_on=span.starts_on.isoformat(),
            ends_on=span.ends_on.isoformat(),
        )
        ctx.period_ids.append((pid, span))
    ctx.year_period_id = ctx.b.next_id("per")
    periods.add(
        ctx.year_period_id,
        created,
        year_id=ctx.year_id,
        period_kind="year",
        number=1,
        name="Год",
        starts_on=ctx.year_start.isoformat(),
        ends_on=ctx.year_end.isoformat(),
    )
    holidays = ctx.b.table("holiday", ["year_id", "name", "starts_on", "ends_on"])
    for vac in ctx.vacations:
        holidays.add(
            ctx.b.next_id("hol"),
            created,
            year_id=ctx.year_id,
            name=vac.name,
            starts_on=vac.starts_on.isoformat(),
            ends_on=vac.ends_on.isoformat(),
        )
    kinds = ctx.b.table("work_kind", ["name", "short_name", "weight", "is_control", "is_external"])
    for wid, name, short, weight, control, external in WORK_KINDS:
        if external and p.id != "mazanka":
            continue
        kinds.add(
            wid,
            created,
            name=name,
            short_name=short,
            weight=weight,
            is_control=control,
            is_external=external,
        )


class People:
    """Makes person rows with consistent documents, СНИЛС and contacts."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("people")
        self.snils_used: set[int] = set()
        self.logins: set[str] = set()
        self.table = ctx.b.table("person", PERSON_COLUMNS)
        self.region_code = {
            "tpt": "69",
            "usolye": "36",
            "kpgt": "75",
            "talmenka": "01",
            "mazanka": "39",
        }[ctx.profile.id]

    def snils(self) -> str:
        while True:
            number = self.rng.randint(2_000_000, 999_999_999)
            if number not in self.snils_used:
                self.snils_used.add(number)
                return make_snils(number)

    def login(self, name: FullName) -> str:
        base = f"{translit(name.last)}.{translit(name.first)[:1]}{translit(name.middle)[:1]}"
        login = base
        n = 1
        while login in self.logins:
            n += 1
            login = f"{base}{n}"
        self.logins.add(login)
        return login

    def add(
        self,
        prefix: str,
        name: FullName,
        roles: list[str],
        birth: dt.date,
        created_at: str,
        *,
        position: str | None = None,
        employed_from: dt.date | None = None,
        with_snils: bool = True,
        with_passport: bool = True,
    ) -> str:
        rng = self.rng
        pid = self.ctx.b.next_id(prefix)
        age_now = self.ctx.year - birth.year
        values: dict[str, Any] = {
            "last_name": name.last,
            "first_name": name.first,
            "middle_name": name.middle,
            "roles": roles,
            "birth_date": birth.isoformat(),
            "sex": name.sex,
            "snils": self.snils() if with_snils else None,
            "login": self.login(name),
        }
        if with_passport:
            if age_now >= 14:
                issued = dt.date(
                    birth.year + (14 if age_now < 20 else 20), birth.month, min(birth.day, 28)
                )
                issued += dt.timedelta(days=rng.randint(5, 60))
                values.update(
                    document_type="21",
                    document_series=f"{self.region_code}{issued.year % 100:02d}",
                    document_number=f"{rng.randint(100000, 999999)}",
                    document_issued_on=issued.isoformat(),
                )
            else:
                letters = "АБВГДЕЖИКЛМНОПРСТУФХ"
                values.update(
                    document_type="03",
                    document_series=f"{rng.choice(['I', 'II', 'III', 'IV', 'V'])}-"
                    f"{rng.choice(letters)}{rng.choice(letters)}",
                    document_number=f"{rng.randint(100000, 999999)}",
                    document_issued_on=(birth + dt.timedelta(days=rng.randint(7, 40))).isoformat(),
                )
        if age_now >= 14:
            values["phone"] = (
                f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
            )
            values["email"] = f"{values['login'].replace('.', '_')}@mail.ru"
        if position is not None:
            values["position"] = position
        if employed_from is not None:
            values["employed_from"] = employed_from.isoformat()
        self.table.add(pid, created_at, **values)
        return pid


def _birth(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))


def _staff(ctx: Context, people: People, teachers_needed: int) -> None:
    rng = ctx.rng("staff")
    created = ctx.stamp(dt.date(ctx.year, 8, 20), 10 * 3600)
    college = ctx.profile.kind == "college"

    def hire(role: str, roles: list[str], position: str, sex: str | None = None) -> str:
        name = adult_name(rng, sex or rng.choice(["female", "female", "male"]))
        employed = dt.date(
            rng.randint(ctx.year - 25, ctx.year - 1),
            rng.choice([8, 9]),
            25 if rng.random() < 0.5 else 1,
        )
        pid = people.add(
            "e",
            name,
            roles,
            _birth(rng, rng.randint(ctx.year - 62, ctx.year - 24)),
            created,
            position=position,
            employed_from=employed,
        )
        ctx.staff[role].append(pid)
        return pid

    hire("director", ["director"], "Директор")
    hire(
        "deputy",
        ["deputy"],
        "Заместитель директора по учебной работе"
        if college
        else "Заместитель директора по учебно-воспитательной работе",
    )
    hire("administrator", ["administrator"], "Администратор электронного журнала")
    hire("secretary", ["secretary"], "Секретарь учебной части")
    for _ in range(teachers_needed):
        hire("teacher", ["teacher"], "Преподаватель" if college else "Учитель")


def _groups_and_subjects(ctx: Context) -> list[tuple[GroupInfo, list[tuple[str, str | None, int]]]]:
    """Group shells and, per group, the (subject, code, pairs a week) it studies."""
    rng = ctx.rng("groups")
    p = ctx.profile
    n_groups = max(1, math.ceil(ctx.n_students / p.group_size))
    out: list[tuple[GroupInfo, list[tuple[str, str | None, int]]]] = []
    if p.kind == "college":
        specialties = list(SPECIALTIES)
        if p.id == "usolye":
            specialties = [s for s in SPECIALTIES if s.abbr in ("МХ", "БУ", "ПК", "ЭО")]
        counters: dict[tuple[str, int], int] = defaultdict(int)
        for i in range(n_groups):
            course = 1 + i % 4
            spec = specialties[(i // 4) % len(specialties)]
            counters[(spec.abbr, course)] += 1
            name = f"{spec.abbr}-{course}{counters[(spec.abbr, course)]}"
            group = GroupInfo(
                id=f"g{i + 1}",
                name=name,
                grade=None,
                course=course,
                curator_id="",
                room=f"{rng.randint(1, 4)}{rng.randint(0, 2)}{rng.randint(1, 9)}",
            )
            subjects: list[tuple[str, str | None, int]] = [
                (n, c, 2) for c, n in COMMON_DISCIPLINES[course]
            ]
            if course >= 2:
                k = min(len(spec.disciplines), 3 + course // 2)
                start = (course - 2) % max(1, len(spec.disciplines) - k + 1)
                for code, name_ in spec.disciplines[start : start + k]:
                    subjects.append((name_, code, 3))
            group_specialty = f"{spec.code} {spec.name}"
            group.specialty = group_specialty
            out.append((group, subjects))
        return out
    letters = "АБВГ"
    per_grade = max(1, round(n_groups / 11))
    n = 0
    for grade in range(1, 12):
        for k in range(per_grade):
            n += 1
            group = GroupInfo(
                id=f"g{n}",
                name=f"{grade}{letters[k]}",
                grade=grade,
                course=None,
                curator_id="",
                room=f"{rng.randint(1, 3)}{rng.randint(0, 2)}",
            )
            subjects = [
                (name, None, hours)
                for name, (lo, hi, hours) in SCHOOL_SUBJECTS.items()
                if lo <= grade <= hi
            ]
            out.append((group, subjects))
    return out


def _daily_limit(ctx: Context, group: GroupInfo) -> int:
    if ctx.profile.kind == "college":
        return 4
    if group.grade is not None and group.grade <= 1:
        return 4
    if group.grade is not None and group.grade <= 4:
        return 5
    return 7


def _timetable(ctx: Context, group: GroupInfo) -> None:
    """Spread the group's weekly lessons over its week, a few a day from lesson 1."""
    rng = ctx.rng(f"timetable:{group.id}")
    slots: list[Assignment] = []
    for a in group.assignments:
        slots.extend([a] * a.weekly)
    rng.shuffle(slots)
    days = list(range(ctx.profile.week_days))
    limit = _daily_limit(ctx, group)
    per_day: dict[int, list[Assignment]] = {d: [] for d in days}
    for i, a in enumerate(slots):
        for offset in range(len(days)):
            d = days[(i + offset) % len(days)]
            cap = limit - 1 if d == 5 else limit
            if len(per_day[d]) < cap and a not in per_day[d][-1:]:
                per_day[d].append(a)
                break
    group.timetable = {d: [(n + 1, a) for n, a in enumerate(lst)] for d, lst in per_day.items()}


def _subjects_and_assignments(
    ctx: Context, shells: list[tuple[GroupInfo, list[tuple[str, str | None, int]]]]
) -> None:
    rng = ctx.rng("assignments")
    subjects = ctx.b.table("subject", ["name", "short_name", "code", "foreign_language"])
    created = ctx.stamp(dt.date(ctx.year, 8, 20), 11 * 3600)
    teachers = ctx.staff["teacher"]
    by_subject_teachers: dict[str, list[str]] = {}
    load: dict[str, int] = defaultdict(int)
    groups_table = ctx.b.table(
        "group",
        [
            "name",
            "group_kind",
            "year_id",
            "grade",
            "course",
            "curator_id",
            "department",
            "specialty",
        ],
    )
    tas = ctx.b.table(
        "teaching_assignment", ["group_id", "subject_id", "teacher_id", "curriculum_hours"]
    )
    t_index = 0
    for group, subject_list in shells:
        for name, code, weekly in subject_list:
            key = f"{code or ''} {name}".strip()
            sid = ctx.subject_ids.get(key)
            if sid is None:
                sid = ctx.b.next_id("sb")
                ctx.subject_ids[key] = sid
                short = (
                    name
                    if len(name) <= 16
                    else "".join(w[0].upper() for w in name.split() if w[0].isalpha())
                )
                subjects.add(
                    sid,
                    created,
                    name=name,
                    short_name=short,
                    code=code,
                    foreign_language=name in FOREIGN_LANGUAGE_SUBJECTS,
                )
            pool = by_subject_teachers.setdefault(sid, [])
            if not pool or load[pool[-1]] >= 5:
                pool.append(teachers[t_index % len(teachers)])
                t_index += 1
            teacher = min(pool, key=lambda t: (load[t], t))
            load[teacher] += 1
            a = Assignment(ctx.b.next_id("ta"), group, sid, name, teacher, weekly)
            group.assignments.append(a)
            ctx.assignments.append(a)
    curators = list(teachers)
    rng.shuffle(curators)
    for i, (group, _) in enumerate(shells):
        group.curator_id = curators[i % len(curators)]
        _timetable(ctx, group)
        department = None
        if ctx.profile.departments:
            department = ctx.profile.departments[i % len(ctx.profile.departments)]
        groups_table.add(
            group.id,
            created,
            name=group.name,
            group_kind="academic_group" if group.course else "class",
            year_id=ctx.year_id,
            grade=group.grade,
            course=group.course,
            curator_id=group.curator_id,
            department=department,
            specialty=group.specialty,
        )
        ctx.groups.append(group)
    # class teachers / curators carry the role
    person = ctx.table("person")
    curator_set = {g.curator_id for g in ctx.groups}
    for pid in sorted(curator_set):
        row = person.by_id[pid]
        person.set(row, "roles", ["teacher", "class_teacher"])
        ctx.staff["class_teacher"].append(pid)
    # the year's lessons of every assignment, for plans and curriculum hours
    day = ctx.year_start
    while day <= ctx.year_end:
        for group in ctx.groups:
            if not ctx.cal.is_lesson_day(day, group.grade):
                continue
            for number, a in group.timetable.get(ctx.cal.timetable_weekday(day), []):
                a.slots.append((day, number))
        day += dt.timedelta(days=1)
    for a in ctx.assignments:
        tas.add(
            a.id,
            created,
            group_id=a.group.id,
            subject_id=a.subject_id,
            teacher_id=a.teacher_id,
            curriculum_hours=float(len(a.slots) * ctx.profile.hours_per_lesson),
        )


def _plan_items(ctx: Context, a: Assignment, count: int) -> list[tuple[str, str, int | None]]:
    """(topic, work kind, work number) for each planned lesson."""
    topics = topics_for(a.subject_name)
    college = ctx.profile.kind == "college"
    code = _subject_code(ctx, a)
    professional = college and code.startswith(("ОП", "МДК"))
    lab_subject = a.subject_name in (
        "Физика",
        "Химия",
        "Электротехника и электроника",
        "Материаловедение",
    )
    numbers: dict[str, int] = defaultdict(int)
    per_topic = max(2, count // max(1, len(topics)))
    out: list[tuple[str, str, int | None]] = []
    grade1 = a.group.grade == 1
    for i in range(1, count + 1):
        topic = topics[((i - 1) // per_topic) % len(topics)]
        position = (i - 1) % per_topic
        kind = "lesson"
        if not grade1 and i % 12 == 0:
            kind = "control"
        elif lab_subject and i % 6 == 0:
            kind = "laboratory"
        elif (professional or a.subject_name == "Информатика") and i % 4 == 0:
            kind = "practical"
        if kind == "lesson":
            text = (
                topic
                if position == 0
                else f"{topic}. {_LESSON_SUFFIXES[position % len(_LESSON_SUFFIXES)]}"
            )
            out.append((text, "lecture" if college else "lesson", None))
            continue
        numbers[kind] += 1
        n = numbers[kind]
        if kind == "practical":
            text = f"Практическая работа № {n} «{topic}»"
        elif kind == "laboratory":
            text = f"Лабораторная работа № {n} «{topic}»"
        elif a.subject_name == "Русский язык" and n % 2 == 0:
            text = f"Контрольный диктант № {n} по теме «{topic}»"
        else:
            text = f"Контрольная работа № {n} по теме «{topic}»"
        out.append((text, kind, n))
    return out


_LESSON_SUFFIXES = ("Введение", "Закрепление", "Решение задач", "Обобщение и систематизация")


def _subject_code(ctx: Context, a: Assignment) -> str:
    return ctx.table("subject").by_id[a.subject_id][ctx.table("subject").index["code"]] or ""


def _plans(ctx: Context) -> None:
    rng = ctx.rng("plans")
    plans = ctx.b.table("plan", ["group_id", "subject_id", "teacher_id", "year_id", "total_hours"])
    items = ctx.b.table(
        "plan_item", ["plan_id", "ordinal", "topic", "hours", "work_kind", "work_number"]
    )
    hours = float(ctx.profile.hours_per_lesson)
    for a in ctx.assignments:
        a.plan_id = ctx.b.next_id("kp")
        entered = dt.date(ctx.year, 8, rng.randint(15, 24))
        created = ctx.stamp(entered, rng.randint(9 * 3600, 17 * 3600))
        count = len(a.slots)
        plans.add(
            a.plan_id,
            created,
            group_id=a.group.id,
            subject_id=a.subject_id,
            teacher_id=a.teacher_id,
            year_id=ctx.year_id,
            total_hours=count * hours,
        )
        for ordinal, (topic, kind, number) in enumerate(_plan_items(ctx, a, count), start=1):
            row = items.add(
                ctx.b.next_id("pi"),
                created,
                plan_id=a.plan_id,
                ordinal=ordinal,
                topic=topic,
                hours=hours,
                work_kind=kind,
                work_number=number,
            )
            a.items.append(row)


def _families_and_students(ctx: Context, people: People) -> None:
    rng = ctx.rng("students")
    links = ctx.b.table(
        "parent_link", ["parent_id", "child_id", "relation", "legal_representative"]
    )
    enrolments = ctx.b.table(
        "enrolment",
        ["student_id", "group_id", "status", "starts_on", "ends_on", "order_number", "order_date"],
    )
    orders = ctx.b.table(
        "movement_order",
        [
            "student_id",
            "movement",
            "number",
            "order_date",
            "effective_date",
            "from_group_id",
            "to_group_id",
            "reason",
        ],
    )
    college = ctx.profile.kind == "college"
    per_group = math.ceil(ctx.n_students / len(ctx.groups))
    made = 0
    pending_sibling: list[tuple[Family, list[str], int]] = []
    order_numbers: dict[int, str] = {}
    for gi, group in enumerate(ctx.groups):
        for _ in range(per_group):
            if made >= ctx.n_students:
                break
            made += 1
            level = group.level
            entry_year = ctx.year - (level - 1)
            if college:
                birth_year = entry_year - 15 - (1 if rng.random() < 0.3 else 0)
                starts = dt.date(entry_year, 9, 1)
            else:
                birth_year = ctx.year - 6 - level - (1 if rng.random() < 0.4 else 0)
                entry_year = ctx.year - (level - 1)
                starts = dt.date(entry_year, 9, 1)
            sex = "male" if rng.random() < (0.6 if college else 0.5) else "female"
            # a sibling of an earlier student now and then (same parents, two children)
            sibling = None
            if pending_sibling and rng.random() < 0.08:
                sibling = pending_sibling.pop(rng.randrange(len(pending_sibling)))
                family, parents, other_group = sibling
                if other_group == gi:
                    pending_sibling.append(sibling)
                    sibling = None
            if sibling is None:
                family = random_family(rng)
                parents = []
            name = child_name(rng, family, sex)
            birth = _birth(rng, birth_year)
            created = ctx.stamp(dt.date(entry_year, 8, 28), rng.randint(9 * 3600, 17 * 3600))
            sid = people.add("s", name, ["student"], birth, created)
            ctx.families[sid] = family
            info = StudentInfo(
                sid,
                group.id,
                ability=rng.uniform(2.9, 4.9),
                absence_rate=rng.choice([0.02, 0.04, 0.05, 0.07, 0.1, 0.15]),
                exempt_pe=rng.random() < 0.03,
            )
            info.intervals.append((group.id, starts, ctx.ends_on))
            ctx.students[sid] = info
            number = order_numbers.setdefault(entry_year, f"{rng.randint(120, 380)}-к")
            order_date = dt.date(entry_year, 8, 27)
            info.enrolment_id = ctx.b.next_id("en")
            enrolments.add(
                info.enrolment_id,
                created,
                student_id=sid,
                group_id=group.id,
                status="studying",
                starts_on=starts.isoformat(),
                order_number=number,
                order_date=order_date.isoformat(),
            )
            orders.add(
                ctx.b.next_id("mo"),
                created,
                student_id=sid,
                movement="enrolment",
                number=number,
                order_date=order_date.isoformat(),
                effective_date=starts.isoformat(),
                to_group_id=group.id,
            )
            if not parents:
                parent_created = created
                if rng.random() < 0.95:
                    mother = mother_name(rng, family)
                    parents.append(
                        people.add(
                            "r",
                            mother,
                            ["parent"],
                            _birth(rng, birth.year - rng.randint(20, 38)),
                            parent_created,
                        )
                    )
                if rng.random() < 0.55 or not parents:
                    father = father_name(rng, family)
                    parents.append(
                        people.add(
                            "r",
                            father,
                            ["parent"],
                            _birth(rng, birth.year - rng.randint(22, 42)),
                            parent_created,
                        )
                    )
                if rng.random() < 0.25:
                    pending_sibling.append((family, parents, gi))
            for parent in parents:
                relation = (
                    "mother"
                    if ctx.table("person").by_id[parent][ctx.table("person").index["sex"]]
                    == "female"
                    else "father"
                )
                links.add(
                    ctx.b.next_id("pl"),
                    created,
                    parent_id=parent,
                    child_id=sid,
                    relation=relation,
                    legal_representative=True,
                )
            info.parents = list(parents)


def _movements(ctx: Context, people: People) -> None:
    """Orders inside the window: expulsions, transfers, academic leave and returns, enrolments."""
    rng = ctx.rng("movements")
    orders = ctx.table("movement_order")
    enrolments = ctx.table("enrolment")
    lesson_days = [
        d
        for d in (
            ctx.window_start + dt.timedelta(days=i)
            for i in range((ctx.window_end - ctx.window_start).days)
        )
        if ctx.cal.is_working_day(d) and d.weekday() < 5
    ]
    if not lesson_days:
        return
    count = max(12, ctx.n_students * ctx.weeks // 400)
    kinds = ["expulsion", "transfer", "academic_leave", "return", "enrolment"]
    weights = [4, 2, 2, 1, 2]
    plan = ["expulsion", "academic_leave", "expulsion", "academic_leave", "expulsion"] * 2
    plan += ["transfer", "transfer", "enrolment", "enrolment", "enrolment", "return"]
    plan += rng.choices(kinds, weights, k=max(0, count - len(plan)))
    hints = list(ctx.order_date_hints)
    candidates = sorted(ctx.students)
    rng.shuffle(candidates)
    used: set[str] = set()
    number = rng.randint(400, 600)
    for kind in plan:
        first_edit = len(ctx.b.edits)
        if hints and kind in ("expulsion", "academic_leave"):
            order_date = hints.pop(0)
        else:
            order_date = rng.choice(lesson_days[:-3] or lesson_days)
        effective = order_date + dt.timedelta(days=rng.choice([0, 0, 1, 3]))
        number += rng.randint(1, 4)
        order_no = f"{number}-к"
        entered_day = order_date if rng.random() < 0.7 else ctx.cal.next_working_day(order_date)
        entered = ctx.stamp(entered_day, rng.randint(9 * 3600, 16 * 3600))
        if kind == "enrolment":
            group = rng.choice(ctx.groups)
            family = random_family(rng)
            sex = rng.choice(["male", "female"])
            name = child_name(rng, family, sex)
            birth_year = ctx.year - 6 - group.level if group.grade else ctx.year - 14 - group.level
            sid = people.add("s", name, ["student"], _birth(rng, birth_year), entered)
            parent = people.add(
                "r", mother_name(rng, family), ["parent"], _birth(rng, birth_year - 28), entered
            )
            ctx.table("parent_link").add(
                ctx.b.next_id("pl"),
                entered,
                parent_id=parent,
                child_id=sid,
                relation="mother",
                legal_representative=True,
            )
            info = StudentInfo(
                sid, group.id, ability=rng.uniform(3.0, 4.6), absence_rate=0.05, parents=[parent]
            )
            info.intervals.append((group.id, effective, ctx.ends_on))
            info.enrolment_id = ctx.b.next_id("en")
            ctx.students[sid] = info
            ctx.families[sid] = family
            enrolments.add(
                info.enrolment_id,
                entered,
                student_id=sid,
                group_id=group.id,
                status="studying",
                starts_on=effective.isoformat(),
                order_number=order_no,
                order_date=order_date.isoformat(),
            )
            row = orders.add(
                ctx.b.next_id("mo"),
                entered,
                student_id=sid,
                movement="enrolment",
                number=order_no,
                order_date=order_date.isoformat(),
                effective_date=effective.isoformat(),
                to_group_id=group.id,
                reason="Зачисление в порядке перевода из другой образовательной организации",
            )
            ctx.orders.append(row)
            ctx.order_edits[row[0]] = ctx.b.edits[first_edit:]
            continue
        free = next((s for s in candidates if s not in used), None)
        if free is None:
            break
        sid = free
        used.add(sid)
        info = ctx.students[sid]
        group_id = info.group_id
        enrol_row = enrolments.by_id[info.enrolment_id]
        reason = None
        if kind == "expulsion":
            reason = rng.choice(
                [
                    "По собственному желанию",
                    "В связи с переводом в другую образовательную организацию",
                    "За академическую неуспеваемость",
                ]
            )
            info.intervals = [
                (g, a, min(b, effective - dt.timedelta(days=1))) for g, a, b in info.intervals
            ]
            ctx.b.edit("enrolment", info.enrolment_id, entered, "status", "expelled")
            ctx.b.edit("enrolment", info.enrolment_id, entered, "ends_on", effective.isoformat())
            to_group = None
        elif kind == "transfer":
            group = rng.choice(
                [g for g in ctx.groups if g.id != group_id and g.level == _level_of(ctx, group_id)]
                or ctx.groups
            )
            reason = (
                "Перевод в другую группу"
                if ctx.profile.kind == "college"
                else "Перевод в параллельный класс"
            )
            info.intervals = [
                (g, a, min(b, effective - dt.timedelta(days=1))) for g, a, b in info.intervals
            ]
            info.intervals.append((group.id, effective, ctx.ends_on))
            ctx.b.edit(
                "enrolment",
                info.enrolment_id,
                entered,
                "ends_on",
                (effective - dt.timedelta(days=1)).isoformat(),
            )
            new_id = ctx.b.next_id("en")
            enrolments.add(
                new_id,
                entered,
                student_id=sid,
                group_id=group.id,
                status="studying",
                starts_on=effective.isoformat(),
                order_number=order_no,
                order_date=order_date.isoformat(),
            )
            info.enrolment_id = new_id
            info.group_id = group.id
            to_group = group.id
        elif kind == "academic_leave":
            reason = rng.choice(
                [
                    "По медицинским показаниям",
                    "В связи с призывом на военную службу",
                    "По семейным обстоятельствам",
                ]
            )
            if ctx.profile.kind == "school":
                kind = "expulsion"
                reason = "В связи с переводом в другую образовательную организацию"
                ctx.b.edit("enrolment", info.enrolment_id, entered, "status", "expelled")
            else:
                ctx.b.edit("enrolment", info.enrolment_id, entered, "status", "academic_leave")
            ctx.b.edit("enrolment", info.enrolment_id, entered, "ends_on", effective.isoformat())
            info.intervals = [
                (g, a, min(b, effective - dt.timedelta(days=1))) for g, a, b in info.intervals
            ]
            to_group = None
        else:  # return from academic leave (taken before the window)
            if ctx.profile.kind == "school":
                continue
            leave_start = ctx.window_start - dt.timedelta(days=rng.randint(30, 120))
            info.intervals = [
                (group_id, a, leave_start - dt.timedelta(days=1)) for _, a, _ in info.intervals[:1]
            ]
            info.intervals.append((group_id, effective, ctx.ends_on))
            enrolments.set(enrol_row, "status", "academic_leave")
            ctx.b.edit("enrolment", info.enrolment_id, entered, "status", "studying")
            reason = "Выход из академического отпуска"
            to_group = group_id
        row = orders.add(
            ctx.b.next_id("mo"),
            entered,
            student_id=sid,
            movement=kind,
            number=order_no,
            order_date=order_date.isoformat(),
            effective_date=effective.isoformat(),
            from_group_id=group_id if kind != "return" else None,
            to_group_id=to_group,
            reason=reason,
        )
        ctx.orders.append(row)
        ctx.order_edits[row[0]] = ctx.b.edits[first_edit:]


def _level_of(ctx: Context, group_id: str) -> int:
    return next(g.level for g in ctx.groups if g.id == group_id)


_MARK_VALUES = ("2", "3", "4", "5")


def _journal(ctx: Context) -> None:
    """Lessons with their topics, homework, marks and absences, entered on time."""
    rng = ctx.rng("journal")
    p = ctx.profile
    college = p.kind == "college"
    lessons = ctx.b.table("lesson", LESSON_COLUMNS)
    homework = ctx.b.table("homework", ["lesson_id", "text", "due_date"])
    marks = ctx.b.table("mark", MARK_COLUMNS)
    absences = ctx.b.table("absence", ABSENCE_COLUMNS)
    bells = {n: (s, e) for n, s, e in p.bells}
    hours = float(p.hours_per_lesson)
    evening = 19 * 3600 + 30 * 60
    by_group_day: dict[tuple[str, dt.date], list[tuple[int, Assignment, int]]] = defaultdict(list)
    for a in ctx.assignments:
        for ordinal, (day, number) in enumerate(a.slots):
            if ctx.in_window(day) and (a.id, day) not in ctx.skip_lessons:
                by_group_day[(a.group.id, day)].append((number, a, ordinal))
    students_by_group: dict[str, list[StudentInfo]] = defaultdict(list)
    for s in ctx.students.values():
        for g in {g for g, _, _ in s.intervals}:
            students_by_group[g].append(s)
    pending_hw: dict[str, Row] = {}
    mark_counts: dict[tuple[str, str], int] = defaultdict(int)
    lecture_rate = 0.9 if college else 0.3
    published: dict[dt.date, str] = {}
    for key in sorted(by_group_day, key=lambda k: (k[1], int(k[0][1:]))):
        group_id, day = key
        group = _group(ctx, group_id)
        todays = sorted(by_group_day[key], key=lambda t: t[0])
        last_end = bells[todays[-1][0]][1]
        ctx.group_last_end[(group_id, day)] = last_end
        if day not in published:
            friday = day - dt.timedelta(days=(day.weekday() - 4) % 7 or 7)
            published[day] = ctx.stamp(max(friday, dt.date(ctx.year, 8, 30)), 15 * 3600)
        roster = [s for s in students_by_group[group_id] if ctx.active(s, group_id, day)]
        for number, a, ordinal in todays:
            start, end = bells[number]
            item = a.items[min(ordinal, len(a.items) - 1)]
            item_kind = item[6]
            lid = ctx.b.next_id("l")
            row = [
                lid,
                published[day],
                group_id,
                a.subject_id,
                a.teacher_id,
                day.isoformat(),
                number,
                start.isoformat(),
                end.isoformat(),
                None,
                hours,
                group.room,
                item[0],
                None,
            ]
            lessons.append(row)
            s0, e0 = seconds_of(start), seconds_of(end)
            topic_at = min(rng.randint(s0 + 300, e0 + 3600), evening)
            ctx.b.edit("lesson", lid, ctx.stamp(day, topic_at), "topic", item[4])
            info = LessonInfo(
                lid, row, a, day, number, start, end, item, item_kind, topic_at, ctx.b.edits[-1]
            )
            ctx.lessons.append(info)
            ctx.lessons_by_id[lid] = info
            previous = pending_hw.pop(a.id, None)
            if previous is not None:
                previous[4] = day.isoformat()
            if group.grade != 1 and a.subject_name != "Физическая культура" and rng.random() < 0.65:
                hw_at = min(rng.randint(s0, seconds_of(last_end) + 3000), evening)
                hw_row = [
                    ctx.b.next_id("h"),
                    ctx.stamp(day, hw_at),
                    lid,
                    _homework_text(rng, item[4], a.subject_name),
                    None,
                ]
                homework.append(hw_row)
                ctx.homework_by_lesson[lid] = hw_row
                pending_hw[a.id] = hw_row
            if group.grade == 1:
                rate = 0.0
            elif item_kind in WORK_KIND_BY_PLAN:
                rate = 1.3
            else:
                rate = lecture_rate
            for s in roster:
                r = rng.random()
                if r < s.absence_rate or (s.exempt_pe and a.subject_name == "Физическая культура"):
                    code = (
                        "ОСВ"
                        if s.exempt_pe and a.subject_name == "Физическая культура"
                        else ("ОП" if r < s.absence_rate * 0.12 else "ОТ")
                    )
                    at = ctx.stamp(day, rng.randint(s0, min(e0 + 1800, evening)))
                    arow = [
                        ctx.b.next_id("a"),
                        at,
                        s.id,
                        lid,
                        day.isoformat(),
                        code,
                        True if code == "ОСВ" else None,
                        None,
                    ]
                    absences.append(arow)
                    ctx.absences_by_lesson[lid].append(arow)
                    if code != "ОП":
                        continue
                if rate == 0.0 or rng.random() >= rate:
                    continue
                extra = rate > 1.0 and rng.random() < rate - 1.0
                limit = ctx.mark_limits.get((s.id, a.id))
                if limit is not None:
                    if mark_counts[(s.id, a.id)] >= limit:
                        continue
                    mark_counts[(s.id, a.id)] += 1
                wk = WORK_KIND_BY_PLAN.get(item_kind)
                if wk is None:
                    wk = rng.choice(
                        ("wk-answer", "wk-answer", "wk-homework", "wk-independent", "wk-test")
                    )
                value = int(s.ability + rng.random() * 1.8 - 0.9 + 0.5)
                value = 2 if value < 2 else 5 if value > 5 else value
                at_s = min(rng.randint(s0 + 600, e0 + 5400), evening)
                mrow = [
                    ctx.b.next_id("m"),
                    ctx.stamp(day, at_s),
                    s.id,
                    a.subject_id,
                    group_id,
                    lid,
                    day.isoformat(),
                    str(value),
                    "five_point",
                    float(value),
                    wk,
                    _WEIGHTS[wk],
                    None,
                    None,
                    None,
                    a.teacher_id,
                ]
                marks.append(mrow)
                ctx.marks_by_lesson[lid].append(mrow)
                if extra and limit is None:
                    # an oral answer besides the practical work: a second mark that pair
                    value = int(s.ability + rng.random() * 1.8 - 0.9 + 0.5)
                    value = 2 if value < 2 else 5 if value > 5 else value
                    second = list(mrow)
                    second[0] = ctx.b.next_id("m")
                    second[1] = ctx.stamp(day, min(at_s + 240, evening))
                    second[7], second[9] = str(value), float(value)
                    second[10], second[11] = "wk-answer", _WEIGHTS["wk-answer"]
                    marks.append(second)
                    ctx.marks_by_lesson[lid].append(second)
    _absence_reasons(ctx)


_WEIGHTS = {w[0]: w[3] for w in WORK_KINDS}


def _group(ctx: Context, group_id: str) -> GroupInfo:
    if len(ctx.group_index) != len(ctx.groups):
        ctx.group_index = {g.id: g for g in ctx.groups}
    return ctx.group_index[group_id]


def _homework_text(rng: random.Random, topic: str, subject: str) -> str:
    stem = rng.choice(
        [
            "Выучить конспект по теме",
            "Подготовить ответы на вопросы по теме",
            "Выполнить упражнения по теме",
            "Решить задачи по теме",
            "Подготовить сообщение по теме",
        ]
    )
    page = rng.randint(12, 240)
    return f"{stem} «{topic[:60]}», с. {page}"


def _absence_reasons(ctx: Context) -> None:
    """The class teacher sets each absence's reason within the week (and 2 working days of the document)."""
    rng = ctx.rng("reasons")
    for lid, rows in ctx.absences_by_lesson.items():
        lesson = ctx.lessons_by_id[lid]
        for row in rows:
            if row[5] != "ОТ":
                continue
            day = lesson.day
            deadline = ctx.dl.absence_reason(day, None) if ctx.profile.id != "talmenka" else None
            last = (
                deadline.date()
                if deadline is not None
                else day + dt.timedelta(days=(4 - day.weekday()) % 7)
            )
            if last < day:
                last = day
            doc = day + dt.timedelta(days=rng.randint(0, max(0, (last - day).days)))
            while not ctx.cal.is_working_day(doc) and doc > day:
                doc -= dt.timedelta(days=1)
            at = ctx.stamp(doc, rng.randint(15 * 3600, 18 * 3600))
            if at <= row[1]:
                at = ctx.stamp(doc, 19 * 3600 + 45 * 60)
            code = rng.choices(["Б", "УП", "НП"], [6, 3, 2])[0]
            first = len(ctx.b.edits)
            ctx.b.edit("absence", row[0], at, "code", code)
            ctx.b.edit("absence", row[0], at, "valid", code != "НП")
            if code != "НП":
                ctx.b.edit("absence", row[0], at, "document_date", doc.isoformat())
            ctx.reason_edits[row[0]] = ctx.b.edits[first:]


def _final_marks(ctx: Context) -> None:
    """Period marks in the last week of every period that ends inside the window."""
    rng = ctx.rng("final")
    marks = ctx.table("mark")
    college = ctx.profile.kind == "college"
    sums: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for lesson in ctx.lessons:
        found = ctx.period_of(lesson.day)
        if found is None:
            continue
        for m in ctx.marks_by_lesson.get(lesson.id, ()):
            acc = sums[(found[0], m[2], lesson.assignment.id)]
            acc[0] += m[9] * m[11]
            acc[1] += m[11]
    targets: list[tuple[str, PeriodSpan, str]] = [
        (pid, span, "attestation" if college else "period")
        for pid, span in ctx.period_ids
        if ctx.window_start <= span.ends_on < ctx.window_end
    ]
    if ctx.window_start <= ctx.year_end < ctx.window_end and not college:
        targets.append(
            (ctx.year_period_id, PeriodSpan(0, "Год", ctx.year_start, ctx.year_end), "year")
        )
    for pid, span, final_kind in targets:
        last_day = span.ends_on
        while not ctx.cal.is_working_day(last_day):
            last_day -= dt.timedelta(days=1)
        for group in ctx.groups:
            if group.grade == 1:
                continue
            for a in group.assignments:
                day = last_day - dt.timedelta(days=rng.randint(1, 4))
                while not ctx.cal.is_working_day(day):
                    day -= dt.timedelta(days=1)
                for s in ctx.students.values():
                    if not ctx.active(s, group.id, span.ends_on):
                        continue
                    if final_kind == "year":
                        keys = [(p, s.id, a.id) for p, _ in ctx.period_ids]
                        total = [
                            sum(sums[k][0] for k in keys if k in sums),
                            sum(sums[k][1] for k in keys if k in sums),
                        ]
                    else:
                        total = sums.get((pid, s.id, a.id), [0.0, 0.0])
                    if total[1] == 0:
                        value, numeric = "н/а", None
                    else:
                        numeric = float(min(5, max(2, int(total[0] / total[1] + 0.5))))
                        value = str(int(numeric))
                    at = ctx.stamp(day, rng.randint(14 * 3600, 18 * 3600))
                    row = [
                        ctx.b.next_id("m"),
                        at,
                        s.id,
                        a.subject_id,
                        group.id,
                        None,
                        span.ends_on.isoformat(),
                        value,
                        "five_point",
                        numeric,
                        "wk-final",
                        None,
                        None,
                        final_kind,
                        pid,
                        a.teacher_id,
                    ]
                    marks.append(row)
                    ctx.final_marks.append((row, span, a))
                    if final_kind == "year":
                        moment = ctx.clock.parse(at)
                        if ctx.year_marks_at is None or moment > ctx.year_marks_at:
                            ctx.year_marks_at = moment


def _local_records(ctx: Context) -> None:
    """The institution's own records (imported from CSV/XLSX): codes, opt-outs, reviews, outages."""
    rng = ctx.rng("local")
    p = ctx.profile
    codes = ctx.b.table("invitation_code", ["person_id", "issued_on", "registered_on"])
    issued = dt.date(ctx.year, 9, 2)
    while not ctx.cal.is_working_day(issued):
        issued += dt.timedelta(days=1)
    coded: set[str] = set()
    for sid, info in sorted(ctx.students.items(), key=lambda kv: int(kv[0][1:])):
        enrol = ctx.table("enrolment").by_id[info.enrolment_id]
        start = max(issued, dt.date.fromisoformat(enrol[ctx.table("enrolment").index["starts_on"]]))
        for person in [sid, *info.parents]:
            if person in coded:  # a parent of two children gets one code
                continue
            coded.add(person)
            registered = start + dt.timedelta(days=rng.choice([0, 0, 1, 1, 2, 3]))
            codes.add(
                ctx.b.next_id("ic"),
                ctx.stamp(registered, 18 * 3600),
                person_id=person,
                issued_on=start.isoformat(),
                registered_on=registered.isoformat(),
            )
    # parents who declined the e-diary and the paper reports they get
    optouts = ctx.b.table("diary_opt_out", ["parent_id", "child_id", "declined_on", "withdrawn_on"])
    papers = ctx.b.table("paper_report", ["parent_id", "child_id", "given_on"])
    candidates = sorted(ctx.students.values(), key=lambda s: int(s.id[1:]))
    every = 7
    for info in rng.sample(candidates, k=min(len(candidates), max(4, len(candidates) // 150))):
        if not info.parents:
            continue
        parent = info.parents[0]
        declined = dt.date(ctx.year, 9, rng.randint(2, 12))
        row = optouts.add(
            ctx.b.next_id("oo"),
            ctx.stamp(declined, 12 * 3600),
            parent_id=parent,
            child_id=info.id,
            declined_on=declined.isoformat(),
        )
        ctx.optouts.append(row)
        # every seven calendar days, holidays included (the class teacher sends it
        # home with the child or by post): no gap ever exceeds the weekly rule
        given = declined
        while True:
            given += dt.timedelta(days=every)
            if given >= ctx.ends_on:
                break
            papers.add(
                ctx.b.next_id("pr"),
                ctx.stamp(given, 16 * 3600),
                parent_id=parent,
                child_id=info.id,
                given_on=given.isoformat(),
            )
    # personal data reviews: every month per group
    reviews = ctx.b.table("data_review", ["group_id", "reviewed_on", "reviewer_id"])
    month = dt.date(ctx.year, 9, 1)
    while month < ctx.ends_on:
        for group in ctx.groups:
            day = month + dt.timedelta(days=rng.randint(18, 24))
            while not ctx.cal.is_working_day(day):
                day -= dt.timedelta(days=1)
            if day >= ctx.ends_on:
                continue
            reviews.add(
                ctx.b.next_id("dr"),
                ctx.stamp(day, 15 * 3600),
                group_id=group.id,
                reviewed_on=day.isoformat(),
                reviewer_id=group.curator_id,
            )
        month = (month.replace(day=28) + dt.timedelta(days=5)).replace(day=1)
    ctx.b.table(
        "approval",
        [
            "rule_id",
            "entity_kind",
            "entity_id",
            "document_number",
            "document_date",
            "approved_by",
            "note",
        ],
    )
    ctx.b.table("journal_outage", ["starts_at", "ends_at"])
    if p.id == "mazanka":
        ctx.b.table(
            "result_announcement",
            ["group_id", "subject_id", "work_name", "work_date", "announced_on"],
        )


def _external_records(ctx: Context, people: People) -> None:
    """ЕПГУ applications and «Е-услуги» notices that match the journal."""
    rng = ctx.rng("external")
    requests = ctx.b.table(
        "epgu_request",
        [
            "order_id",
            "received_at",
            "applicant_last_name",
            "applicant_first_name",
            "applicant_middle_name",
            "applicant_birth_date",
            "applicant_snils",
            "applicant_sex",
            "applicant_document_series",
            "applicant_document_number",
            "child_last_name",
            "child_first_name",
            "child_middle_name",
            "child_birth_date",
            "child_snils",
            "period_from",
            "period_to",
            "status",
        ],
    )
    expected = ctx.b.table(
        "expected_enrolment",
        [
            "last_name",
            "first_name",
            "middle_name",
            "birth_date",
            "snils",
            "sex",
            "group_name",
            "grade",
            "expected_on",
            "notified_at",
        ],
    )
    person = ctx.table("person")
    pi = person.index
    days = [
        ctx.window_start + dt.timedelta(days=i)
        for i in range((ctx.window_end - ctx.window_start).days)
    ]
    work_days = [d for d in days if ctx.cal.is_working_day(d)] or days
    chosen = rng.sample(
        sorted(ctx.students, key=lambda s: int(s[1:])),
        k=min(len(ctx.students), max(8, len(ctx.students) // 60)),
    )
    for sid in chosen:
        info = ctx.students[sid]
        if not info.parents:
            continue
        parent = person.by_id[info.parents[0]]
        child = person.by_id[sid]
        day = rng.choice(work_days)
        row = requests.add(
            ctx.b.next_id("eq"),
            ctx.stamp(day, rng.randint(8 * 3600, 22 * 3600)),
            order_id=str(rng.randint(3_000_000_000, 3_999_999_999)),
            received_at=ctx.stamp(day, rng.randint(8 * 3600, 22 * 3600)),
            applicant_last_name=parent[pi["last_name"]],
            applicant_first_name=parent[pi["first_name"]],
            applicant_middle_name=parent[pi["middle_name"]],
            applicant_birth_date=parent[pi["birth_date"]],
            applicant_snils=parent[pi["snils"]],
            applicant_sex=parent[pi["sex"]],
            applicant_document_series=parent[pi["document_series"]],
            applicant_document_number=parent[pi["document_number"]],
            child_last_name=child[pi["last_name"]],
            child_first_name=child[pi["first_name"]],
            child_middle_name=child[pi["middle_name"]],
            child_birth_date=child[pi["birth_date"]],
            child_snils=child[pi["snils"]],
            period_from=ctx.year_start.isoformat(),
            period_to=ctx.year_end.isoformat(),
            status="received",
        )
        row[1] = row[requests.index["received_at"]]
        ctx.epgu_rows.append(row)
    # «Е-услуги» notices for the students enrolled by order inside the window
    for order in ctx.orders:
        oi = ctx.table("movement_order").index
        if order[oi["movement"]] != "enrolment":
            continue
        child = person.by_id[order[oi["student_id"]]]
        group = _group(ctx, order[oi["to_group_id"]])
        order_date = dt.date.fromisoformat(order[oi["order_date"]])
        notified = ctx.stamp(
            order_date - dt.timedelta(days=rng.randint(1, 3)), rng.randint(9 * 3600, 17 * 3600)
        )
        expected.add(
            ctx.b.next_id("ee"),
            notified,
            last_name=child[pi["last_name"]],
            first_name=child[pi["first_name"]],
            middle_name=child[pi["middle_name"]],
            birth_date=child[pi["birth_date"]],
            snils=child[pi["snils"]],
            sex=child[pi["sex"]],
            group_name=group.name,
            grade=group.grade,
            expected_on=order[oi["effective_date"]],
            notified_at=notified,
        )


def _accounts(ctx: Context) -> None:
    """Platform logins: staff by role, some students and parents; a few Cyrillic passwords."""
    rng = ctx.rng("accounts")
    person = ctx.table("person")
    pi = person.index
    p = ctx.profile
    cyrillic_words = ("Журнал", "Ёлка", "Сверка", "Школа", "Техникум", "Отличник", "Пятёрка")

    def password(cyrillic: bool) -> str:
        if cyrillic:
            return f"{rng.choice(cyrillic_words)}-{rng.randint(10, 99)}{rng.choice('!#%')}"
        alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        return "".join(rng.choice(alphabet) for _ in range(10))

    def add(role: str, pid: str, cyrillic: bool = False) -> None:
        row = person.by_id[pid]
        ctx.b.accounts.append(
            {
                "role": role,
                "login": row[pi["login"]],
                "password": password(cyrillic),
                "person_id": pid,
                "name": f"{row[pi['last_name']]} {row[pi['first_name']]} {row[pi['middle_name']]}".strip(),
                "platform": p.journal_platform,
                "school_id": p.school_id,
                "tenant": p.deployment,
            }
        )

    for role in ("administrator", "director", "deputy", "secretary"):
        for pid in ctx.staff[role]:
            add(role, pid, cyrillic=role == "deputy")
    curators = set(ctx.staff["class_teacher"])
    for i, pid in enumerate(ctx.staff["teacher"]):
        add("class_teacher" if pid in curators else "teacher", pid, cyrillic=i % 5 == 2)
    students = sorted(ctx.students.values(), key=lambda s: int(s.id[1:]))
    for i, s in enumerate(students[: max(10, len(students) // 10)]):
        add("student", s.id, cyrillic=i % 4 == 1)
    two_children: dict[str, list[str]] = defaultdict(list)
    for s in students:
        for parent in s.parents:
            two_children[parent].append(s.id)
    multi = [
        pid
        for pid, kids in sorted(two_children.items(), key=lambda kv: int(kv[0][1:]))
        if len(kids) > 1
    ]
    single = [s.parents[0] for s in students[:20] if s.parents]
    for i, pid in enumerate(multi[:10] + [x for x in single if x not in multi][:10]):
        add("parent", pid, cyrillic=i % 3 == 0)
    # the accounts' children, so a client can check it sees only its own
    for account in ctx.b.accounts:
        if account["role"] == "parent":
            account["children"] = two_children[account["person_id"]]


def _platform_kinds(p: Profile) -> dict[str, list[str]]:
    journal = [
        "institution",
        "school_year",
        "period",
        "holiday",
        "person",
        "parent_link",
        "group",
        "subgroup",
        "subgroup_member",
        "subject",
        "teaching_assignment",
        "enrolment",
        "movement_order",
        "work_kind",
        "plan",
        "plan_item",
        "lesson",
        "homework",
        "mark",
        "absence",
    ]
    return {
        p.journal_platform: journal,
        "contingent": [
            "institution",
            "person",
            "parent_link",
            "group",
            "enrolment",
            "movement_order",
        ],
        "epgu": ["epgu_request"],
        "e_uslugi": ["expected_enrolment"],
        "local": [
            "person",
            "diary_opt_out",
            "paper_report",
            "invitation_code",
            "approval",
            "journal_outage",
            "result_announcement",
            "data_review",
        ],
    }


# ---------------------------------------------------------------------------


def build(
    profile: str,
    students: int,
    weeks: int,
    seed: int,
    start: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Generated:
    """The scenario and its ground truth (see ``docs/scenario-format.md``)."""
    # A million fresh rows make the cyclic collector rescan the heap over and
    # over; nothing built here needs it until the end.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(profile, students, weeks, seed, start, progress)
    finally:
        if enabled:
            gc.enable()


def _build(
    profile: str,
    students: int,
    weeks: int,
    seed: int,
    start: dt.date | None,
    progress: Callable[[str], None] | None,
) -> Generated:
    from emulators.scenario.plants import PLANTERS, PREPARERS, run_planters
    from emulators.scenario.plants.contingent import plant_discrepancies

    step = progress or (lambda _name: None)
    prof = get_profile(profile)
    ctx = Context(prof, students, weeks, seed, start)
    step("календарь и организация")
    _institution(ctx)
    people = People(ctx)
    n_groups = max(1, math.ceil(students / prof.group_size))
    teachers = max(8, (n_groups * (10 if prof.kind == "college" else 14)) // 5 + 2)
    step("сотрудники, группы, предметы")
    _staff(ctx, people, teachers)
    shells = _groups_and_subjects(ctx)
    _subjects_and_assignments(ctx, shells)
    step("КТП")
    _plans(ctx)
    step("обучающиеся и родители")
    _families_and_students(ctx, people)
    rules = rules_of(prof.id)
    for rule in sorted(rules):
        prepare = PREPARERS.get(rule)
        if prepare is not None:
            prepare(ctx)
    _movements(ctx, people)
    step("журнал: уроки, отметки, пропуски")
    _journal(ctx)
    _final_marks(ctx)
    step("собственные записи организации, ЕПГУ, «Е-услуги»")
    _local_records(ctx)
    _external_records(ctx, people)
    step("нарушения и расхождения")
    ctx.people = people
    plant_discrepancies(ctx)
    run_planters(ctx, rules)
    for rule in sorted(rules & REPORT_OBLIGATIONS):
        ctx.b.not_planted.append(
            {
                "rule_id": rule,
                "reason": "обязанность отчётов Сверки (печать, отчёт), а не запись журнала",
            }
        )
    for rule in sorted(rules - REPORT_OBLIGATIONS - set(PLANTERS)):
        ctx.b.not_planted.append({"rule_id": rule, "reason": "нет планировщика нарушения"})
    _accounts(ctx)
    step("запись")
    return Generated(_scenario_dict(ctx), _truth_dict(ctx))


def generate(
    profile: str, students: int, weeks: int, seed: int, start: dt.date | None = None
) -> dict[str, Any]:
    """The scenario alone (``build`` also gives the ground truth)."""
    return build(profile, students, weeks, seed, start).scenario


def _meta(ctx: Context) -> dict[str, Any]:
    p = ctx.profile
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "generator": {"name": "sverka scenario generate", "version": GENERATOR_VERSION},
        "profile": p.id,
        "seed": ctx.seed,
        "students": ctx.n_students,
        "weeks": ctx.weeks,
        "timezone": p.timezone,
        "institution_kind": p.kind,
        "week_days": p.week_days,
        "period_kind": p.period_kind,
        "institution_id": ctx.institution_id,
        "school_year_id": ctx.year_id,
        "starts_at": ctx.stamp(ctx.window_start, 0),
        "lessons_until": ctx.stamp(ctx.window_end, 0),
        "ends_at": ctx.stamp(ctx.ends_on, 0),
        "platform": {
            "journal": p.journal_platform,
            "demo_journal": p.demo_platform,
            "deployment": p.deployment,
            "school_id": p.school_id,
            "region": p.region,
            "locality": p.locality,
            "kinds": _platform_kinds(p),
            "local_fields": {"person": ["employed_from"]},
        },
        "bell_schedule": [
            {"number": n, "starts_at": s.isoformat(), "ends_at": e.isoformat()}
            for n, s, e in p.bells
        ],
        "calendar": {
            "moved_working_saturdays": sorted(d.isoformat() for d in ctx.cal.moved_saturdays),
            "days_off": {d.isoformat(): n for d, n in sorted(ctx.cal.days_off.items())},
        },
        "timetable": {
            g.id: {
                str(d): [[n, a.id] for n, a in slots] for d, slots in sorted(g.timetable.items())
            }
            for g in ctx.groups
        },
    }


def _scenario_dict(ctx: Context) -> dict[str, Any]:
    out = _meta(ctx)
    out["tables"] = {kind: t.to_json() for kind, t in sorted(ctx.b.tables.items())}
    edits = sorted(ctx.b.edits, key=lambda e: (e[2], e[0], e[1], e[3]))
    out["edits"] = {"columns": ["kind", "id", "at", "field", "value"], "rows": edits}
    out["views"] = sorted(
        ctx.b.views, key=lambda v: (v["platform"], v["kind"], v["id"], v["field"])
    )
    out["accounts"] = ctx.b.accounts
    return out


def _truth_dict(ctx: Context) -> dict[str, Any]:
    def order(cases: list[Any]) -> list[dict[str, Any]]:
        return sorted(
            (c.to_json() for c in cases),
            key=lambda c: (c["rule_id"], c["entity_kind"], c["entity_id"], c["case"]),
        )

    return {
        "format": "sverka-scenario-truth",
        "version": 1,
        "profile": ctx.profile.id,
        "seed": ctx.seed,
        "timezone": ctx.profile.timezone,
        "rules": sorted(rules_of(ctx.profile.id)),
        "cases": order(ctx.b.cases),
        "near_misses": order(ctx.b.near_misses),
        "discrepancies": sorted(
            (d.to_json() for d in ctx.b.discrepancies), key=lambda d: (d["kind"], d["entity_id"])
        ),
        "not_planted": sorted(ctx.b.not_planted, key=lambda n: n["rule_id"]),
    }
