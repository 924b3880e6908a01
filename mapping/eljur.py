"""ЭлЖур wire data → canonical records (pure).

External ids: people, lessons and homework keep ЭлЖур's numeric ids; classes
and subjects are named by their titles (ЭлЖур has no other id for them);
periods by the school year and the period's short name; a mark by (lesson,
student, its number ``nm`` on that lesson); an absence by (lesson, student);
a period mark by (period, subject, student).  ЭлЖур records no entry or edit
times, so ``entered_at`` stays empty: the store's observation history is
the evidence (eljur.md §6).  Absences are marks «н»/«оп» with no reason: «н»
becomes ``ОТ`` (reason unknown), «оп» ``ОП``; reasons come from the
institution's files.

Who teaches what carries no teacher ids: a class's subject is taught by the
teacher its lessons name («Петрова А. А.»), the class teacher's id where the
name is theirs.  Class lists carry no dates and keep students who left (with
their last class), so no enrolment is made of them (``marks.density`` is not
checked on ЭлЖур, canonical/capabilities.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from canonical import (
    Absence,
    AbsenceCode,
    FinalKind,
    Group,
    Homework,
    Institution,
    InstitutionKind,
    Lesson,
    Mark,
    MarkScale,
    Period,
    PeriodKind,
    Person,
    Platform,
    Role,
    SchoolYear,
    SourceRef,
    Subject,
    TeachingAssignment,
    WorkKind,
)
from canonical.base import Record
from canonical.normalize import name_parts, normalize_name_part
from canonical.structure import GroupKind
from connectors.eljur import wire
from connectors.eljur.wire import ClassJournal, SchoolStructure

ABSENCE_VALUES = {"н": AbsenceCode.OT, "оп": AbsenceCode.OP}
PASS_FAIL = {"зч", "зачёт", "зачтено", "нз", "незч", "не зачтено", "осв"}
YEAR_NAMES = {"год", "годовая", "итоговая"}
CONTROL_KIND_WORDS = ("контрольн", "диктант")
"""A kind of work (``control_type``) that names a control work says so itself."""
EXTERNAL_KIND_WORDS = ("всероссийск", "впр", "районн", "региональн")
"""All-Russian, district and regional works (their deadline counts from the results)."""


def kind_flags(name: str, short: str) -> tuple[bool, bool]:
    """(is_control, is_external) as the kind's own name says."""
    text = f"{name} {short}".lower()
    external = any(word in text for word in EXTERNAL_KIND_WORDS)
    control = not external and any(word in text for word in CONTROL_KIND_WORDS)
    return control, external


@dataclass(frozen=True)
class Source:
    deployment: str
    timezone: str
    profile_id: str = ""
    region: str = ""

    def ref(self, external_id: object) -> SourceRef:
        return SourceRef(
            platform=Platform.ELJUR, deployment=self.deployment, external_id=str(external_id)
        )


