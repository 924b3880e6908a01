"""NetSchool's JSON as pydantic models: the fields the connector reads, nothing renamed.

Field names are the platform's (camelCase, ``classmeetingId`` and
``classMeetingId`` both as the server spells them); unknown fields are
ignored, as every public client does.  Dates arrive as local midnight
``YYYY-MM-DDT00:00:00``; moments as local wall time without an offset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _date(value: Any) -> Any:
    if isinstance(value, str) and "T" in value:
        return value.split("T", 1)[0]
    return value


def _naive(value: Any) -> Any:
    if isinstance(value, str) and value.endswith("Z"):
        return value[:-1]
    return value


NsDate = Annotated[dt.date, BeforeValidator(_date)]
NsMoment = Annotated[dt.datetime, BeforeValidator(_naive)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class LoginData(Wire):
    version: str = ""
    productName: str = ""


class LoginResult(Wire):
    at: str
    timeOut: int | None = None


class SchoolEntry(Wire):
    id: int
    name: str = ""
    shortName: str = ""


class Named(Wire):
    id: int
    name: str = ""


class Context(Wire):
    userId: int
    schoolId: int
    schoolYearId: int | None = None
    organization: Named | None = None
    organizationName: str | None = None
    roles: list[str] = []
    version: str | None = None


class SchoolYear(Wire):
    id: int
    name: str
    startDate: NsDate
    endDate: NsDate


class Term(Wire):
    id: int
    termName: str
    termTypeId: int | None = None
    startDate: NsDate
    endDate: NsDate
    schoolYearId: int | None = None


class Vacation(Wire):
    id: int
    name: str
    startTime: NsDate
    endTime: NsDate


class Grade(Wire):
    id: int | None = None
    name: str = ""


class ClassInfo(Wire):
    id: int
    name: str
    grade: Grade | None = None
    letter: str | None = None
    chiefs: list[Named] = []


class SubjectInfo(Wire):
    id: int
    name: str
    shortName: str | None = None


class AssignmentType(Wire):
    id: int
    name: str
    abbr: str | None = None
    order: int | None = None


class StaffMember(Wire):
    id: int
    lastName: str = ""
    firstName: str = ""
    middleName: str | None = None
    fullName: str | None = None
    roles: list[str] = []
    position: str | None = None


class StudentParent(Wire):
    """One parent on a student's card (``GET userinfo/{studentId}/parents``: the vendor's
    path; the fields are those our emulator serves, docs/protocols/netschool-emulated.md)."""

    id: int
    lastName: str = ""
    firstName: str = ""
    middleName: str | None = None
    relationshipType: str | None = None


class FilterItem(Wire):
    title: str
    value: str
    classId: int | None = None
    subjectId: int | None = None
    subgroupName: str | None = None
    teacherIds: list[int] = []


class FilterSource(Wire):
    filterId: str
    items: list[FilterItem] = []


class JournalFilters(Wire):
    filterSources: list[FilterSource]

    def items(self, filter_id: str) -> list[FilterItem]:
        for source in self.filterSources:
            if source.filterId == filter_id:
                return source.items
        return []


class StudentListItem(Wire):
    id: int
    fullName: str
    free: bool = False
    individualEduc: bool = False


class ClassMeetingBrief(Wire):
    id: int
    date: NsDate
    scheduleTimeNumber: int | None = None
    startTime: dt.time | None = None
    endTime: dt.time | None = None
    roomName: str | None = None
    hours: float | None = None
    teachers: list[Named] = []


class Total(Wire):
    studentId: int
    termId: int
    mark: str | int | None = None
    resultDate: NsMoment | None = None


class Journal(Wire):
    sgId: int | None = None
    classMeeting: list[ClassMeetingBrief] = []
    totals: list[Total] = []


class JournalShort(Wire):
    journals: list[Journal]


class Attendance(Wire):
    studentId: int
    reason: str


class Result(Wire):
    studentId: int
    mark: str | int | None = None
    duty: bool = False
    comment: str | None = None
    resultDate: NsMoment | None = None


class JournalAssignment(Wire):
    id: int
    typeId: int
    assignmentName: str = ""
    weight: float | None = None
    dueDate: NsDate | None = None
    results: list[Result] = []


class JournalEdit(Wire):
    lessonId: int
    lessonName: str | None = None
    attendance: list[Attendance] = []
    assignments: list[JournalAssignment] = []


class JournalMeeting(ClassMeetingBrief):
    """A class meeting inside a whole journal (``grade/journal``): the brief fields plus
    what ``grade/journal/edit`` would give for it."""

    lessonName: str | None = None
    attendance: list[Attendance] = []
    assignments: list[JournalAssignment] = []

    def brief(self) -> ClassMeetingBrief:
        return ClassMeetingBrief.model_validate(
            self.model_dump(include=set(ClassMeetingBrief.model_fields))
        )

    def page(self) -> JournalEdit:
        return JournalEdit(
            lessonId=self.id,
            lessonName=self.lessonName,
            attendance=self.attendance,
            assignments=self.assignments,
        )


class TermJournal(Wire):
    subjectGroupId: int | None = None
    students: list[StudentListItem] = []
    classMeeting: list[JournalMeeting] = []
    totals: list[Total] = []


class JournalFull(Wire):
    """``grade/journal``: one subject group's journal for one term."""

    journals: list[TermJournal]


# -- what a pull returns (grouped wire data) ---------------------------------------------------


@dataclass(frozen=True)
class JournalEntry:
    """One class meeting with its journal page (topic, attendance, assignments, results)."""

    sg: FilterItem
    meeting: ClassMeetingBrief
    page: JournalEdit


@dataclass
class InstitutionPull:
    version: str
    server_time: dt.datetime | None
    context: Context
    year: SchoolYear
    terms: list[Term]
    vacations: list[Vacation]
    classes: list[ClassInfo]
    subjects: list[SubjectInfo]
    types: list[AssignmentType]
    staff: list[StaffMember]
    subject_groups: list[FilterItem]
    class_students: dict[int, list[StudentListItem]]
    group_students: dict[int, list[StudentListItem]]
    weeks: list[dt.date]
    """Mondays pulled: every class's journal is complete for each of them."""
    journal: dict[int, dict[dt.date, list[JournalEntry]]] = field(default_factory=dict)
    totals: dict[int, list[tuple[FilterItem, Total]]] = field(default_factory=dict)
    """Class → period marks of its subject groups (complete for the classes pulled)."""
    requests: int = 0
    student_parents: dict[int, list[StudentParent]] = field(default_factory=dict)
    """Student → the parents on the student's card (a whole-school pull only); cards the
    pull did not read again (``known_parents`` of :func:`pull_institution`) come as given."""
    parents_read: int = 0
    """How many parents cards this pull read from the server."""
    warnings: list[str] = field(default_factory=list)
    """What the pull could not read and went on without (Russian, no personal data)."""
    only_classes: frozenset[int] | None = None
    """The classes a narrowed pull read (their journals only, no structure or period
    marks); ``None``: the whole school."""
