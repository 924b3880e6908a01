"""ЕПГУ e-diary applications: wire ⇄ canonical, the decision, and the report (pure).

The decision applies two rules of the policy catalogue to one application:
``epgu.own_child_only`` (the applicant must be a linked parent of that child;
a refusal never says anything about the child, so "not your child" and "no
such child" read the same) and ``epgu.parent.required_fields`` (talmenka 1.6:
the parent record must hold ФИО, sex, birth date, passport and СНИЛС).  It is
a pure function of canonical records so the CLI, the scheduler and the tests
call the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from canonical.base import Platform, SourceRef
from canonical.contingent import Enrolment
from canonical.journal import Absence, Homework, Lesson, Mark
from canonical.normalize import name_key
from canonical.people import ParentLink, Person, Role, Sex
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
REFUSE_NOT_REPRESENTATIVE = (
    "Отказ в предоставлении услуги: заявитель не является родителем (законным "
    "представителем) обучающегося, указанного в заявлении, либо такой обучающийся "
    "не найден в образовательной организации"
)
REFUSE_PERIOD = "Отказ в предоставлении услуги: окончание периода раньше его начала"
REFUSE_CANCELLED = "Заявление отозвано заявителем"

PARENT_FIELDS_RU = {
    "last_name": "фамилия",
    "first_name": "имя",
    "sex": "пол",
    "birth_date": "дата рождения",
    "passport": "паспортные данные",
    "snils": "СНИЛС",
}
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


def scope(deployment: str, order_id: str) -> str:
    return f"epgu:{deployment}:request:{order_id}"


def deadline_after(received_at: dt.datetime, working_days: int) -> dt.datetime:
    """``working_days`` Monday–Friday days after receipt (public holidays are not counted out)."""
    moment = received_at
    left = working_days
    while left > 0:
        moment += dt.timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


@dataclass(frozen=True)
class Decision:
    child: Person | None
    parent: Person | None
    refusal: str | None

    @property
    def provide(self) -> bool:
        return self.refusal is None


def _same(a: object, b: object) -> bool:
    """Equal when both are known; an unknown value does not contradict."""
    return a is None or b is None or a == b


def missing_parent_fields(parent: Person) -> list[str]:
    missing = [
        name
        for name in ("last_name", "first_name", "sex", "birth_date", "snils")
        if not getattr(parent, name)
    ]
    if not (parent.document_number and (parent.document_type in (None, "21"))):
        missing.append("passport")
    order = list(PARENT_FIELDS_RU)
    return sorted(missing, key=order.index)


def decide(request: EpguRequest, people: Sequence[Person], links: Sequence[ParentLink]) -> Decision:
    """Serve the application, or refuse it with a Russian reason that discloses no child."""
    if request.period_to < request.period_from:
        return Decision(None, None, REFUSE_PERIOD)
    child_key = name_key(
        request.child_last_name, request.child_first_name, request.child_middle_name
    )
    applicant_key = name_key(
        request.applicant_last_name, request.applicant_first_name, request.applicant_middle_name
    )
    by_id = {p.source.external_id: p for p in people}
    children = [
        p
        for p in people
        if Role.STUDENT in p.roles
        and name_key(p.last_name, p.first_name, p.middle_name) == child_key
        and p.birth_date == request.child_birth_date
        and _same(p.snils, request.child_snils)
    ]
    for child in children:
        for link in links:
            if link.child_id != child.source.external_id or not link.legal_representative:
                continue
            parent = by_id.get(link.parent_id)
            if parent is None:
                continue
            if name_key(parent.last_name, parent.first_name, parent.middle_name) != applicant_key:
                continue
            if not _same(parent.birth_date, request.applicant_birth_date):
                continue
            if not _same(parent.snils, request.applicant_snils):
                continue
            missing = missing_parent_fields(parent)
            if missing:
                fields = ", ".join(PARENT_FIELDS_RU[m] for m in missing)
                return Decision(
                    None,
                    parent,
                    "Отказ в предоставлении услуги: в АИС не внесены сведения о родителе "
                    f"(законном представителе), необходимые для услуги (п. 1.6 положения): {fields}. "
                    "Обратитесь к классному руководителю или в администрацию организации",
                )
            return Decision(child, parent, None)
    return Decision(None, None, REFUSE_NOT_REPRESENTATIVE)


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
        and e.starts_on <= end
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
