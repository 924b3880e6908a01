"""Walking a whole school with the school-level account: relations and periods, then class by class.

Returns wire models only; ``mapping.eljur`` turns them into canonical records.
The caller ingests class by class, so a failure half-way leaves complete
scopes behind.  Reading every student's diary rests on our design's
"extended access" account (docs/protocols/eljur-emulated.md): its
``relations.students`` list the whole school and the diary methods take a
comma list of students.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from connectors.eljur.client import EljurClient
from connectors.eljur.errors import Forbidden
from connectors.eljur.wire import (
    ClassJournal,
    ClassSchedule,
    DiaryResult,
    FinalResult,
    Period,
    PeriodsResult,
    Rules,
    SchoolStructure,
)

NEEDED_RULES = ("getdiary", "getfinalassessments", "getperiods")


def days(window: tuple[dt.date, dt.date]) -> str:
    return f"{window[0]:%Y%m%d}-{window[1]:%Y%m%d}"


async def pull_structure(client: EljurClient) -> SchoolStructure:
    rules = await client.call("getrules", Rules)
    students = rules.relations.students
    if not rules.relations.groups:
        raise Forbidden(
            f"учётной записи {client.login_name} в ЭлЖур {client.host} не видно ни одного класса: "
            "нужна учётная запись школы с расширенным доступом"
        )
    lacking = sorted({m for s in students.values() for m in NEEDED_RULES if m not in s.rules})
    if lacking:
        raise Forbidden(
            f"учётной записи {client.login_name} в ЭлЖур {client.host} недоступны методы "
            f"{', '.join(lacking)}: нужна учётная запись школы с расширенным доступом"
        )
    periods: list[Period] = []
    if students:
        answer = await client.call(
            "getperiods", PeriodsResult, student=min(students), show_disabled="yes"
        )
        periods = answer.periods()
    return SchoolStructure(rules, periods)


async def pull_schedule(
    client: EljurClient, class_name: str, window: tuple[dt.date, dt.date]
) -> ClassSchedule:
    """The class's timetable over the window, with topics, homework and bell times."""
    return await client.call(
        "getschedule", ClassSchedule, days=days(window), rings="yes", **{"class": class_name}
    )


async def pull_diaries(
    client: EljurClient,
    structure: SchoolStructure,
    class_name: str,
    window: tuple[dt.date, dt.date],
    schedule: ClassSchedule,
) -> ClassJournal:
    """The diaries and period marks of the class's students, beside its timetable."""
    ids = ",".join(sid for sid, _ in structure.students_of(class_name))
    if ids:
        diary = await client.call(
            "getdiary", DiaryResult, students=ids, days=days(window), rings="yes"
        )
        finals = await client.call("getfinalassessments", FinalResult, students=ids)
    else:
        diary, finals = DiaryResult(), FinalResult()
    return ClassJournal(class_name, window, schedule, diary, finals)


async def pull_class(
    client: EljurClient,
    structure: SchoolStructure,
    class_name: str,
    window: tuple[dt.date, dt.date],
) -> ClassJournal:
    """The class's timetable with topics and homework, its students' diaries and period marks."""
    schedule = await pull_schedule(client, class_name, window)
    return await pull_diaries(client, structure, class_name, window, schedule)


async def pause(client: EljurClient) -> None:
    """The pause between two classes (a public institution tool waits 500 ms, eljur.md §12.1)."""
    if client.settings.class_pause > 0:
        await asyncio.sleep(client.settings.class_pause)
