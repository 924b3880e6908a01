"""The ПОО answers as pydantic models: lenient (``extra="ignore"``), tolerant of the documented variants.

Date-times come as ``YYYY-MM-DDTHH:MM:SS.fffffff`` without an offset (seven
fractional digits, which ``datetime.fromisoformat`` does not take before
3.11.x everywhere), so they are parsed here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_WIRE_DT = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?")


def parse_wire_datetime(value: Any) -> dt.datetime | None:
    """Standalone parser of a wire date-time (for values outside the models)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    match = _WIRE_DT.match(str(value))
    if not match:
        raise ValueError(f"не дата-время: {value!r}")
    day = dt.date.fromisoformat(match.group(1))
    hour, minute, second = (int(match.group(i) or 0) for i in (2, 3, 4))
    micro = int((match.group(5) or "0")[:6].ljust(6, "0"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, micro)


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


WireDateTime = Annotated[dt.datetime | None, BeforeValidator(_blank_is_none)]
"""pydantic parses the seven fractional digits itself (truncating to microseconds)."""


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


# -- security --------------------------------------------------------------------------------


class EmployeeRole(Wire):
    id: int | None = None
    permissions: list[int] = Field(default_factory=list)


class RoleStudent(Wire):
    id: int
    firstName: str = ""
    middleName: str | None = ""
    lastName: str = ""
    groupId: int | None = None
    groupName: str | None = None


class StudentRole(Wire):
    id: int | None = None
    studentGroupId: int | None = None
    students: list[RoleStudent] = Field(default_factory=list)


class ParentRole(Wire):
    students: list[RoleStudent] = Field(default_factory=list)


class Organization(Wire):
    organizationId: str | None = None
    name: str | None = None
    shortName: str | None = None
    abbreviation: str | None = None


class OrgSettings(Wire):
    organization: Organization | None = None


class Tenant(Wire):
    firstName: str | None = None
    middleName: str | None = None
    lastName: str | None = None
    settings: OrgSettings | None = None
    studentRole: StudentRole | None = None
    parentRole: ParentRole | None = None
    employeeRole: EmployeeRole | None = None


class LoginInfo(Wire):
    installName: str | None = None
    tenantName: str | None = None
    tenants: dict[str, Tenant] = Field(default_factory=dict)


# -- people ----------------------------------------------------------------------------------


class Department(Wire):
    id: int
    name: str
    managerId: int | None = None


class StudentGroup(Wire):
    id: int
    name: str
    code: str | None = None
    yearNumber: int | None = None
    educationForm: str | None = None
    departmentId: int | None = None
    curatorId: int | None = None


class Employee(Wire):
    id: int
    firstName: str = ""
    middleName: str | None = ""
    lastName: str = ""
    positionName: str | None = None
    isFired: bool | None = False


class GroupRef(Wire):
    id: int
    name: str | None = None


class StudentSummary(Wire):
    id: int
    firstName: str = ""
    middleName: str | None = ""
    lastName: str = ""
    birthday: WireDateTime = None
    gender: str | None = None
    studentGroup: GroupRef | None = None


class StudentsPage(Wire):
    studentsCount: int = 0
    students: list[StudentSummary] = Field(default_factory=list)


class Passport(Wire):
    documentType: str | None = None
    series: str | None = None
    number: str | None = None
    issuanceDate: WireDateTime = None


class Parent(Wire):
    id: int
    firstName: str = ""
    middleName: str | None = ""
    lastName: str = ""
    relationshipType: str | None = None
    phone: str | None = None


class Decree(Wire):
    id: int
    type: str
    date: WireDateTime = None
    effectiveDate: WireDateTime = None
    studentGroup: GroupRef | None = None
    number: str | None = None
    reason: str | None = None


class StudentCard(StudentSummary):
    email: str | None = None
    phone: str | None = None
    snils: str | None = None
    passport: Passport | None = None
    parents: list[Parent] = Field(default_factory=list)
    decrees: list[Decree] = Field(default_factory=list)


# -- the gradebook ---------------------------------------------------------------------------


class ScheduleSubject(Wire):
    id: int
    name: str
    plannedHours: float | None = None


class GradebookEntry(Wire):
    id: int
    name: str | None = None
    yearNumber: int | None = None
    termNumber: int
    termType: str = "Semester"
    isActive: bool | None = None
    startDate: WireDateTime = None
    endDate: WireDateTime = None
    scheduleSubjects: list[ScheduleSubject] = Field(default_factory=list)


class WpLesson(Wire):
    id: int
    type: str | None = None
    duration: float | None = None
    name: str | None = None


class WpTopic(Wire):
    sectionIndex: int | None = None
    index: int | None = None
    name: str | None = None
    lessons: list[WpLesson] = Field(default_factory=list)


class WorkingProgram(Wire):
    isApproved: bool | None = None
    topics: list[WpTopic] = Field(default_factory=list)


class Task(Wire):
    id: int
    type: str | None = None
    topic: str | None = None
    condition: str | None = None
    isRequired: bool | None = None
    mark: str | None = None


class MarkValue(Wire):
    value: str | None = None
    isRequired: bool | None = None


def _mark_value(value: Any) -> Any:
    """``marks`` values come as a bare word or as ``{value, isRequired}`` (doc §6)."""
    if isinstance(value, str):
        return {"value": value}
    return value


class MarkSet(Wire):
    absenceType: str | None = None
    marks: dict[str, Annotated[MarkValue, BeforeValidator(_mark_value)]] = Field(
        default_factory=dict
    )


class Classroom(Wire):
    """``{id, name, building}`` (2023–24) or ``{id, name, buildingId, buildingName}`` (2025)."""

    id: int | None = None
    name: str | None = None
    building: str | None = None
    buildingId: int | None = None
    buildingName: str | None = None

    @property
    def building_label(self) -> str | None:
        return self.buildingName if self.buildingName is not None else self.building


class GbLesson(Wire):
    id: int
    date: WireDateTime = None
    type: str | None = None
    duration: float | None = None
    startTime: str | None = None
    endTime: str | None = None
    themes: list[str] | None = None
    teacherId: int | None = None
    classroom: Classroom | None = None
    tasks: list[Task] = Field(default_factory=list)
    markSets: dict[str, MarkSet] = Field(default_factory=dict)
    plannedLessons: dict[str, float] | None = None


class GbStudent(Wire):
    id: int
    number: int | None = None
    startDate: WireDateTime = None
    endDate: WireDateTime = None
    firstName: str = ""
    middleName: str | None = ""
    lastName: str = ""


class SubjectAnswer(Wire):
    workingProgram: WorkingProgram | None = None
    lessons: list[GbLesson] = Field(default_factory=list)
    students: list[GbStudent] = Field(default_factory=list)
    teacher: str | None = None


class AttestationMark(Wire):
    value: str | None = None


class AttestationSubject(Wire):
    id: int
    name: str | None = None
    examinationType: str | None = None
    marks: dict[str, AttestationMark] = Field(default_factory=dict)


class GroupAttestation(Wire):
    termType: str | None = None
    termNumber: int | None = None
    subjects: list[AttestationSubject] = Field(default_factory=list)


# -- student views (used by checks and by clients that log in as a student) -----------------


class StudentTask(Task):
    pass


class StudentGradebook(Wire):
    id: int | None = None
    lessonType: str | None = None
    themes: list[str] = Field(default_factory=list)
    tasks: list[StudentTask] = Field(default_factory=list)
    absenceType: str | None = None


class Timetable(Wire):
    classroom: Classroom | None = None
    teacher: Employee | None = None


class StudentLesson(Wire):
    startTime: str
    endTime: str
    name: str | None = None
    lessonId: str | None = None
    timetable: Timetable | None = None
    gradebook: StudentGradebook | None = None


class StudentDay(Wire):
    date: WireDateTime = None
    isHoliday: bool | None = None
    isShort: bool | None = None
    lessons: list[StudentLesson] | None = None


# -- what a pull returns (grouped wire data) ---------------------------------------------------


@dataclass
class Structure:
    organization: Organization | None
    departments: list[Department]
    groups: list[StudentGroup]
    employees: list[Employee]
    students: list[StudentSummary]
    cards: dict[int, StudentCard]
    entries: dict[int, list[GradebookEntry]]
    """Gradebook terms of each group that has a journal."""


@dataclass
class GroupJournal:
    group: StudentGroup
    subjects: list[tuple[GradebookEntry, ScheduleSubject, SubjectAnswer]] = field(
        default_factory=list
    )
    attestations: list[tuple[GradebookEntry, GroupAttestation]] = field(default_factory=list)
