"""Walking a whole college with one employee account: structure first, then each group's journal.

Returns wire models only; ``mapping.poo`` turns them into canonical records.
The caller ingests group by group, so a failure half-way leaves complete
scopes behind and a second run picks up from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pydantic import TypeAdapter

from connectors.poo.client import PooClient
from connectors.poo.errors import REQUIRED_PERMISSIONS, MissingPermission
from connectors.poo.wire import (
    Department,
    Employee,
    GradebookEntry,
    GroupAttestation,
    GroupJournal,
    Structure,
    StudentCard,
    StudentGroup,
    StudentsPage,
    StudentSummary,
    SubjectAnswer,
)

PAGE_SIZE = 200
Progress = Callable[[str], None]
_DEPARTMENTS = TypeAdapter(list[Department])
_GROUPS = TypeAdapter(list[StudentGroup])
_EMPLOYEES = TypeAdapter(list[Employee])
_PAGE = TypeAdapter(StudentsPage)
_CARD = TypeAdapter(StudentCard)
_ENTRIES = TypeAdapter(list[GradebookEntry])
_SUBJECT = TypeAdapter(SubjectAnswer)
_ATTESTATION = TypeAdapter(GroupAttestation)


def _noop(_: str) -> None:
    return None


def check_permissions(client: PooClient) -> None:
    """Fail before the first data request when the account lacks what the pull needs."""
    missing = tuple(code for code in REQUIRED_PERMISSIONS if code not in client.permissions)
    if client.tenant is None or client.tenant.employeeRole is None:
        raise MissingPermission(REQUIRED_PERMISSIONS)
    if missing:
        raise MissingPermission(missing)


async def pull_structure(client: PooClient, progress: Progress = _noop) -> Structure:
    path = "/services/people/departments/all"
    departments = await client.get_as(_DEPARTMENTS, path)
    path = "/services/people/student-groups/all"
    groups = await client.get_as(_GROUPS, path)
    path = "/services/people/employees/all"
    employees = await client.get_as(_EMPLOYEES, path, permission=509)
    progress("structure")
    students: dict[int, StudentSummary] = {}
    for active in ("true", "false"):
        page_index = 0
        while True:
            page = await client.get_as(
                _PAGE,
                "/services/people/students",
                {
                    "isActive": active,
                    "isEsia": "false",
                    "orderBy": "+fullName",
                    "pageIndex": page_index,
                    "pageSize": PAGE_SIZE,
                },
                permission=507,
            )
            for student in page.students:
                students.setdefault(student.id, student)
            if len(page.students) < PAGE_SIZE:
                break
            page_index += 1
    cards: dict[int, StudentCard] = {}
    for student_id in sorted(students):
        path = f"/services/people/students/{student_id}"
        cards[student_id] = await client.get_as(_CARD, path, permission=507)
        progress("card")
    path = "/services/journal/gradebook/student-groups"
    journal_groups = await client.get_as(_GROUPS, path, permission=200)
    entries: dict[int, list[GradebookEntry]] = {}
    for item in journal_groups:
        path = f"/services/journal/gradebook/{item.id}/entries"
        entries[item.id] = await client.get_as(_ENTRIES, path, permission=200)
    progress("entries")
    organization = (
        client.tenant.settings.organization if client.tenant and client.tenant.settings else None
    )
    return Structure(
        organization=organization,
        departments=departments,
        groups=groups,
        employees=employees,
        students=list(students.values()),
        cards=cards,
        entries=entries,
    )


def entry_overlaps(entry: GradebookEntry, start: dt.date, end: dt.date) -> bool:
    first = entry.startDate.date() if entry.startDate else dt.date.min
    last = entry.endDate.date() if entry.endDate else dt.date.max
    return first <= end and last >= start


async def pull_group(
    client: PooClient,
    group: StudentGroup,
    entries: list[GradebookEntry],
    window: tuple[dt.date, dt.date],
    progress: Progress = _noop,
) -> GroupJournal:
    """Every subject page of the group's terms that overlap ``window``, and their attestation."""
    journal = GroupJournal(group)
    for entry in entries:
        if not entry_overlaps(entry, *window):
            continue
        for subject in entry.scheduleSubjects:
            path = f"/services/journal/gradebook/{entry.id}/subjects/{subject.id}"
            answer = await client.get_as(_SUBJECT, path, permission=200)
            journal.subjects.append((entry, subject, answer))
            progress("subject")
        path = f"/services/reports/curator/group-attestation/{group.id}"
        attestation = await client.get_as(
            _ATTESTATION, path, {"gradebookId": entry.id}, permission=700
        )
        journal.attestations.append((entry, attestation))
    return journal
