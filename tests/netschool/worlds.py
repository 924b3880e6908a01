"""Small NetSchool worlds for the tests, built with ``World.from_dict``.

A school in Тальменка (Asia/Barnaul, UTC+7): two classes, three subjects,
English split into two subgroups, a term of weekday lessons with topics,
homework, marks and absences, and edits between the test's two moments
(topics rewritten, marks changed and deleted, late marks, absence reasons set).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from emulators.scenario.world import World

TZ = ZoneInfo("Asia/Barnaul")
D = dt.datetime(2026, 10, 14, 18, 0, tzinfo=TZ)
"""The first pull's moment."""
D3 = D + dt.timedelta(days=3)
DEPUTY_LOGIN = "zavuch"
DEPUTY_PASSWORD = "Завуч-Пароль 2026"
STUDENT_LOGIN = "ivanovp"
STUDENT_PASSWORD = "secret"
DEPLOYMENT = "netschool.edu22.info"

START = dt.date(2026, 9, 1)
END = dt.date(2026, 10, 23)
SLOTS = [(1, "08:30", "09:10"), (2, "09:20", "10:00"), (3, "10:15", "10:55")]


def _at(day: dt.date, hhmm: str) -> str:
    h, m = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), TZ).isoformat()


class _Tables:
    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {}

    def add(self, kind: str, created_at: str, **row: Any) -> None:
        table = self.tables.setdefault(kind, {"columns": ["created_at", *row], "rows": []})
        if table["columns"][1:] != list(row):
            raise AssertionError(f"{kind}: columns differ")
        table["rows"].append([created_at, *row.values()])


def build_world(seed: int = 7) -> World:
    return World.from_dict(world_dict(seed))


