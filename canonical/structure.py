"""How teaching is organised: groups and classes, subgroups, subjects and who teaches what."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from canonical.base import Record


class GroupKind(StrEnum):
    CLASS = "class"
    """A school class: ``grade`` is 1–11."""
    ACADEMIC_GROUP = "academic_group"
    """A college group such as «ИС-21»: ``course`` is 1–4."""


class Group(Record):
    kind: ClassVar[str] = "group"

    name: str
    group_kind: GroupKind
    year_id: str | None = None
    grade: int | None = None
    course: int | None = None
    curator_id: str | None = None
    """Class teacher (классный руководитель) or curator (куратор)."""
    department: str | None = None
    specialty: str | None = None
    """College only: specialty code and name, e.g. ``09.02.07 Информационные системы``."""


class Subgroup(Record):
    kind: ClassVar[str] = "subgroup"

    group_id: str
    name: str
    subject_id: str | None = None


class SubgroupMember(Record):
    kind: ClassVar[str] = "subgroup_member"

    subgroup_id: str
    student_id: str


class Subject(Record):
    kind: ClassVar[str] = "subject"

    name: str
    short_name: str = ""
    code: str | None = None
    """Curriculum index for colleges (``ОП.01``, ``МДК.02.01``); ``None`` at school."""
    foreign_language: bool = False


class TeachingAssignment(Record):
    """Group × subject × teacher: who answers for a journal page."""

    kind: ClassVar[str] = "teaching_assignment"

    group_id: str
    subject_id: str
    teacher_id: str
    subgroup_id: str | None = None
    curriculum_hours: float | None = None
    """Hours the curriculum gives the subject in this group (``plan.hours.match_curriculum``)."""
