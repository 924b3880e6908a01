"""ЭлЖур's answers as pydantic models (docs/protocols/eljur.md §4, §5, §12.3).

Numeric values often arrive as strings and ids as either; PHP-style empty
objects arrive as ``[]``.  The models accept both and keep ids as strings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value


def _mapping(value: Any) -> Any:
    """``[]`` (an empty PHP array) or a list of items → a dict."""
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)}
    return {} if value is None else value


def _number(value: Any) -> Any:
    if value in (None, ""):
        return None
    return value


Text = Annotated[str, BeforeValidator(_text)]
Number = Annotated[float | None, BeforeValidator(_number)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Envelope(_Model):
    state: int
    error: str | None = None
    result: Any = None


class EnvelopeAnswer(_Model):
    response: Envelope


class AuthResult(_Model):
    token: str
    expires: Text = ""


class RelationStudent(_Model):
    name: Text
    title: Text = ""
    firstname: Text = ""
    lastname: Text = ""
    middlename: Text = ""
    """Only the school-level account of our design sends it (eljur-emulated.md)."""
    gender: Text = ""
    class_name: Text = Field("", alias="class")
    parallel: Text = ""
    rules: list[str] = []


class RelationGroup(_Model):
    name: Text = ""
    parallel: Text = ""
    rules: list[str] = []
    hometeacher_id: Text = ""
    hometeacher_firstname: Text = ""
    hometeacher_middlename: Text = ""
    hometeacher_lastname: Text = ""


class RelationSchool(_Model):
    title: Text = ""
    title_full: Text = ""
    number: Text = ""


class Relations(_Model):
    groups: Annotated[dict[str, RelationGroup], BeforeValidator(_mapping)] = {}
    students: Annotated[dict[str, RelationStudent], BeforeValidator(_mapping)] = {}
    schools: list[RelationSchool] = []


class Rules(_Model):
    name: Text
    title: Text = ""
    roles: list[str] = []
    vendor: Text = ""
    region: Text = ""
    city: Text = ""
    relations: Relations = Relations()


class Period(_Model):
    name: Text
    fullname: Text = ""
    start: Text
    end: Text
    disabled: bool | None = None


class PeriodsStudent(_Model):
    name: Text = ""
    title: Text = ""
    periods: list[Period] = []


class PeriodsResult(_Model):
    students: list[PeriodsStudent] | dict[str, PeriodsStudent] = []

    def periods(self) -> list[Period]:
        items = self.students if isinstance(self.students, list) else list(self.students.values())
        return items[0].periods if items else []


class Mark(_Model):
    value: Text
    countas: Text = ""
    convert: Number = None
    weight: Number = None
    comment: Text = ""
    date: Text = ""
    lesson_id: Text = ""
    nm: Text = ""
    control_type: Text = ""
    control_type_short: Text = ""


class HomeworkEntry(_Model):
    id: Text
    value: Text = ""
    individual: bool | None = None


class Lesson(_Model):
    num: Text = ""
    sort: int | None = None
    name: Text
    lesson_id: Text = ""
    room: Text = ""
    teacher: Text = ""
    topic: Text = ""
    grp: Text = ""
    is_control: bool | None = None
    homework: Annotated[dict[str, HomeworkEntry], BeforeValidator(_mapping)] = {}
    assessments: list[Mark] = []
    starttime: Text = ""
    endtime: Text = ""


class Day(_Model):
    name: Text
    title: Text = ""
    items: Annotated[dict[str, Lesson], BeforeValidator(_mapping)] = {}


class DiaryStudent(_Model):
    name: Text = ""
    title: Text = ""
    days: Annotated[dict[str, Day], BeforeValidator(_mapping)] = {}


class DiaryResult(_Model):
    students: Annotated[dict[str, DiaryStudent], BeforeValidator(_mapping)] = {}


class ClassSchedule(_Model):
    """``getschedule?class=``: ``days`` without ``students`` (EJ‑REP, EJ‑LYC)."""

    days: Annotated[dict[str, Day], BeforeValidator(_mapping)] = {}


class FinalAssessment(_Model):
    value: Text
    period: Text = ""
    comment: Text = ""


class FinalItem(_Model):
    name: Text
    assessments: list[FinalAssessment] = []


class FinalStudent(_Model):
    name: Text = ""
    title: Text = ""
    items: list[FinalItem] = []


class FinalResult(_Model):
    students: Annotated[dict[str, FinalStudent], BeforeValidator(_mapping)] = {}


# -- what a pull returns (grouped wire data) ---------------------------------------------------


@dataclass
class SchoolStructure:
    rules: Rules
    periods: list[Period]

    def students_of(self, class_name: str) -> list[tuple[str, RelationStudent]]:
        return sorted(
            (sid, s)
            for sid, s in self.rules.relations.students.items()
            if s.class_name == class_name
        )

    def classes(self) -> list[str]:
        return sorted(self.rules.relations.groups)


@dataclass
class ClassJournal:
    class_name: str
    window: tuple[dt.date, dt.date]
    schedule: ClassSchedule
    diary: DiaryResult
    finals: FinalResult