def world_dict(seed: int = 7) -> dict[str, Any]:
    rnd = random.Random(seed)
    t = _Tables()
    setup = _at(dt.date(2026, 8, 25), "10:00")
    t.add(
        "institution",
        setup,
        id="talmenka",
        profile_id="talmenka",
        name="КГБОУ «Тальменская общеобразовательная школа-интернат»",
        short_name="Тальменская школа-интернат",
        institution_kind="school",
        timezone="Asia/Barnaul",
        week_days=5,
        region="Алтайский край",
    )
    t.add(
        "school_year",
        setup,
        id="y2026",
        name="2026/2027",
        starts_on="2026-09-01",
        ends_on="2027-08-31",
    )
    quarters = [
        ("q1", "1 четверть", "2026-09-01", "2026-10-25"),
        ("q2", "2 четверть", "2026-11-05", "2026-12-28"),
        ("q3", "3 четверть", "2027-01-12", "2027-03-20"),
        ("q4", "4 четверть", "2027-03-30", "2027-05-26"),
    ]
    for n, (pid, name, s, e) in enumerate(quarters, start=1):
        t.add(
            "period",
            setup,
            id=pid,
            year_id="y2026",
            period_kind="quarter",
            number=n,
            name=name,
            starts_on=s,
            ends_on=e,
        )
    t.add(
        "holiday",
        setup,
        id="h-autumn",
        year_id="y2026",
        name="Осенние каникулы",
        starts_on="2026-10-26",
        ends_on="2026-11-04",
    )

    def person(pid: str, last: str, first: str, middle: str, roles: list[str]) -> None:
        t.add(
            "person",
            setup,
            id=pid,
            last_name=last,
            first_name=first,
            middle_name=middle,
            roles=roles,
        )

    person("dep", "Кузнецова", "Ольга", "Петровна", ["deputy", "teacher"])
    person("t-math", "Смирнова", "Анна", "Ивановна", ["teacher", "class_teacher"])
    person("t-rus", "Ёлкина", "Мария", "Сергеевна", ["teacher", "class_teacher"])
    person("t-eng1", "Петров", "Игорь", "Андреевич", ["teacher"])
    person("t-eng2", "Фёдорова", "Наталья", "", ["teacher"])
    students = {
        "g5a": [
            ("s1", "Иванов", "Пётр", "Сергеевич"),
            ("s2", "Белова", "Дарья", "Олеговна"),
            ("s3", "Ким", "Артём", ""),
            ("s4", "Орлова", "Алёна", "Викторовна"),
        ],
        "g6b": [
            ("s5", "Сидоров", "Глеб", "Иванович"),
            ("s6", "Юсупова", "Эльвира", "Рашидовна"),
            ("s7", "Зайцев", "Лев", "Петрович"),
        ],
    }
    for members in students.values():
        for sid, last, first, middle in members:
            person(sid, last, first, middle, ["student"])
    t.add(
        "group",
        setup,
        id="g5a",
        name="5а",
        group_kind="class",
        year_id="y2026",
        grade=5,
        curator_id="t-math",
    )
    t.add(
        "group",
        setup,
        id="g6b",
        name="6б",
        group_kind="class",
        year_id="y2026",
        grade=6,
        curator_id="t-rus",
    )
    for gid, members in students.items():
        for sid, *_ in members:
            t.add(
                "enrolment",
                setup,
                id=f"en-{sid}",
                student_id=sid,
                group_id=gid,
                status="studying",
                starts_on="2026-09-01",
                ends_on=None,
            )
    subjects = {
        "math": ("Математика", "Мат"),
        "rus": ("Русский язык", "Рус"),
        "eng": ("Английский язык", "Англ"),
    }
    for sid, (name, short) in subjects.items():
        t.add("subject", setup, id=sid, name=name, short_name=short)
    t.add("subgroup", setup, id="sg-5a-eng1", group_id="g5a", name="1 группа", subject_id="eng")
    t.add("subgroup", setup, id="sg-5a-eng2", group_id="g5a", name="2 группа", subject_id="eng")
    for sub, kids in (("sg-5a-eng1", ["s1", "s2"]), ("sg-5a-eng2", ["s3", "s4"])):
        for kid in kids:
            t.add("subgroup_member", setup, id=f"{sub}-{kid}", subgroup_id=sub, student_id=kid)
    tas = [
        ("ta1", "g5a", "math", "t-math", None),
        ("ta2", "g5a", "rus", "t-rus", None),
        ("ta3", "g5a", "eng", "t-eng1", "sg-5a-eng1"),
        ("ta4", "g5a", "eng", "t-eng2", "sg-5a-eng2"),
        ("ta5", "g6b", "math", "t-math", None),
        ("ta6", "g6b", "rus", "dep", None),
        ("ta7", "g6b", "eng", "t-eng1", None),
    ]
    for tid, gid, sub, teacher, subgroup in tas:
        t.add(
            "teaching_assignment",
            setup,
            id=tid,
            group_id=gid,
            subject_id=sub,
            teacher_id=teacher,
            subgroup_id=subgroup,
        )
    work_kinds = [
        ("wk-hw", "Домашнее задание", "ДЗ", 1.0),
        ("wk-ans", "Ответ на уроке", "О", 1.0),
        ("wk-kr", "Контрольная работа", "К", 3.0),
    ]
    for wid, name, short, weight in work_kinds:
        t.add(
            "work_kind",
            setup,
            id=wid,
            name=name,
            short_name=short,
            weight=weight,
            is_control=wid == "wk-kr",
        )

    edits: list[list[Any]] = []
    lesson_no = 0
    day = START
    while day <= END:
        if day.weekday() < 5:
            for gid in ("g5a", "g6b"):
                order = (
                    ["math", "rus", "eng"]
                    if (day.toordinal() + len(gid)) % 2
                    else ["rus", "eng", "math"]
                )
                for (number, start, end), sub in zip(SLOTS, order, strict=True):
                    groups: list[tuple[str | None, str, list[str]]]
                    if gid == "g5a" and sub == "eng":
                        groups = [
                            ("sg-5a-eng1", "t-eng1", ["s1", "s2"]),
                            ("sg-5a-eng2", "t-eng2", ["s3", "s4"]),
                        ]
                    else:
                        teacher = next(ta[3] for ta in tas if ta[1] == gid and ta[2] == sub)
                        groups = [(None, teacher, [s[0] for s in students[gid]])]
                    for subgroup, teacher, kids in groups:
                        lesson_no += 1
                        lid = f"l{lesson_no}"
                        topic_at = _at(day, "15:00")
                        t.add(
                            "lesson",
                            setup,
                            id=lid,
                            group_id=gid,
                            subject_id=sub,
                            teacher_id=teacher,
                            subgroup_id=subgroup,
                            date=day.isoformat(),
                            number=number,
                            starts_at=start,
                            ends_at=end,
                            topic=None,
                            hours=1.0,
                            room=f"{100 + number}",
                        )
                        edits.append(
                            [
                                "lesson",
                                lid,
                                topic_at,
                                "topic",
                                f"{subjects[sub][0]}: тема урока {lesson_no}",
                            ]
                        )
                        if rnd.random() < 0.7:
                            t.add(
                                "homework",
                                _at(day, "16:00"),
                                id=f"hw{lesson_no}",
                                lesson_id=lid,
                                text=f"§ {lesson_no % 40 + 1}, упр. {rnd.randint(1, 300)}",
                                due_date=(day + dt.timedelta(days=2)).isoformat(),
                            )
                        for kid in rnd.sample(kids, k=min(2, len(kids))):
                            late = rnd.random() < 0.15
                            when = _at(day + dt.timedelta(days=3 if late else 0), "14:00")
                            wk = "wk-kr" if lesson_no % 9 == 0 else "wk-ans"
                            t.add(
                                "mark",
                                when,
                                id=f"m{lesson_no}-{kid}",
                                student_id=kid,
                                subject_id=sub,
                                group_id=gid,
                                lesson_id=lid,
                                date=day.isoformat(),
                                value=str(rnd.choice([2, 3, 4, 4, 5, 5])),
                                work_kind_id=wk,
                                weight=None,
                                comment="Молодец" if rnd.random() < 0.1 else None,
                                teacher_id=teacher,
                                entered_at=when,
                            )
                        if rnd.random() < 0.3:
                            kid = rnd.choice(kids)
                            code = rnd.choice(["ОТ", "Б", "УП", "НП"])
                            valid = {"ОТ": None, "Б": True, "УП": True, "НП": False}[code]
                            t.add(
                                "absence",
                                _at(day, "12:00"),
                                id=f"a{lesson_no}",
                                student_id=kid,
                                lesson_id=lid,
                                date=day.isoformat(),
                                code=code,
                                valid=valid,
                                entered_at=_at(day, "12:00"),
                            )
        day += dt.timedelta(days=1)

    # Changes between D and D+3, all inside weeks an incremental pull covers.
    mid = (D + dt.timedelta(days=1)).isoformat()
    edits += [
        ["lesson", "l150", mid, "topic", "Исправленная тема урока"],
    ]
    tables = t.tables
    # A late change set on lessons of 12-14 October (ids around the tail of the term).
    tail = [
        r for r in tables["lesson"]["rows"] if r[6] in ("2026-10-12", "2026-10-13", "2026-10-14")
    ]
    tail_ids = [r[1] for r in tail]
    mark_cols = tables["mark"]["columns"]
    tail_marks = [
        r
        for r in tables["mark"]["rows"]
        if r[mark_cols.index("lesson_id")] in tail_ids and r[0] <= D.isoformat()
    ]
    changed_mark, deleted_mark = tail_marks[0], tail_marks[1]
    edits.append(
        [
            "mark",
            changed_mark[1],
            mid,
            "value",
            "2" if changed_mark[mark_cols.index("value")] != "2" else "5",
        ]
    )
    edits.append(["mark", deleted_mark[1], mid, "__deleted__", None])
    edits.append(["lesson", tail_ids[0], mid, "topic", "Тема урока переписана"])
    abs_cols = tables["absence"]["columns"]
    tail_abs = [r for r in tables["absence"]["rows"] if r[abs_cols.index("lesson_id")] in tail_ids]
    if tail_abs:
        edits.append(["absence", tail_abs[0][1], mid, "code", "УП"])
        edits.append(["absence", tail_abs[0][1], mid, "valid", True])
    # A new mark for an old lesson entered after D.
    extra = tail[1]
    kid = "s1" if extra[2] == "g5a" else "s5"
    t.add(
        "mark",
        mid,
        id="m-late",
        student_id=kid,
        subject_id=extra[3],
        group_id=extra[2],
        lesson_id=extra[1],
        date=extra[6],
        value="4",
        work_kind_id="wk-kr",
        weight=None,
        comment=None,
        teacher_id=extra[4],
        entered_at=mid,
    )
    accounts = [
        {
            "platform": "netschool",
            "login": DEPUTY_LOGIN,
            "password": DEPUTY_PASSWORD,
            "person_id": "dep",
            "role": "deputy",
        },
        {
            "platform": "netschool",
            "login": STUDENT_LOGIN,
            "password": STUDENT_PASSWORD,
            "person_id": "s1",
            "role": "student",
        },
    ]
    return {
        "format": "sverka-scenario",
        "version": 1,
        "profile": "talmenka",
        "timezone": "Asia/Barnaul",
        "netschool": {
            "deployment": DEPLOYMENT,
            "announcements": [
                {
                    "title": "Родительское собрание",
                    "text": "<p>Собрание 20 сентября в 18:00.</p>",
                    "posted_at": "2026-09-10T10:00:00+07:00",
                    "author": "Кузнецова О. П.",
                }
            ],
        },
        "tables": {
            k: {
                "columns": ["id", *[c for c in v["columns"] if c != "id"]],
                "rows": [_reorder(v["columns"], r) for r in v["rows"]],
            }
            for k, v in tables.items()
        },
        "edits": {"columns": ["kind", "id", "at", "field", "value"], "rows": edits},
        "accounts": accounts,
    }


def _reorder(columns: list[str], row: list[Any]) -> list[Any]:
    values = dict(zip(columns, row, strict=True))
    return [values["id"], *[values[c] for c in columns if c != "id"]]
