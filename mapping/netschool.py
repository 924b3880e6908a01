"""NetSchool wire data → canonical records (pure).

External ids are NetSchool's integers as strings.  Records the platform has
no id for get a composite one: a mark is (assignment, student), an absence
(class meeting, student), a subgroup membership (subject group, student), a
teaching assignment (subject group, teacher).  Local wall times are read in the
deployment's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from canonical import (
    Absence,
    AbsenceCode,
    Enrolment,
    EnrolmentStatus,
    FinalKind,
    Group,
    Holiday,
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
    Subgroup,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    WorkKind,
)
from canonical.base import Record
from canonical.normalize import local_datetime, name_parts, normalize_name_part
from canonical.people import ParentLink
from canonical.structure import GroupKind
from connectors.netschool import wire
from connectors.netschool.wire import InstitutionPull, JournalEntry

HOMEWORK_TYPE = "домашнее задание"
UNTYPED = "не указан"
"""The type a server shows for a mark given without a kind of work: no kind, for the policies."""
CONTROL_MARKERS = ("контрольн", "диктант", "срез знаний")
"""A type whose name holds one of these is a control (test) work's: «Контрольная работа»,
«Диагностическая контрольная работа», «Контрольное списывание», «Диктант»…  ``webapi`` has no
flag for it (``grade/assignment/types`` gives only id, name, abbr, order), so the name decides."""
EXTERNAL_MARKERS = ("всероссийск", "региональн", "районн")
"""All-Russian, regional and district written works (ВПР and the like)."""

STRUCTURE_KINDS = (
    "institution",
    "school_year",
    "period",
    "holiday",
    "person",
    "parent_link",
    "group",
    "enrolment",
    "subject",
    "subgroup",
    "subgroup_member",
    "teaching_assignment",
    "work_kind",
)
JOURNAL_KINDS = ("lesson", "homework", "mark", "absence")

ROLES = {
    "ученик": Role.STUDENT,
    "родитель": Role.PARENT,
    "учитель": Role.TEACHER,
    "классный руководитель": Role.CLASS_TEACHER,
    "завуч": Role.DEPUTY,
    "заместитель директора": Role.DEPUTY,
    "администратор": Role.ADMINISTRATOR,
    "секретарь": Role.SECRETARY,
    "руководитель мо": Role.HEAD_OF_DEPARTMENT,
    "директор": Role.DIRECTOR,
}
TERM_KINDS = {
    1: PeriodKind.QUARTER,
    2: PeriodKind.HALF_YEAR,
    3: PeriodKind.TRIMESTER,
    4: PeriodKind.SEMESTER,
    5: PeriodKind.YEAR,
}
ABSENCE_VALID = {
    AbsenceCode.OT: None,
    AbsenceCode.UP: True,
    AbsenceCode.B: True,
    AbsenceCode.NP: False,
    AbsenceCode.OP: None,
    AbsenceCode.OSV: True,
}
PASS_FAIL = {"зч", "зачёт", "зачтено", "нз", "незч", "не зачтено"}


@dataclass(frozen=True)
class Source:
    """Where the records come from and how to read its local times."""

    deployment: str
    timezone: str
    profile_id: str = ""
    region: str = ""

    def ref(self, external_id: object) -> SourceRef:
        return SourceRef(
            platform=Platform.NETSCHOOL, deployment=self.deployment, external_id=str(external_id)
        )

    def moment(self, local: dt.datetime | None) -> dt.datetime | None:
        return None if local is None else local_datetime(local, self.timezone)


def _roles(names: Iterable[str]) -> tuple[Role, ...]:
    roles = {ROLES[n.strip().lower()] for n in names if n.strip().lower() in ROLES}
    return tuple(sorted(roles, key=lambda r: r.value)) or (Role.TEACHER,)


def _is_subgroup(sg: wire.FilterItem) -> bool:
    return bool(sg.subgroupName)


def _enrolments(pull: InstitutionPull, source: Source) -> list[Enrolment]:
    """Who studies in which class now: the class lists without those marked as left
    (``free``).  NetSchool does not say since when, so ``starts_on`` stays unknown rather
    than guessed; the registry match then compares class and status, not dates.  A student
    studies in one class at a time, so the enrolment is known by the student: a move to
    another class changes it rather than removing one and adding another."""
    current: dict[int, int] = {}
    for class_id, students in sorted(pull.class_students.items()):
        for student in students:
            if not student.free:
                current[student.id] = class_id
    return [
        Enrolment(
            source=source.ref(student_id),
            student_id=str(student_id),
            group_id=str(class_id),
            status=EnrolmentStatus.STUDYING,
            starts_on=None,
        )
        for student_id, class_id in sorted(current.items())
    ]


RELATIONS = {"Mother": "mother", "Father": "father", "Guardian": "guardian"}
"""A card's ``relationshipType`` → ``ParentLink.relation`` (``parent`` otherwise)."""


