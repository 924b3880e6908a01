"""A small college term for the reports: two groups, three teachers, lessons, marks, absences.

Built as a scenario (``World.from_dict``) and ingested through the store as a
journal platform, so the reports read exactly what a sync would have left.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import Engine

from canonical.base import Platform
from canonical.normalize import make_snils
from emulators.scenario.world import World
from local_store.ingest import Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run

TZ = dt.timezone(dt.timedelta(hours=7))
CREATED = "2026-08-25T09:00:00+07:00"
AS_OF = dt.datetime(2026, 12, 30, 12, 0, tzinfo=dt.UTC)
TERM = ("2026-09-01", "2026-12-31")
SUBJECTS = {"sub1": "Математика", "sub2": "Информатика", "sub3": "История"}
TEACHERS = {
    "t1": ("Котова", "Ольга", "Ивановна"),
    "t2": ("Ли", "Вадим", "Сергеевич"),
    "t3": ("Орлова", "Нина", "Павловна"),
}
ASSIGN = [
    ("g1", "sub1", "t1"),
    ("g1", "sub2", "t2"),
    ("g1", "sub3", "t3"),
    ("g2", "sub1", "t1"),
    ("g2", "sub3", "t3"),
]
WEEKDAY = {"sub1": (0, 2), "sub2": (1,), "sub3": (3,)}
HOURS = {"sub1": 2.0, "sub2": None, "sub3": 1.0}
LAST = [
    "Алексеев",
    "Борисов",
    "Волков",
    "Громов",
    "Дёмин",
    "Егоров",
    "Жуков",
    "Зайцев",
    "Ильин",
    "Климов",
]
FIRST = ["Артём", "Богдан", "Виктор", "Глеб", "Денис", "Евгений", "Жан", "Захар", "Игорь", "Кирилл"]
FINAL_PLAN = {0: "5", 1: "45", 2: "3", 3: "2", 4: "н/а"}
"""Student index in a group → planted period marks: all 5; 4 and 5; one 3; a 2; «н/а»."""


def _t(day: dt.date, hour: int = 18) -> str:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ).isoformat()


def build() -> dict[str, Any]:
    rng = random.Random(20261)
    persons: list[list[Any]] = []
    for tid, (last, first, middle) in TEACHERS.items():
        persons.append(
            [tid, CREATED, last, first, middle, ["teacher"], None, "female", None, "преподаватель"]
        )
    students: dict[str, list[str]] = {"g1": [], "g2": []}
    enrolments: list[list[Any]] = []
    n = 0
    for gid, size in (("g1", 10), ("g2", 8)):
        for i in range(size):
            n += 1
            sid = f"s{n:02d}"
            students[gid].append(sid)
            sex = "male" if i % 3 else "female"
            persons.append(
                [
                    sid,
                    CREATED,
                    LAST[i],
                    FIRST[(i + n) % 10],
                    "Андреевич",
                    ["student"],
                    f"2009-0{1 + i % 9}-1{i % 9}",
                    sex,
                    make_snils(300_000_000 + n * 101),
                    None,
                ]
            )
            enrolments.append([f"e-{sid}", CREATED, sid, gid, "studying", "2026-09-01", None])
    lessons: list[list[Any]] = []
    marks: list[list[Any]] = []
    absences: list[list[Any]] = []
    homework: list[list[Any]] = []
    day = dt.date(2026, 9, 1)
    ln = 0
    while day <= dt.date(2026, 10, 31):
        for gid, subject, teacher in ASSIGN:
            if day.weekday() not in WEEKDAY[subject]:
                continue
            ln += 1
            lid = f"l{ln:04d}"
            lessons.append(
                [
                    lid,
                    _t(day),
                    gid,
                    subject,
                    teacher,
                    day.isoformat(),
                    1 + ln % 4,
                    f"Тема {ln}: {SUBJECTS[subject]}",
                    HOURS[subject],
                ]
            )
            homework.append([f"h{ln:04d}", _t(day), lid, f"§ {ln % 30 + 1}, упр. {ln % 7 + 1}"])
            for sid in students[gid]:
                roll = rng.random()
                if roll < 0.08:
                    code = rng.choice(["Б", "УП", "НП", "ОТ", "ОП"])
                    absences.append([f"a-{lid}-{sid}", _t(day), sid, lid, day.isoformat(), code])
                elif roll < 0.45:
                    value = rng.choice(["5", "4", "4", "3", "2", "5"])
                    marks.append(
                        [
                            f"m-{lid}-{sid}",
                            _t(day),
                            sid,
                            subject,
                            gid,
                            lid,
                            day.isoformat(),
                            value,
                            teacher,
                            None,
                            None,
                        ]
                    )
        day += dt.timedelta(days=1)
    finals_day = dt.date(2026, 12, 25)
    for gid, members in students.items():
        subjects = [s for g, s, _ in ASSIGN if g == gid]
        teacher_of = {s: t for g, s, t in ASSIGN if g == gid}
        for i, sid in enumerate(members):
            if i == len(members) - 1:
                continue  # the last student of each group is not attested
            for k, subject in enumerate(subjects):
                plan = FINAL_PLAN.get(i)
                if plan == "45":
                    value = "4" if k == 0 else "5"
                elif plan == "3":
                    value = "3" if k == 0 else "4"
                elif plan in ("2", "н/а"):
                    value = plan if k == 0 else "4"
                elif plan == "5":
                    value = "5"
                else:
                    value = rng.choice(["3", "4", "5"])
                marks.append(
                    [
                        f"f-{sid}-{subject}",
                        _t(finals_day),
                        sid,
                        subject,
                        gid,
                        None,
                        finals_day.isoformat(),
                        value,
                        teacher_of[subject],
                        "period",
                        "p1",
                    ]
                )
    return {
        "format": "sverka-scenario",
        "version": 1,
        "profile": "tpt",
        "timezone": "Asia/Tomsk",
        "tables": {
            "institution": {
                "columns": [
                    "id",
                    "created_at",
                    "profile_id",
                    "name",
                    "short_name",
                    "institution_kind",
                    "timezone",
                ],
                "rows": [
                    [
                        "inst",
                        CREATED,
                        "tpt",
                        "ОГБПОУ «Томский политехнический техникум»",
                        "ТПТ",
                        "college",
                        "Asia/Tomsk",
                    ]
                ],
            },
            "school_year": {
                "columns": ["id", "created_at", "name", "starts_on", "ends_on"],
                "rows": [["y1", CREATED, "2026/2027", "2026-09-01", "2027-06-30"]],
            },
            "period": {
                "columns": [
                    "id",
                    "created_at",
                    "year_id",
                    "period_kind",
                    "number",
                    "name",
                    "starts_on",
                    "ends_on",
                ],
                "rows": [
                    ["p1", CREATED, "y1", "semester", 1, "1 семестр", *TERM],
                    ["p2", CREATED, "y1", "semester", 2, "2 семестр", "2027-01-12", "2027-06-30"],
                ],
            },
            "person": {
                "columns": [
                    "id",
                    "created_at",
                    "last_name",
                    "first_name",
                    "middle_name",
                    "roles",
                    "birth_date",
                    "sex",
                    "snils",
                    "position",
                ],
                "rows": persons,
            },
            "group": {
                "columns": [
                    "id",
                    "created_at",
                    "name",
                    "group_kind",
                    "course",
                    "curator_id",
                    "specialty",
                ],
                "rows": [
                    [
                        "g1",
                        CREATED,
                        "ИС-21",
                        "academic_group",
                        2,
                        "t2",
                        "09.02.07 Информационные системы и программирование",
                    ],
                    [
                        "g2",
                        CREATED,
                        "ТМ-11",
                        "academic_group",
                        1,
                        "t3",
                        "15.02.16 Технология машиностроения",
                    ],
                ],
            },
            "subject": {
                "columns": ["id", "created_at", "name", "code"],
                "rows": [[k, CREATED, v, None] for k, v in SUBJECTS.items()],
            },
            "teaching_assignment": {
                "columns": ["id", "created_at", "group_id", "subject_id", "teacher_id"],
                "rows": [[f"ta-{g}-{s}", CREATED, g, s, t] for g, s, t in ASSIGN],
            },
            "enrolment": {
                "columns": [
                    "id",
                    "created_at",
                    "student_id",
                    "group_id",
                    "status",
                    "starts_on",
                    "ends_on",
                ],
                "rows": enrolments,
            },
            "lesson": {
                "columns": [
                    "id",
                    "created_at",
                    "group_id",
                    "subject_id",
                    "teacher_id",
                    "date",
                    "number",
                    "topic",
                    "hours",
                ],
                "rows": lessons,
            },
            "homework": {"columns": ["id", "created_at", "lesson_id", "text"], "rows": homework},
            "mark": {
                "columns": [
                    "id",
                    "created_at",
                    "student_id",
                    "subject_id",
                    "group_id",
                    "lesson_id",
                    "date",
                    "value",
                    "teacher_id",
                    "final_kind",
                    "period_id",
                ],
                "rows": marks,
            },
            "absence": {
                "columns": ["id", "created_at", "student_id", "lesson_id", "date", "code"],
                "rows": absences,
            },
        },
    }


KINDS = (
    "institution",
    "school_year",
    "period",
    "person",
    "group",
    "subject",
    "teaching_assignment",
    "enrolment",
    "lesson",
    "homework",
    "mark",
    "absence",
)


def ingest_term(
    engine: Engine,
    data: dict[str, Any] | None = None,
    platform: Platform = Platform.NETSCHOOL,
    deployment: str = "ns.test",
) -> World:
    world = World.from_dict(data or build())
    state = world.state_as_of(AS_OF, platform.value)
    records = [r for k in KINDS for r in state.to_records(k, platform, deployment)]
    run_id = start_run(engine, platform.value, deployment=deployment, observed_at=AS_OF)
    result = ingest(
        engine, run_id, Snapshot.of(f"{platform.value}:{deployment}:all", records, KINDS)
    )
    finish_run(engine, run_id, RunStatus.SUCCEEDED, counts=result.as_dict())
    return world
