"""ЕПГУ e-diary applications: wire ⇄ canonical and the report (pure).

Whether an application is served is a rule of the regulations, decided in
:mod:`policies.epgu`; this module only translates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from canonical.base import Platform, SourceRef
from canonical.contingent import Enrolment
from canonical.journal import Absence, Homework, Lesson, Mark
from canonical.people import Person, Sex
from canonical.requests import EpguRequest, EpguRequestStatus
from canonical.structure import Group, Subject
from connectors.epgu.wire import (
    WireAbsence,
    WireDiaryReport,
    WireDiaryRequest,
    WireHomework,
    WireLesson,
    WireMark,
    WireStatus,
    WireSubject,
)

RECEIVED_CODE = "2"
"""Departmental status «Заявление получено ведомством» (first answer)."""
PROVIDED_TECH_CODE = 3
REFUSED_TECH_CODE = 4

RECEIVED_COMMENT = "Заявление получено образовательной организацией"
PROVIDED_COMMENT = "Услуга оказана: сведения о текущей успеваемости предоставлены"
SEX_BY_CODE = {"1": Sex.MALE, "2": Sex.FEMALE}


def request_record(
    wire: WireDiaryRequest,
    *,
    deployment: str,
    received_at: dt.datetime,
    deadline: dt.datetime,
    status: EpguRequestStatus,
    reason: str | None,
) -> EpguRequest:
    return EpguRequest(
        source=SourceRef(
            platform=Platform.EPGU, deployment=deployment, external_id=str(wire.order_id)
        ),
        order_id=str(wire.order_id),
        received_at=received_at,
        applicant_last_name=wire.applicant_surname,
        applicant_first_name=wire.applicant_name,
        applicant_middle_name=wire.applicant_middle_name or "",
        applicant_birth_date=wire.applicant_birth_date,
        applicant_snils=wire.applicant_snils,
        applicant_sex=SEX_BY_CODE.get(wire.applicant_sex_code or ""),
        applicant_document_series=wire.document_series,
        applicant_document_number=wire.document_number,
        child_last_name=wire.child_surname,
        child_first_name=wire.child_name,
        child_middle_name=wire.child_middle_name or "",
        child_birth_date=wire.child_birth_date,
        child_snils=wire.child_snils,
        period_from=wire.period_start,
        period_to=wire.period_end,
        status=status,
        status_reason=reason,
        deadline=deadline,
    )


def status(
    order_id: int, *, org_code: str | None = None, tech_code: int | None = None, comment: str
) -> WireStatus:
    return WireStatus(order_id=order_id, org_code=org_code, tech_code=tech_code, comment=comment)


def _average(marks: Iterable[Mark]) -> Decimal | None:
    values: list[float] = []
    for mark in marks:
        if mark.numeric is not None:
            values.append(mark.numeric)
        elif mark.value.strip().rstrip("+-").isdigit():
            values.append(float(mark.value.strip().rstrip("+-")))
    if not values:
        return None
    return Decimal(str(sum(values) / len(values))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def child_groups(
    child_id: str,
    enrolments: Iterable[Enrolment],
    marks: Iterable[Mark],
    start: dt.date,
    end: dt.date,
) -> set[str]:
    groups = {
        e.group_id
        for e in enrolments
        if e.student_id == child_id
        and (e.starts_on is None or e.starts_on <= end)
        and (e.ends_on is None or e.ends_on >= start)
    }
    groups |= {m.group_id for m in marks if m.student_id == child_id and m.group_id}
    return groups


def diary_report(
    child: Person,
    *,
    start: dt.date,
    end: dt.date,
    org_code: str,
    org_name: str,
    groups: Mapping[str, Group],
    subjects: Mapping[str, Subject],
    enrolments: Sequence[Enrolment],
    lessons: Sequence[Lesson],
    marks: Sequence[Mark],
    absences: Sequence[Absence],
    homework: Sequence[Homework],
) -> WireDiaryReport:
    """The child's marks, absences, homework and schedule for [start, end], nothing else."""
    child_id = child.source.external_id
    own_marks = [
        m
        for m in marks
        if m.student_id == child_id and m.date is not None and start <= m.date <= end
    ]
    group_ids = child_groups(child_id, enrolments, own_marks, start, end)
    own_lessons = sorted(
        (les for les in lessons if les.group_id in group_ids and start <= les.date <= end),
        key=lambda les: (les.date, les.number or 0, les.source.external_id),
    )
    lesson_by_id = {les.source.external_id: les for les in lessons}

    def subject_name(subject_id: str | None) -> str:
        subject = subjects.get(subject_id or "")
        return subject.name if subject else (subject_id or "")

    by_subject: dict[str, list[Mark]] = defaultdict(list)
    for mark in own_marks:
        by_subject[subject_name(mark.subject_id)].append(mark)
    wire_subjects = tuple(
        WireSubject(
            name=name,
            marks=tuple(
                WireMark(
                    date=m.date,
                    value=m.value,
                    work_kind=m.work_kind_name,
                    weight=Decimal(str(m.weight)) if m.weight is not None else None,
                    final=m.final_kind.value if m.final_kind else None,
                )
                for m in sorted(items, key=lambda m: (m.date or start, m.source.external_id))
            ),
            average=_average(items),
        )
        for name, items in sorted(by_subject.items())
    )
    own_absences = sorted(
        (a for a in absences if a.student_id == child_id and start <= a.date <= end),
        key=lambda a: (a.date, a.source.external_id),
    )
    wire_absences = []
    for absence in own_absences:
        lesson = lesson_by_id.get(absence.lesson_id or "")
        wire_absences.append(
            WireAbsence(
                date=absence.date,
                subject=subject_name(lesson.subject_id) if lesson else None,
                lesson_number=lesson.number if lesson else None,
                reason_code=absence.code.value,
            )
        )
    lesson_ids = {les.source.external_id for les in own_lessons}
    wire_homework = tuple(
        WireHomework(
            date=lesson_by_id[h.lesson_id].date,
            subject=subject_name(lesson_by_id[h.lesson_id].subject_id),
            text=h.text,
            due_date=h.due_date,
        )
        for h in sorted(homework, key=lambda h: h.source.external_id)
        if h.lesson_id in lesson_ids
    )
    class_names = sorted(groups[g].name for g in group_ids if g in groups)
    return WireDiaryReport(
        period_start=start,
        period_end=end,
        org_code=org_code,
        org_name=org_name,
        class_name=", ".join(class_names) or None,
        subjects=wire_subjects,
        absences=tuple(wire_absences),
        homework=tuple(sorted(wire_homework, key=lambda h: (h.date, h.subject))),
        lessons=tuple(
            WireLesson(
                date=les.date,
                number=les.number,
                subject=subject_name(les.subject_id),
                start_time=les.starts_at,
                end_time=les.ends_at,
                topic=les.topic,
                room=les.room,
            )
            for les in own_lessons
        ),
    )
