"""«Модуль ПОО» wire models → canonical records.  Pure: no I/O.

Ids: every record's external id is the platform's own integer id, except
where the platform has none — people (students, employees and parents are
numbered separately, so their ids are prefixed ``student:``/``employee:``/
``parent:``), plans (``<group>:<subject>``), marks (``<task>:<student>``),
absences (``<lesson>:<student>``) and final marks.

Gradebook answers key students by a gradebook-local id; they are matched to
``people/students`` ids by name within the group's members (its current and
former students by their orders), never by assuming the ids are equal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from canonical import (
    Absence,
    AbsenceCode,
    Enrolment,
    EnrolmentStatus,
    FinalKind,
    Group,
    GroupKind,
    Homework,
    Institution,
    InstitutionKind,
    Lesson,
    Mark,
    MarkScale,
    MovementKind,
    MovementOrder,
    ParentLink,
    Period,
    PeriodKind,
    Person,
    Plan,
    PlanItem,
    Platform,
    Record,
    Role,
    SchoolYear,
    Sex,
    SourceRef,
    Subject,
    TeachingAssignment,
    WorkKind,
)
from canonical.normalize import SnilsError, format_snils, name_key, normalize_name_part
from connectors.poo.wire import (
    Decree,
    GbLesson,
    GbStudent,
    GradebookEntry,
    GroupJournal,
    Structure,
    StudentCard,
    StudentSummary,
    SubjectAnswer,
    Task,
)

MARKS: dict[str, tuple[str, MarkScale, float | None]] = {
    "Two": ("2", MarkScale.FIVE_POINT, 2.0),
    "Three": ("3", MarkScale.FIVE_POINT, 3.0),
    "Four": ("4", MarkScale.FIVE_POINT, 4.0),
    "Five": ("5", MarkScale.FIVE_POINT, 5.0),
    "Success": ("зч", MarkScale.PASS_FAIL, None),
    "Fail": ("нз", MarkScale.PASS_FAIL, None),
}
"""Mark words (the vendor's ``markRatings``) → the journal value.  Any other word is reported
(field and value) and the mark is kept out; an empty value is no mark."""

ABSENCES: dict[str, tuple[AbsenceCode, bool | None]] = {
    "IsAbsentByValidReason": (AbsenceCode.UP, True),
    "SickLeave": (AbsenceCode.B, True),
    "IsAbsentByNotValidReason": (AbsenceCode.NP, False),
    "IsLate": (AbsenceCode.OP, None),
    "IsAbsent": (AbsenceCode.OT, None),
}
"""Absence types (``absenceType``) → code and whether the reason is valid.  Any other word is
reported and the absence kept out."""

TASK_TYPES: dict[str, tuple[str, str, bool]] = {
    "Lesson": ("Работа на занятии", "ОЗ", False),
    "Control": ("Контрольная работа", "КР", True),
    "Independent": ("Самостоятельная работа", "СР", False),
    "Laboratory": ("Лабораторная работа", "ЛЗ", False),
    "Slice": ("Срез знаний", "СЗ", True),
    "Home": ("Домашнее задание", "ДЗ", False),
    "Review": ("Реферат", "РФ", False),
    "Test": ("Тест", "ТТ", False),
    "Report": ("Доклад", "ДК", False),
    "Colloquium": ("Коллоквиум", "КЛ", True),
    "SportStandarts": ("Сдача нормативов", "СН", False),
    "PracticalWork": ("Практическая работа", "ПР", False),
}
"""Task types (``educationTaskTypes``) with their Russian names, short codes and whether a mark
for such a task is a control work's.  The platform has no such flag: it is ours.  A test
(``Test``) is current assessment, as the institutions' own kinds of work have it («Тест» is no
control work), so its marks fall under the ordinary mark deadline."""

LESSON_KINDS: dict[str, str] = {
    "Lecture": "lecture",
    "Practice": "practical",
    "PracticalWork": "practical",
    "Laboratory": "laboratory",
    "Examination": "exam",
}
"""Lesson types (``thematicPlanLessonTypes``) → the canonical lesson kind (``practical``,
``laboratory``…); the vendor's other types in snake case.  The enum has no control work: a
control work is a lesson carrying a ``Control`` task (КР), so a conducted lesson with one is
kind ``control`` (:func:`conducted_kind`)."""

VENDOR_LESSON_TYPES = frozenset(
    {
        "Lecture", "Practice", "Laboratory", "Self", "Lesson", "Consultation", "Seminar",
        "Excursion", "Examination", "Composition", "BusinessGame", "PracticalTraining",
        "SportStandarts", "PracticalWork",
    }
)  # fmt: skip
"""The vendor's ``thematicPlanLessonTypes`` (netschool-poo.md §7; asurso-api 0.6.3
``ThematicPlanLessonType``)."""

CONTROL_TASK = "Control"

HOME = "Home"

DECREES: dict[str, MovementKind] = {
    "Enroll": MovementKind.ENROLMENT,
    "Retire": MovementKind.EXPULSION,
    "Move": MovementKind.TRANSFER,
    "Graduate": MovementKind.GRADUATION,
    "AcademicLeave": MovementKind.ACADEMIC_LEAVE,
    "Restore": MovementKind.RETURN,
}
"""Decree types that move a student; others (``NextTerm``, ``NextYear``, ``Disband``) are skipped."""

_PASCAL_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class MapContext:
    deployment: str
    """``host/tenant``: the ``deployment`` of every source reference."""
    timezone: str
    profile_id: str = ""


@dataclass
class Mapped:
    """Records plus what could not be mapped (Russian, without personal data)."""

    records: list[Record] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def snake(value: str | None) -> str | None:
    """``PracticalTraining`` → ``practical_training``."""
    if not value:
        return None
    return _PASCAL_BREAK.sub("_", value).lower()


def lesson_kind(value: str | None) -> str | None:
    """A lesson type → the canonical lesson or plan work kind (``Practice`` → ``practical``)."""
    if not value:
        return None
    return LESSON_KINDS.get(value) or snake(value)


def unknown_word(field_name: str, value: str, where: str) -> str:
    """The warning for a word outside the platform's enum (Russian, no personal data)."""
    return f"{where}: неизвестное значение «{value}» поля {field_name}, запись не принята"