def _parents(pull: InstitutionPull, people: dict[int, Person], source: Source) -> list[ParentLink]:
    """Parents on the students' cards as people with the parent role, and their links.

    NetSchool's card carries only the parent's name; birth date, СНИЛС and passport come
    from the institution's own file of the same person (identity resolution).  A parent
    who also works at the school keeps the staff card and gains the parent role.
    """
    links: list[ParentLink] = []
    for student_id, parents in sorted(pull.student_parents.items()):
        for parent in parents:
            known = people.get(parent.id)
            if known is not None:
                if Role.PARENT not in known.roles:
                    roles = tuple(sorted({*known.roles, Role.PARENT}, key=lambda r: r.value))
                    people[parent.id] = known.model_copy(update={"roles": roles})
            else:
                # An empty name goes on as empty parts: the screening after the mapper leaves
                # that parent out with a Russian report instead of failing the whole sync.
                people[parent.id] = Person(
                    source=source.ref(parent.id),
                    last_name=normalize_name_part(parent.lastName or ""),
                    first_name=normalize_name_part(parent.firstName or ""),
                    middle_name=normalize_name_part(parent.middleName or ""),
                    roles=(Role.PARENT,),
                )
            links.append(
                ParentLink(
                    source=source.ref(f"{parent.id}:{student_id}"),
                    parent_id=str(parent.id),
                    child_id=str(student_id),
                    relation=RELATIONS.get(parent.relationshipType or "", "parent"),
                )
            )
    return links


