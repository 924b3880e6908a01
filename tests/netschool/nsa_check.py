"""The independent check: the open-source client ``netschoolapi`` 11.0.5 against our emulator.

Run with the dedicated venv (``.venv-nsa/bin/python``), never imported by the
main suite: the client pins an old httpx.  Arguments: base URL, login,
password, school id, first Monday, number of weeks.  Prints one JSON line of
what it read; any failure exits non-zero with the client's exception.

Besides the counts, ``read`` holds, for every student the account may see
(a parent's children in ``student/diary/init`` order), each assignment the
diary shows: lesson day, subject, type name, text, mark, due date.  The
client reads one student per session (``currentStudentId``); for a parent's
other children it is pointed at them the way its users do, through its
``_student_id``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys

from netschoolapi import NetSchoolAPI  # type: ignore[import-not-found,unused-ignore]


async def _read_student(ns: NetSchoolAPI, monday: dt.date, weeks: int) -> dict[str, object]:
    lessons: list[list[object]] = []
    assignments: list[list[object]] = []
    days: list[str] = []
    for week in range(weeks):
        start = monday + dt.timedelta(weeks=week)
        diary = await ns.diary(start, start + dt.timedelta(days=5))
        for day in diary.schedule:
            days.append(day.day.isoformat())
            for lesson in day.lessons:
                lessons.append([lesson.day.isoformat(), lesson.number, lesson.subject])
                for a in lesson.assignments:
                    assignments.append(
                        [
                            lesson.day.isoformat(),
                            lesson.subject,
                            a.type,
                            a.content,
                            a.mark,
                            a.deadline.isoformat(),
                        ]
                    )
    overdue = await ns.overdue(monday, monday + dt.timedelta(weeks=weeks))
    return {
        "days": days,
        "lessons": lessons,
        "assignments": assignments,
        "overdue": [[a.content, a.deadline.isoformat()] for a in overdue],
    }


async def check(
    base: str, login: str, password: str, school: int, monday: dt.date, weeks: int
) -> dict[str, object]:
    ns = NetSchoolAPI(base, default_requests_timeout=10)
    await ns.login(login, password, school)
    current = ns._student_id
    init = (await ns._wrapped_client.client.get("student/diary/init")).json()
    read: dict[str, object] = {}
    for student in init["students"]:
        ns._student_id = student["studentId"]
        read[str(student["studentId"])] = await _read_student(ns, monday, weeks)
    ns._student_id = current
    first = read[str(current)]
    assert isinstance(first, dict)
    announcements = await ns.announcements()
    await ns.full_logout()
    marks = [a for a in first["assignments"] if a[4] is not None]
    return {
        "student_id": current,
        "year_id": ns._year_id,
        "types": len(ns._assignment_types),
        "days": len(first["days"]),
        "lessons": len(first["lessons"]),
        "assignments": len(first["assignments"]),
        "marks": len(marks),
        "overdue": len(first["overdue"]),
        "announcements": [a.name for a in announcements],
        "read": read,
    }


def main() -> None:
    base, login, password, school, monday, weeks = sys.argv[1:7]
    result = asyncio.run(
        check(base, login, password, int(school), dt.date.fromisoformat(monday), int(weeks))
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
