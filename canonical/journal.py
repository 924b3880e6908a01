"""The journal itself: plans (КТП), lessons, homework, marks and absences.

``entered_at`` fields hold a platform's own entry timestamp where it gives one
(NetSchool's ``resultDate``, edit times); when it wins over the store's
observation history is decided by the policies (policy-catalog.md §8).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime

from canonical.base import Record


class WorkKind(Record):
    """A kind of work (вид работы / тип задания): «Контрольная работа», «Ответ на уроке»…"""

    kind: ClassVar[str] = "work_kind"

    name: str
    short_name: str = ""
    weight: float | None = None
    is_control: bool = False
    """Control (test) works have their own deadline (``marks.control_work.deadline``)."""
    is_external: bool = False
    """All-Russian / district written works (ВПР and the like)."""


class Plan(Record):
    """A calendar-thematic plan (КТП) of one subject in one group."""

    kind: ClassVar[str] = "plan"

    group_id: str
    subject_id: str
    teacher_id: str | None = None
    year_id: str | None = None
    total_hours: float
    entered_at: AwareDatetime | None = None


class PlanItem(Record):
    kind: ClassVar[str] = "plan_item"

    plan_id: str
    ordinal: int
    topic: str
    hours: float = 1
    work_kind: str | None = None
    """``lecture``, ``practical``, ``laboratory``, ``control``… as named in the plan."""
    work_number: int | None = None


class Lesson(Record):
    kind: ClassVar[str] = "lesson"

    group_id: str
    subject_id: str
    teacher_id: str | None = None
    subgroup_id: str | None = None
    date: dt.date
    """The calendar date of the lesson in the institution's time zone."""
    number: int | None = None
    """Lesson number in the day's bell schedule."""
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    topic: str | None = None
    hours: float | None = None
    room: str | None = None
    plan_item_id: str | None = None
    lesson_type: str | None = None
    entered_at: AwareDatetime | None = None
    topic_entered_at: AwareDatetime | None = None


class Homework(Record):
    kind: ClassVar[str] = "homework"

    lesson_id: str
    text: str
    due_date: dt.date | None = None
    entered_at: AwareDatetime | None = None


class MarkScale(StrEnum):
    FIVE_POINT = "five_point"
    """«2»…«5» (and «1» where a platform allows it)."""
    PASS_FAIL = "pass_fail"
    """«зачтено» / «не зачтено»."""
    OTHER = "other"


class FinalKind(StrEnum):
    PERIOD = "period"
    """Quarter, semester or half-year mark."""
    YEAR = "year"
    EXAM = "exam"
    ATTESTATION = "attestation"
    """Intermediate (промежуточная) attestation at a college."""


class Mark(Record):
    kind: ClassVar[str] = "mark"

    student_id: str
    subject_id: str
    group_id: str | None = None
    lesson_id: str | None = None
    """``None`` for final marks, which belong to a period rather than a lesson."""
    date: dt.date | None = None
    value: str
    """Exactly as the journal shows it: ``5``, ``4-``, ``зч``, ``н/а``."""
    scale: MarkScale = MarkScale.FIVE_POINT
    numeric: float | None = None
    work_kind_id: str | None = None
    work_kind_name: str | None = None
    weight: float | None = None
    comment: str | None = None
    final_kind: FinalKind | None = None
    period_id: str | None = None
    teacher_id: str | None = None
    task_id: str | None = None
    """The platform's assignment / task the mark is given for."""
    entered_at: AwareDatetime | None = None


class AbsenceCode(StrEnum):
    """Absence codes as the regulations use them."""

    OT = "ОТ"
    """Отсутствовал (reason not yet set)."""
    UP = "УП"
    """По уважительной причине."""
    B = "Б"
    """Болезнь."""
    NP = "НП"
    """Неуважительная причина."""
    OP = "ОП"
    """Опоздание."""
    OSV = "ОСВ"
    """Освобождён."""


class Absence(Record):
    kind: ClassVar[str] = "absence"

    student_id: str
    lesson_id: str | None = None
    date: dt.date
    code: AbsenceCode
    valid: bool | None = None
    """Valid (уважительная) or not; ``None`` while the reason is not set."""
    document_date: dt.date | None = None
    """Date of the supporting document (справка), from which the reason deadline runs."""
    entered_at: AwareDatetime | None = None