def map_structure(pull: InstitutionPull, source: Source) -> list[Record]:
    """The institution's structure: calendar, people, classes, subjects, who teaches what."""
    ctx = pull.context
    records: list[Record] = []
    org_name = ctx.organizationName or (ctx.organization.name if ctx.organization else "")
    records.append(
        Institution(
            source=source.ref(ctx.schoolId),
            profile_id=source.profile_id,
            name=org_name,
            short_name=ctx.organization.name if ctx.organization else "",
            institution_kind=InstitutionKind.SCHOOL,
            timezone=source.timezone,
            region=source.region,
        )
    )
    year_id = str(pull.year.id)
    records.append(
        SchoolYear(
            source=source.ref(pull.year.id),
            name=pull.year.name,
            starts_on=pull.year.startDate,
            ends_on=pull.year.endDate,
        )
    )
    numbers: dict[int | None, int] = {}
    for term in sorted(pull.terms, key=lambda t: t.startDate):
        numbers[term.termTypeId] = numbers.get(term.termTypeId, 0) + 1
        records.append(
            Period(
                source=source.ref(term.id),
                year_id=str(term.schoolYearId or pull.year.id),
                period_kind=TERM_KINDS.get(term.termTypeId or 1, PeriodKind.QUARTER),
                number=numbers[term.termTypeId],
                name=term.termName,
                starts_on=term.startDate,
                ends_on=term.endDate,
            )
        )
    records.extend(
        Holiday(
            source=source.ref(v.id),
            year_id=year_id,
            name=v.name,
            starts_on=v.startTime,
            ends_on=v.endTime,
        )
        for v in pull.vacations
    )
    people: dict[int, Person] = {}
    for member in pull.staff:
        if member.lastName:
            last = normalize_name_part(member.lastName)
            first = normalize_name_part(member.firstName)
            middle = normalize_name_part(member.middleName or "")
        else:
            last, first, middle = name_parts(member.fullName)
        people[member.id] = Person(
            source=source.ref(member.id),
            last_name=last,
            first_name=first,
            middle_name=middle,
            roles=_roles(member.roles),
            position=member.position,
        )
    for students in pull.class_students.values():
        for student in students:
            if student.id in people:
                continue
            last, first, middle = name_parts(student.fullName)
            people[student.id] = Person(
                source=source.ref(student.id),
                last_name=last,
                first_name=first,
                middle_name=middle,
                roles=(Role.STUDENT,),
            )
    links = _parents(pull, people, source)
    records.extend(people.values())
    records.extend(links)
    for cls in pull.classes:
        grade = cls.grade.id if cls.grade and cls.grade.id is not None else None
        if grade is None and cls.grade and cls.grade.name.isdecimal():
            grade = int(cls.grade.name)
        records.append(
            Group(
                source=source.ref(cls.id),
                name=cls.name,
                group_kind=GroupKind.CLASS,
                year_id=year_id,
                grade=grade,
                curator_id=str(cls.chiefs[0].id) if cls.chiefs else None,
            )
        )
    records.extend(_enrolments(pull, source))
    records.extend(
        Subject(source=source.ref(s.id), name=s.name, short_name=s.shortName or "")
        for s in pull.subjects
    )
    for sg in pull.subject_groups:
        if sg.classId is None or sg.subjectId is None:
            continue
        subgroup_id = sg.value if _is_subgroup(sg) else None
        if subgroup_id is not None:
            records.append(
                Subgroup(
                    source=source.ref(sg.value),
                    group_id=str(sg.classId),
                    name=sg.subgroupName or sg.title,
                    subject_id=str(sg.subjectId),
                )
            )
            records.extend(
                SubgroupMember(
                    source=source.ref(f"{sg.value}-{m.id}"),
                    subgroup_id=sg.value,
                    student_id=str(m.id),
                )
                for m in (
                    pull.group_students.get(int(sg.value), []) if sg.value.isdecimal() else []
                )
                if not m.free
            )
        records.extend(
            TeachingAssignment(
                source=source.ref(f"{sg.value}-{teacher}"),
                group_id=str(sg.classId),
                subject_id=str(sg.subjectId),
                teacher_id=str(teacher),
                subgroup_id=subgroup_id,
            )
            for teacher in sg.teacherIds
        )
    records.extend(
        WorkKind(
            source=source.ref(t.id),
            name=t.name,
            short_name=t.abbr or "",
            is_control=is_control_type(t.name),
            is_external=is_external_type(t.name, t.abbr),
        )
        for t in pull.types
        if t.name.strip().lower() != UNTYPED
    )
    return records


def is_control_type(name: str) -> bool:
    """Whether a mark of this assignment type is a control work's (by the type's name)."""
    lowered = name.strip().lower()
    return any(marker in lowered for marker in CONTROL_MARKERS)


def is_external_type(name: str, abbr: str | None) -> bool:
    """Whether this assignment type is an all-Russian or district written work."""
    lowered = name.strip().lower()
    return (abbr or "").strip().upper() == "ВПР" or any(m in lowered for m in EXTERNAL_MARKERS)


def _mark_value(mark: str | int | None) -> str | None:
    if mark is None:
        return None
    value = str(mark).strip()
    return value or None


def _scale(value: str) -> tuple[MarkScale, float | None]:
    digits = value.rstrip("+-")
    if digits.isdigit():
        return MarkScale.FIVE_POINT, float(digits)
    if value.lower() in PASS_FAIL:
        return MarkScale.PASS_FAIL, None
    return MarkScale.OTHER, None