def ymd(value: str) -> dt.date | None:
    text = value.strip()
    try:
        if len(text) == 8 and text.isascii() and text.isdigit():
            # the usual ``20241105``, without strptime (a diary has one per lesson and student)
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def hms(value: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def year_id(periods: Iterable[wire.Period]) -> str:
    """``2024-2025``: the school year the periods span."""
    starts = [d for d in (ymd(p.start) for p in periods) if d]
    ends = [d for d in (ymd(p.end) for p in periods) if d]
    if not starts or not ends:
        return "year"
    return f"{min(starts).year}-{max(ends).year}"


def period_id(year: str, name: str) -> str:
    return f"{year}:{name}"


def _period_kind(period: wire.Period) -> PeriodKind:
    text = f"{period.fullname} {period.name}".lower()
    if period.name.strip().lower() in YEAR_NAMES or period.fullname.strip().lower() == "год":
        return PeriodKind.YEAR
    if "полугод" in text:
        return PeriodKind.HALF_YEAR
    if "триместр" in text:
        return PeriodKind.TRIMESTER
    if "семестр" in text:
        return PeriodKind.SEMESTER
    return PeriodKind.QUARTER


@dataclass
class Mapped:
    records: list[Record] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def map_structure(structure: SchoolStructure, source: Source) -> Mapped:
    """Institution, school year, periods, classes, students and class teachers."""
    out = Mapped()
    rules = structure.rules
    school = rules.relations.schools[0] if rules.relations.schools else None
    out.records.append(
        Institution(
            source=source.ref(rules.vendor or source.deployment),
            profile_id=source.profile_id,
            name=school.title_full
            if school and school.title_full
            else (school.title if school else ""),
            short_name=school.title if school else "",
            institution_kind=InstitutionKind.SCHOOL,
            timezone=source.timezone,
            region=source.region or rules.region,
        )
    )
    year = year_id(structure.periods)
    dated = [(p, ymd(p.start), ymd(p.end)) for p in structure.periods]
    valid = [(p, a, b) for p, a, b in dated if a and b]
    if valid:
        out.records.append(
            SchoolYear(
                source=source.ref(year),
                name=year.replace("-", "/"),
                starts_on=min(a for _, a, _ in valid if a),
                ends_on=max(b for _, _, b in valid if b),
            )
        )
    numbers: dict[PeriodKind, int] = {}
    for period, start, end in sorted(valid, key=lambda x: (x[1], x[2])):
        assert start is not None and end is not None
        kind = _period_kind(period)
        numbers[kind] = numbers.get(kind, 0) + 1
        out.records.append(
            Period(
                source=source.ref(period_id(year, period.name)),
                year_id=year,
                period_kind=kind,
                number=numbers[kind],
                name=period.fullname or period.name,
                starts_on=start,
                ends_on=end,
            )
        )
    for p, a, b in dated:
        if not (a and b):
            out.warnings.append(f"период «{p.name}»: даты не читаются ({p.start}–{p.end})")
    people: dict[str, Person] = {}
    for name, group in sorted(rules.relations.groups.items()):
        teacher = group.hometeacher_id.strip() or None
        if teacher and group.hometeacher_lastname:
            people[teacher] = Person(
                source=source.ref(teacher),
                last_name=normalize_name_part(group.hometeacher_lastname),
                first_name=normalize_name_part(group.hometeacher_firstname),
                middle_name=normalize_name_part(group.hometeacher_middlename),
                roles=(Role.CLASS_TEACHER,),
            )
        grade = group.parallel.strip()
        out.records.append(
            Group(
                source=source.ref(name),
                name=group.name or name,
                group_kind=GroupKind.CLASS,
                year_id=year,
                grade=int(grade) if grade.isdigit() else None,
                curator_id=teacher,
            )
        )
    for sid, student in sorted(rules.relations.students.items()):
        if student.lastname:
            last = normalize_name_part(student.lastname)
            first = normalize_name_part(student.firstname)
            middle = normalize_name_part(student.middlename)
        else:
            last, first, middle = name_parts(student.title)
        people.setdefault(
            sid,
            Person(
                source=source.ref(sid),
                last_name=last,
                first_name=first,
                middle_name=middle,
                roles=(Role.STUDENT,),
            ),
        )
    out.records.extend(people.values())
    return out


def teacher_label(last: str, first: str, middle: str) -> str:
    """«Петрова А. А.», as ЭлЖур names the teacher of a lesson."""
    initials = " ".join(f"{part.strip()[0]}." for part in (first, middle) if part.strip())
    return f"{last.strip()} {initials}".strip()


def teacher_ids(structure: SchoolStructure) -> dict[str, str]:
    """A lesson's teacher label → the person id ЭлЖур gives it (class teachers only)."""
    return {
        teacher_label(g.hometeacher_lastname, g.hometeacher_firstname, g.hometeacher_middlename): (
            g.hometeacher_id.strip()
        )
        for g in structure.rules.relations.groups.values()
        if g.hometeacher_id.strip() and g.hometeacher_lastname
    }


def _scale(value: str) -> tuple[MarkScale, float | None]:
    digits = value.rstrip("+-")
    if digits.isdigit():
        return MarkScale.FIVE_POINT, float(digits)
    if value.lower() in PASS_FAIL:
        return MarkScale.PASS_FAIL, None
    return MarkScale.OTHER, None


@dataclass(frozen=True)
class LessonPlace:
    """Where a lesson sits: its day, subject and the class whose timetable holds it."""

    date: dt.date
    subject: str
    class_name: str


LessonIndex = dict[str, LessonPlace]
"""ЭлЖур lesson id → its place, over every class timetable a run read."""


def lesson_index(schedules: Mapping[str, wire.ClassSchedule]) -> LessonIndex:
    """Every lesson of the given class timetables (class name → ``getschedule?class=``).

    A student's diary shows the lessons of each class they were in on each day (eljur.md
    §5.3: the diary is the student's, by date), so a student who moved from 2А to 1А
    carries 2А's lessons and marks in the 1А reading.  Their marks belong to the class
    whose timetable holds the lesson, which only the whole school's timetables tell.
    """
    index: LessonIndex = {}
    for class_name, schedule in sorted(schedules.items()):
        for key, day in schedule.days.items():
            date = ymd(day.name or key)
            if date is None:
                continue
            for item in day.items.values():
                if item.lesson_id:
                    index.setdefault(
                        item.lesson_id, LessonPlace(date, item.name.strip(), class_name)
                    )
    return index


@dataclass
class ClassRecords:
    """One class's journal: records dated by their lesson, period marks, the catalog they name."""

    dated: list[tuple[dt.date, Record]] = field(default_factory=list)
    finals: list[Record] = field(default_factory=list)
    subjects: dict[str, Subject] = field(default_factory=dict)
    work_kinds: dict[str, WorkKind] = field(default_factory=dict)
    assignments: dict[str, TeachingAssignment] = field(default_factory=dict)
    """Subject → who teaches it in this class (the teacher its lessons name)."""
    warnings: list[str] = field(default_factory=list)


def map_class_journal(
    journal: ClassJournal,
    structure: SchoolStructure,
    source: Source,
    index: LessonIndex | None = None,
) -> ClassRecords:
    """One class's lessons, homework, its students' marks and absences, and period marks.

    A mark takes its date, subject and class from its lesson, looked up by the lesson id
    first in this class's timetable, then in ``index`` (every class's timetable of the
    run): a mover's marks from their former class stay that class's.  Only a lesson no
    timetable holds falls back to the diary's own day and subject and this class.
    """
    out = ClassRecords()
    class_name = journal.class_name
    lessons: LessonIndex = {}
    known_teachers = teacher_ids(structure)
    for key, day in sorted(journal.schedule.days.items()):
        date = ymd(day.name or key)
        if date is None:
            out.warnings.append(f"класс {class_name}: день «{key}» не читается")
            continue
        for item in day.items.values():
            if not item.lesson_id:
                continue
            subject = item.name.strip()
            out.subjects.setdefault(subject, Subject(source=source.ref(subject), name=subject))
            lessons[item.lesson_id] = LessonPlace(date, subject, class_name)
            teacher = item.teacher.strip()
            if teacher:
                out.assignments[subject] = TeachingAssignment(
                    source=source.ref(f"{class_name}:{subject}"),
                    group_id=class_name,
                    subject_id=subject,
                    teacher_id=known_teachers.get(teacher, f"teacher:{teacher}"),
                )
            num = item.num.strip().rstrip("'")
            out.dated.append(
                (
                    date,
                    Lesson(
                        source=source.ref(item.lesson_id),
                        group_id=class_name,
                        subject_id=subject,
                        date=date,
                        number=int(num) if num.isdigit() else item.sort,
                        starts_at=hms(item.starttime),
                        ends_at=hms(item.endtime),
                        topic=item.topic.strip() or None,
                        room=item.room.strip() or None,
                        lesson_type="control" if item.is_control else None,
                    ),
                )
            )
            for hw in item.homework.values():
                if hw.value.strip():
                    out.dated.append(
                        (
                            date,
                            Homework(
                                source=source.ref(hw.id), lesson_id=item.lesson_id, text=hw.value
                            ),
                        )
                    )
    for sid, student in sorted(journal.diary.students.items()):
        for key, day in sorted(student.days.items()):
            date = ymd(day.name or key)
            for item in day.items.values():
                if not item.assessments:
                    continue
                known = lessons.get(item.lesson_id) or (index or {}).get(item.lesson_id)
                subject = known.subject if known else item.name.strip()
                lesson_date = known.date if known else date
                group = known.class_name if known else class_name
                if lesson_date is None:
                    continue
                for mark in item.assessments:
                    record = _mark(
                        mark, sid, subject, group, item.lesson_id, lesson_date, source, out
                    )
                    if record is not None:
                        out.dated.append((lesson_date, record))
    _map_finals(journal, structure, source, out)
    return out


def _map_finals(
    journal: ClassJournal, structure: SchoolStructure, source: Source, out: ClassRecords
) -> None:
    class_name = journal.class_name
    year = year_id(structure.periods)
    ends = {p.name: ymd(p.end) for p in structure.periods}
    for sid, finals in sorted(journal.finals.students.items()):
        for entry in finals.items:
            subject = entry.name.strip()
            for final in entry.assessments:
                value = final.value.strip()
                if not value or final.period not in ends:
                    continue
                scale, numeric = _scale(value)
                out.finals.append(
                    Mark(
                        source=source.ref(f"final-{year}:{final.period}-{subject}-{sid}"),
                        student_id=sid,
                        subject_id=subject,
                        group_id=class_name,
                        date=ends[final.period],
                        value=value,
                        scale=scale,
                        numeric=numeric,
                        final_kind=FinalKind.YEAR
                        if final.period.strip().lower() in YEAR_NAMES
                        else FinalKind.PERIOD,
                        period_id=period_id(year, final.period),
                        comment=final.comment or None,
                    )
                )


def _mark(
    mark: wire.Mark,
    student: str,
    subject: str,
    class_name: str,
    lesson_id: str,
    date: dt.date,
    source: Source,
    out: ClassRecords,
) -> Record | None:
    value = mark.value.strip()
    if not value:
        return None  # an empty "phantom" mark (eljur.md §5.5)
    absence = ABSENCE_VALUES.get(value.lower())
    if absence is not None:
        return Absence(
            source=source.ref(f"{lesson_id}-{student}"),
            student_id=student,
            lesson_id=lesson_id,
            date=date,
            code=absence,
        )
    kind = mark.control_type.strip() or None
    if kind is not None and kind not in out.work_kinds:
        control, external = kind_flags(kind, mark.control_type_short)
        out.work_kinds[kind] = WorkKind(
            source=source.ref(kind),
            name=kind,
            short_name=mark.control_type_short,
            is_control=control,
            is_external=external,
        )
    scale, numeric = _scale(value)
    return Mark(
        source=source.ref(f"{lesson_id}-{student}-{mark.nm or '1'}"),
        student_id=student,
        subject_id=subject,
        group_id=class_name,
        lesson_id=lesson_id,
        date=date,
        value=value,
        scale=scale,
        numeric=numeric,
        work_kind_id=kind,
        work_kind_name=kind,
        weight=mark.weight,
        comment=mark.comment or None,
    )