def plan_kind(value: str | None, where: str, warnings: list[str]) -> str | None:
    """A plan lesson's type → its work kind; the generic ``Lesson`` says no particular kind."""
    if not value or value == "Lesson":
        return None
    if value not in VENDOR_LESSON_TYPES:
        warnings.append(unknown_word("workingProgram.topics.lessons.type", value, where))
        return None
    return lesson_kind(value)


def conducted_kind(lesson: GbLesson, where: str, warnings: list[str]) -> str | None:
    """A conducted lesson's kind: ``control`` when it carries a control work's task."""
    if any(t.type == CONTROL_TASK for t in lesson.tasks):
        return "control"
    if lesson.type and lesson.type not in VENDOR_LESSON_TYPES:
        warnings.append(unknown_word("type", lesson.type, where))
        return None
    return lesson_kind(lesson.type)


def student_ref(number: int) -> str:
    return f"student:{number}"


def employee_ref(number: int) -> str:
    return f"employee:{number}"


def parent_ref(number: int) -> str:
    return f"parent:{number}"


def _src(ctx: MapContext, external_id: str | int) -> SourceRef:
    return SourceRef(platform=Platform.POO, deployment=ctx.deployment, external_id=str(external_id))


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _time(value: str | None) -> dt.time | None:
    if not value:
        return None
    hours, _, minutes = value.partition(":")
    try:
        return dt.time(int(hours), int(minutes or 0))
    except ValueError:
        return None  # not a time of day: the lesson keeps its date and number


def _name(value: str | None) -> str:
    return normalize_name_part(value) if value else ""