def map_journal_entries(
    entries: Iterable[JournalEntry], types: Iterable[wire.AssignmentType], source: Source
) -> list[Record]:
    """One class's lessons of one week with their homework, marks and absences."""
    type_names = {t.id: t.name for t in types}
    records: list[Record] = []
    seen_assignments: set[int] = set()
    for entry in entries:
        sg, meeting, page = entry.sg, entry.meeting, entry.page
        lesson_id = str(meeting.id)
        group_id = str(sg.classId)
        subject_id = str(sg.subjectId)
        teacher_id = str(meeting.teachers[0].id) if meeting.teachers else None
        records.append(
            Lesson(
                source=source.ref(meeting.id),
                group_id=group_id,
                subject_id=subject_id,
                teacher_id=teacher_id,
                subgroup_id=sg.value if _is_subgroup(sg) else None,
                date=meeting.date,
                number=meeting.scheduleTimeNumber,
                starts_at=meeting.startTime,
                ends_at=meeting.endTime,
                topic=page.lessonName or None,
                hours=meeting.hours,
                room=meeting.roomName,
            )
        )
        for assignment in page.assignments:
            if assignment.id in seen_assignments:
                continue
            seen_assignments.add(assignment.id)
            type_name = type_names.get(assignment.typeId)
            untyped = (type_name or "").strip().lower() == UNTYPED
            if (
                type_name or ""
            ).strip().lower() == HOMEWORK_TYPE and assignment.assignmentName.strip():
                records.append(
                    Homework(
                        source=source.ref(assignment.id),
                        lesson_id=lesson_id,
                        text=assignment.assignmentName,
                        due_date=assignment.dueDate,
                    )
                )
            for result in assignment.results:
                value = _mark_value(result.mark)
                if value is None:
                    continue
                scale, numeric = _scale(value)
                records.append(
                    Mark(
                        source=source.ref(f"{assignment.id}-{result.studentId}"),
                        student_id=str(result.studentId),
                        subject_id=subject_id,
                        group_id=group_id,
                        lesson_id=lesson_id,
                        date=meeting.date,
                        value=value,
                        scale=scale,
                        numeric=numeric,
                        work_kind_id=None if untyped else str(assignment.typeId),
                        work_kind_name=None if untyped else type_name,
                        weight=assignment.weight,
                        comment=result.comment or None,
                        teacher_id=teacher_id,
                        task_id=str(assignment.id),
                        entered_at=source.moment(result.resultDate),
                    )
                )
        for attendance in page.attendance:
            try:
                code = AbsenceCode(attendance.reason.strip().upper())
            except ValueError:
                code = AbsenceCode.OT
            records.append(
                Absence(
                    source=source.ref(f"{meeting.id}-{attendance.studentId}"),
                    student_id=str(attendance.studentId),
                    lesson_id=lesson_id,
                    date=meeting.date,
                    code=code,
                    valid=ABSENCE_VALID[code],
                )
            )
    return records


def map_totals(
    totals: Iterable[tuple[wire.FilterItem, wire.Total]],
    terms: Iterable[wire.Term],
    source: Source,
) -> list[Record]:
    """Period (and year) marks of one class: no lesson, the term as the period."""
    by_id = {t.id: t for t in terms}
    records: dict[str, Record] = {}
    for sg, total in totals:
        value = _mark_value(total.mark)
        if value is None:
            continue
        term = by_id.get(total.termId)
        scale, numeric = _scale(value)
        external_id = f"total-{total.termId}-{sg.value}-{total.studentId}"
        records[external_id] = Mark(
            source=source.ref(external_id),
            student_id=str(total.studentId),
            subject_id=str(sg.subjectId),
            group_id=str(sg.classId),
            date=term.endDate if term else None,
            value=value,
            scale=scale,
            numeric=numeric,
            final_kind=FinalKind.YEAR
            if term is not None and term.termTypeId == 5
            else FinalKind.PERIOD,
            period_id=str(total.termId),
            entered_at=source.moment(total.resultDate),
        )
    return list(records.values())
