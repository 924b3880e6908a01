"""The independent check: the open-source client ``netschoolapi`` 11.0.5 against our emulator.

Run with the dedicated venv (``.venv-nsa/bin/python``), never imported by the
main suite: the client pins an old httpx.  Arguments: base URL, login,
password, school id, first Monday, number of weeks.  Prints one JSON line of
what it read; any failure exits non-zero with the client's exception.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys

from netschoolapi import NetSchoolAPI  # type: ignore[import-not-found,unused-ignore]


async def check(
    base: str, login: str, password: str, school: int, monday: dt.date, weeks: int
) -> dict[str, object]:
    ns = NetSchoolAPI(base, default_requests_timeout=10)
    await ns.login(login, password, school)
    lessons = assignments = marks = 0
    days: list[str] = []
    for week in range(weeks):
        start = monday + dt.timedelta(weeks=week)
        diary = await ns.diary(start, start + dt.timedelta(days=5))
        for day in diary.schedule:
            days.append(day.day.isoformat())
            for lesson in day.lessons:
                lessons += 1
                for assignment in lesson.assignments:
                    assignments += 1
                    marks += assignment.mark is not None
    overdue = await ns.overdue(monday, monday + dt.timedelta(weeks=weeks))
    announcements = await ns.announcements()
    await ns.full_logout()
    return {
        "student_id": ns._student_id,
        "year_id": ns._year_id,
        "types": len(ns._assignment_types),
        "days": len(days),
        "lessons": lessons,
        "assignments": assignments,
        "marks": marks,
        "overdue": len(overdue),
        "announcements": [a.name for a in announcements],
    }


def main() -> None:
    base, login, password, school, monday, weeks = sys.argv[1:7]
    result = asyncio.run(
        check(base, login, password, int(school), dt.date.fromisoformat(monday), int(weeks))
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