def _snils(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return format_snils(value)
    except SnilsError:
        return None


def school_year_start(day: dt.date) -> int:
    return day.year if day.month >= 8 else day.year - 1


def period_id(entry: GradebookEntry) -> str:
    start = _date(entry.startDate) or dt.date.today()
    return f"{school_year_start(start)}-{entry.termType}-{entry.termNumber}"


# -- structure ----------------------------------------------------------------------------------


def map_structure(structure: Structure, ctx: MapContext) -> Mapped:
    out = Mapped()
    rec = out.records
    org = structure.organization
    rec.append(
        Institution(
            source=_src(ctx, (org.organizationId if org else None) or ctx.deployment),
            profile_id=ctx.profile_id,
            name=(org.name if org else None) or ctx.deployment,
            short_name=(org.shortName or org.abbreviation or "") if org else "",
            institution_kind=InstitutionKind.COLLEGE,
            timezone=ctx.timezone,
        )
    )
    years: dict[int, list[dt.date]] = defaultdict(list)
    periods: dict[str, tuple[GradebookEntry, dt.date, dt.date]] = {}
    group_year: dict[int, str] = {}
    subjects: dict[int, str] = {}
    for group_id, entries in structure.entries.items():
        for entry in entries:
            start, end = _date(entry.startDate), _date(entry.endDate)
            if start is None or end is None:
                continue
            year = school_year_start(start)
            years[year] += [start, end]
            group_year.setdefault(group_id, str(year))
            key = period_id(entry)
            if key in periods:
                _, s0, e0 = periods[key]
                periods[key] = (entry, min(s0, start), max(e0, end))
            else:
                periods[key] = (entry, start, end)
            for subject in entry.scheduleSubjects:
                subjects.setdefault(subject.id, subject.name)
    for year, days in sorted(years.items()):
        rec.append(
            SchoolYear(
                source=_src(ctx, year),
                name=f"{year}/{year + 1}",
                starts_on=min(days),
                ends_on=max(days),
            )
        )
    for key, (entry, start, end) in sorted(periods.items()):
        kind = {"Trimester": PeriodKind.TRIMESTER}.get(entry.termType, PeriodKind.SEMESTER)
        rec.append(
            Period(
                source=_src(ctx, key),
                year_id=str(school_year_start(start)),
                period_kind=kind,
                number=entry.termNumber,
                name=f"{entry.termNumber} {'триместр' if kind is PeriodKind.TRIMESTER else 'семестр'}",
                starts_on=start,
                ends_on=end,
            )
        )
    departments = {d.id: d.name for d in structure.departments}
    for group in structure.groups:
        rec.append(
            Group(
                source=_src(ctx, group.id),
                name=group.name,
                group_kind=GroupKind.ACADEMIC_GROUP,
                year_id=group_year.get(group.id),
                course=group.yearNumber,
                curator_id=employee_ref(group.curatorId) if group.curatorId else None,
                department=departments.get(group.departmentId) if group.departmentId else None,
                specialty=group.code,
            )
        )
    for subject_id, name in sorted(subjects.items()):
        rec.append(Subject(source=_src(ctx, subject_id), name=name))
    curators = {g.curatorId for g in structure.groups if g.curatorId}
    for employee in structure.employees:
        roles = (Role.TEACHER, Role.CLASS_TEACHER) if employee.id in curators else (Role.TEACHER,)
        rec.append(
            Person(
                source=_src(ctx, employee_ref(employee.id)),
                last_name=_name(employee.lastName),
                first_name=_name(employee.firstName),
                middle_name=_name(employee.middleName),
                roles=roles,
                position=employee.positionName,
            )
        )
    parents: dict[int, Person] = {}
    for summary in structure.students:
        card = structure.cards.get(summary.id)
        rec.append(_student(ctx, card or summary))
        if card is None:
            continue
        for parent in card.parents:
            parents.setdefault(
                parent.id,
                Person(
                    source=_src(ctx, parent_ref(parent.id)),
                    last_name=_name(parent.lastName),
                    first_name=_name(parent.firstName),
                    middle_name=_name(parent.middleName),
                    roles=(Role.PARENT,),
                    phone=parent.phone,
                ),
            )
            rec.append(
                ParentLink(
                    source=_src(ctx, f"{parent.id}:{card.id}"),
                    parent_id=parent_ref(parent.id),
                    child_id=student_ref(card.id),
                    relation=(snake(parent.relationshipType) or "parent"),
                )
            )
        rec.extend(_orders(ctx, card, out.warnings))
    rec.extend(parents.values())
    for task_type, (name, short, control) in TASK_TYPES.items():
        rec.append(
            WorkKind(source=_src(ctx, task_type), name=name, short_name=short, is_control=control)
        )
    return out


def _student(ctx: MapContext, student: StudentSummary) -> Person:
    card = student if isinstance(student, StudentCard) else None
    passport = card.passport if card else None
    return Person(
        source=_src(ctx, student_ref(student.id)),
        last_name=_name(student.lastName),
        first_name=_name(student.firstName),
        middle_name=_name(student.middleName),
        roles=(Role.STUDENT,),
        birth_date=_date(student.birthday),
        sex={"Male": Sex.MALE, "Female": Sex.FEMALE}.get(student.gender or ""),
        snils=_snils(card.snils) if card else None,
        document_type=passport.documentType if passport else None,
        document_series=passport.series if passport else None,
        document_number=passport.number if passport else None,
        document_issued_on=_date(passport.issuanceDate) if passport else None,
        email=card.email if card else None,
        phone=card.phone if card else None,
    )


def _orders(ctx: MapContext, card: StudentCard, warnings: list[str]) -> list[Record]:
    """Decrees as movement orders, and the enrolment episodes they open and close."""
    out: list[Record] = []
    decrees = sorted(
        (d for d in card.decrees if d.type in DECREES),
        key=lambda d: (d.effectiveDate or dt.datetime.min, d.id),
    )
    current: tuple[Decree, str, dt.date] | None = None
    previous_group: str | None = None
    for decree in decrees:
        movement = DECREES[decree.type]
        group = str(decree.studentGroup.id) if decree.studentGroup else None
        order_date = _date(decree.date)
        effective = _date(decree.effectiveDate) or order_date
        if order_date is None or effective is None:
            warnings.append(f"приказ {decree.id} без даты пропущен")
            continue
        opens = movement in (MovementKind.ENROLMENT, MovementKind.TRANSFER, MovementKind.RETURN)
        out.append(
            MovementOrder(
                source=_src(ctx, decree.id),
                student_id=student_ref(card.id),
                movement=movement,
                number=decree.number or "",
                order_date=order_date,
                effective_date=effective,
                from_group_id=(
                    previous_group if movement is MovementKind.TRANSFER else None if opens else group
                ),
                to_group_id=group if opens else None,
                reason=decree.reason,
            )
        )  # fmt: skip
        if current is not None:
            opened, opened_group, since = current
            status = {
                MovementKind.EXPULSION: EnrolmentStatus.EXPELLED,
                MovementKind.GRADUATION: EnrolmentStatus.GRADUATED,
                MovementKind.ACADEMIC_LEAVE: EnrolmentStatus.ACADEMIC_LEAVE,
            }.get(movement, EnrolmentStatus.TRANSFERRED_OUT)
            out.append(_enrolment(ctx, card.id, opened, opened_group, since, status, effective))
            current = None
        if opens and group:
            current = (decree, group, effective)
            previous_group = group
    if current is not None:
        opened, opened_group, since = current
        out.append(
            _enrolment(ctx, card.id, opened, opened_group, since, EnrolmentStatus.STUDYING, None)
        )
    return out


def _enrolment(
    ctx: MapContext,
    student: int,
    decree: Decree,
    group: str,
    since: dt.date,
    status: EnrolmentStatus,
    closed_on: dt.date | None,
) -> Enrolment:
    return Enrolment(
        source=_src(ctx, f"{student}:{decree.id}"),
        student_id=student_ref(student),
        group_id=group,
        status=status,
        starts_on=since,
        ends_on=closed_on - dt.timedelta(days=1) if closed_on else None,
        order_number=decree.number,
        order_date=_date(decree.date),
    )


# -- students of a gradebook ----------------------------------------------------------------


class StudentIndex:
    """Finds the ``people/students`` id of a gradebook-local student."""

    def __init__(self, structure: Structure) -> None:
        self._by_group: dict[int, dict[str, list[tuple[int, set[dt.date]]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._anywhere: dict[str, list[int]] = defaultdict(list)
        for summary in structure.students:
            card = structure.cards.get(summary.id)
            groups: dict[int, set[dt.date]] = defaultdict(set)
            if summary.studentGroup:
                groups[summary.studentGroup.id]
            for decree in card.decrees if card else []:
                if decree.studentGroup and decree.effectiveDate:
                    groups[decree.studentGroup.id].add(decree.effectiveDate.date())
            key = name_key(summary.lastName, summary.firstName, summary.middleName or "")
            self._anywhere[key].append(summary.id)
            for group_id, starts in groups.items():
                self._by_group[group_id][key].append((summary.id, starts))

    def find(self, group_id: int, student: GbStudent) -> int | None:
        key = name_key(student.lastName, student.firstName, student.middleName or "")
        candidates = self._by_group.get(group_id, {}).get(key, [])
        if not candidates:
            # Not in the group by any order yet (studies before the order is entered):
            # a name unique in the whole college still identifies the student.
            anywhere = self._anywhere.get(key, [])
            return anywhere[0] if len(anywhere) == 1 else None
        if len(candidates) == 1:
            return candidates[0][0]
        start = _date(student.startDate)
        narrowed = [c for c in candidates if start in c[1]]
        return narrowed[0][0] if len(narrowed) == 1 else None


# -- the journal ----------------------------------------------------------------------------


@dataclass
class JournalMapped:
    """A group's journal: dated records (lessons, homework, marks, absences) and the undated rest."""

    dated: list[tuple[dt.date, Record]] = field(default_factory=list)
    plans: list[Record] = field(default_factory=list)
    finals: dict[str, list[Record]] = field(default_factory=dict)
    """Final marks by period id."""
    warnings: list[str] = field(default_factory=list)


def teacher_index(structure: Structure) -> dict[str, int | None]:
    """«Фамилия И.О.» → employee id (``None`` when two employees share it)."""
    index: dict[str, int | None] = {}
    for employee in structure.employees:
        initials = "".join(
            f"{part[0]}." for part in (employee.firstName, employee.middleName) if part
        )
        key = f"{employee.lastName} {initials}".strip().casefold().replace("ё", "е")
        index[key] = None if key in index else employee.id
    return index


def map_group_journal(
    journal: GroupJournal,
    structure: Structure,
    students: StudentIndex,
    teachers: dict[str, int | None],
    ctx: MapContext,
    days: tuple[dt.date, dt.date] | None = None,
) -> JournalMapped:
    """The group's lessons, homework, marks and absences, its plans and its final marks.

    ``days`` (first, last): lessons dated outside are not mapped.  A subject page holds the
    whole term, and a sync that ingests only its window's weeks would otherwise build every
    record of the term, each sync, to drop most of them.
    """
    out = JournalMapped()
    group_id = journal.group.id
    seen_plans: set[str] = set()
    seen_lessons: set[int] = set()
    for entry, subject, answer in journal.subjects:
        teacher_key = (answer.teacher or "").strip().casefold().replace("ё", "е")
        teacher = teachers.get(teacher_key)
        teacher_ref = employee_ref(teacher) if teacher else None
        plan_key = f"{group_id}:{subject.id}"
        plan_topics: dict[str, str] = {}
        if answer.workingProgram is not None:
            plan_topics = _plan_topic_names(answer)
        if plan_key not in seen_plans:
            seen_plans.add(plan_key)
            out.plans.extend(_plan(ctx, plan_key, group_id, subject.id, subject.plannedHours,
                                   teacher_ref, entry, answer, out.warnings))  # fmt: skip
            if teacher_ref:
                out.plans.append(
                    TeachingAssignment(
                        source=_src(ctx, plan_key),
                        group_id=str(group_id),
                        subject_id=str(subject.id),
                        teacher_id=teacher_ref,
                        curriculum_hours=subject.plannedHours,
                    )
                )
            elif answer.teacher:
                out.warnings.append(
                    f"группа {journal.group.name}: преподаватель предмета {subject.id} не найден "
                    "среди сотрудников"
                )
        local: dict[str, int] = {}
        for student in answer.students:
            found = students.find(group_id, student)
            if found is None:
                out.warnings.append(
                    f"группа {journal.group.name}: студент журнала {student.id} не сопоставлен"
                )
            else:
                local[str(student.id)] = found
        unmatched = {str(s.id) for s in answer.students} - set(local)
        for lesson in answer.lessons:
            if lesson.id in seen_lessons or lesson.date is None:
                continue
            if days is not None and not days[0] <= lesson.date.date() <= days[1]:
                continue
            seen_lessons.add(lesson.id)
            for key in lesson.markSets:
                if key not in local and key not in unmatched:
                    unmatched.add(key)
                    out.warnings.append(
                        f"группа {journal.group.name}: отметки студента журнала {key}, "
                        "которого нет в списке группы, пропущены"
                    )
            out.dated.extend(
                _lesson_records(
                    ctx, lesson, group_id, subject.id, teacher_ref, local, plan_topics,
                    out.warnings,
                )
            )  # fmt: skip
    for entry, attestation in journal.attestations:
        pid = period_id(entry)
        finals: list[Record] = []
        for subject_marks in attestation.subjects:
            for student_key, value in subject_marks.marks.items():
                mapped = MARKS.get(value.value or "")
                if mapped is None and value.value:
                    out.warnings.append(
                        unknown_word(
                            "subjects.marks.value",
                            value.value,
                            f"аттестация группы {journal.group.name}, предмет {subject_marks.id}",
                        )
                    )
                if mapped is None or not student_key.isdecimal():
                    continue
                text, scale, numeric = mapped
                finals.append(
                    Mark(
                        source=_src(ctx, f"final:{pid}:{subject_marks.id}:{student_key}"),
                        student_id=student_ref(int(student_key)),
                        subject_id=str(subject_marks.id),
                        group_id=str(group_id),
                        value=text,
                        scale=scale,
                        numeric=numeric,
                        final_kind=FinalKind.ATTESTATION,
                        period_id=pid,
                    )
                )
        out.finals[pid] = finals
    return out


def _plan_topic_names(answer: SubjectAnswer) -> dict[str, str]:
    names: dict[str, str] = {}
    for topic in answer.workingProgram.topics if answer.workingProgram else []:
        for lesson in topic.lessons:
            names[str(lesson.id)] = lesson.name or topic.name or ""
    return names


def _plan(
    ctx: MapContext,
    plan_key: str,
    group_id: int,
    subject_id: int,
    planned_hours: float | None,
    teacher: str | None,
    entry: GradebookEntry,
    answer: SubjectAnswer,
    warnings: list[str],
) -> list[Record]:
    program = answer.workingProgram
    if program is None:
        return []
    items: list[Record] = []
    ordinal = 0
    topics = sorted(program.topics, key=lambda t: (t.sectionIndex or 0, t.index or 0))
    for topic in topics:
        for lesson in topic.lessons:
            ordinal += 1
            items.append(
                PlanItem(
                    source=_src(ctx, lesson.id),
                    plan_id=plan_key,
                    ordinal=ordinal,
                    topic=lesson.name or topic.name or "",
                    hours=lesson.duration if lesson.duration is not None else 1,
                    work_kind=plan_kind(
                        lesson.type, f"план группы {group_id}, предмет {subject_id}", warnings
                    ),
                )
            )
    total = planned_hours
    if total is None:
        total = sum(float(getattr(i, "hours", 0)) for i in items)
    start = _date(entry.startDate)
    plan = Plan(
        source=_src(ctx, plan_key),
        group_id=str(group_id),
        subject_id=str(subject_id),
        teacher_id=teacher,
        year_id=str(school_year_start(start)) if start else None,
        total_hours=total,
    )
    return [plan, *items]


def _lesson_records(
    ctx: MapContext,
    lesson: GbLesson,
    group_id: int,
    subject_id: int,
    teacher: str | None,
    local: dict[str, int],
    plan_topics: dict[str, str],
    warnings: list[str],
) -> Iterable[tuple[dt.date, Record]]:
    assert lesson.date is not None
    day = lesson.date.date()
    planned = list((lesson.plannedLessons or {}).keys())
    themes = lesson.themes
    if themes is None:
        themes = [plan_topics[p] for p in planned if plan_topics.get(p)]
    lesson_teacher = employee_ref(lesson.teacherId) if lesson.teacherId else teacher
    where = f"занятие {lesson.id}"
    yield (
        day,
        Lesson(
            source=_src(ctx, lesson.id),
            group_id=str(group_id),
            subject_id=str(subject_id),
            teacher_id=lesson_teacher,
            date=day,
            starts_at=_time(lesson.startTime),
            ends_at=_time(lesson.endTime),
            topic="; ".join(t for t in themes if t) or None,
            hours=lesson.duration,
            room=lesson.classroom.name if lesson.classroom else None,
            plan_item_id=planned[0] if planned else None,
            lesson_type=conducted_kind(lesson, where, warnings),
        ),
    )
    tasks: dict[str, Task] = {str(t.id): t for t in lesson.tasks}
    for task in lesson.tasks:
        if task.type == HOME:
            text = task.topic or ""
            if task.condition:
                text = f"{text}\n{task.condition}" if text else task.condition
            yield day, Homework(source=_src(ctx, task.id), lesson_id=str(lesson.id), text=text)
    for local_id, mark_set in lesson.markSets.items():
        student = local.get(local_id)
        if student is None:
            continue
        for task_key, value in mark_set.marks.items():
            mapped = MARKS.get(value.value or "")
            if mapped is None:
                if value.value:
                    warnings.append(unknown_word("markSets.marks.value", value.value, where))
                continue
            text, scale, numeric = mapped
            marked = tasks.get(task_key)
            kind = marked.type if marked else None
            yield (
                day,
                Mark(
                    source=_src(ctx, f"{task_key}:{student}"),
                    student_id=student_ref(student),
                    subject_id=str(subject_id),
                    group_id=str(group_id),
                    lesson_id=str(lesson.id),
                    date=day,
                    value=text,
                    scale=scale,
                    numeric=numeric,
                    work_kind_id=kind,
                    work_kind_name=(
                        marked.topic
                        if marked and marked.topic
                        else TASK_TYPES.get(kind or "", ("",))[0]
                    )
                    or None,
                    teacher_id=lesson_teacher,
                    task_id=task_key,
                ),
            )
        if mark_set.absenceType:
            absence = ABSENCES.get(mark_set.absenceType)
            if absence is None:
                warnings.append(unknown_word("markSets.absenceType", mark_set.absenceType, where))
                continue
            code, valid = absence
            yield (
                day,
                Absence(
                    source=_src(ctx, f"{lesson.id}:{student}"),
                    student_id=student_ref(student),
                    lesson_id=str(lesson.id),
                    date=day,
                    code=code,
                    valid=valid,
                ),
            )
