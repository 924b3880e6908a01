"""People: students, parents and staff, and the links between parents and children.

Personal data (ФИО, birth date, СНИЛС, identity document) lives only in these
records; logs never carry it (see ``cli.logging`` masking).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar

from canonical.base import Record


class Role(StrEnum):
    STUDENT = "student"
    PARENT = "parent"
    TEACHER = "teacher"
    CLASS_TEACHER = "class_teacher"
    DEPUTY = "deputy"
    ADMINISTRATOR = "administrator"
    SECRETARY = "secretary"
    HEAD_OF_DEPARTMENT = "head_of_department"
    DIRECTOR = "director"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Person(Record):
    kind: ClassVar[str] = "person"

    last_name: str
    first_name: str
    middle_name: str = ""
    roles: tuple[Role, ...]
    birth_date: dt.date | None = None
    sex: Sex | None = None
    snils: str | None = None
    """Normalised ``XXX-XXX-XXX YY`` (see ``canonical.normalize.format_snils``)."""
    document_type: str | None = None
    """ФНС identity document code: ``21`` passport of the RF, ``03`` birth certificate…"""
    document_series: str | None = None
    document_number: str | None = None
    document_issued_on: dt.date | None = None
    email: str | None = None
    phone: str | None = None
    login: str | None = None
    position: str | None = None
    """Staff only: the post (преподаватель, заместитель директора…)."""
    employed_from: dt.date | None = None
    """Staff only: first working day, from the institution's own records (``staff.card.deadline``)."""

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


class ParentLink(Record):
    kind: ClassVar[str] = "parent_link"

    parent_id: str
    child_id: str
    relation: str = "parent"
    """``mother``, ``father``, ``guardian`` or ``parent`` when the platform does not say."""
    legal_representative: bool = True
