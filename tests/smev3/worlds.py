"""Small scenario worlds for the СМЭВ tests, built with ``World.from_dict``.

One school class with three students and their parents, a few lessons with
marks, absences and homework, movement orders to push, ЕПГУ applications
(valid, someone else's child, a parent without СНИЛС) and an «Е-услуги»
enrolment notice.  The registry's view differs from the journal where the
tests need it to (a new student unknown to the registry).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from canonical.normalize import make_snils
from emulators.scenario.world import World

TZ = "Asia/Barnaul"
T0 = "2026-09-01T08:00:00+07:00"
NOW = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
ORG = "2224001234"

SNILS_S1 = make_snils(123456789)
SNILS_S2 = make_snils(223456789)
SNILS_S3 = make_snils(323456789)
SNILS_S4 = make_snils(423456789)
SNILS_P1 = make_snils(523456789)
BAD_SNILS = SNILS_S1[:-2] + ("00" if not SNILS_S1.endswith("00") else "01")


def _table(columns: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    return {"columns": ["id", "created_at", *columns], "rows": rows}


def world_dict(extra_orders: int = 0) -> dict[str, Any]:
    person_cols = [
        "last_name",
        "first_name",
        "middle_name",
        "roles",
        "birth_date",
        "sex",
        "snils",
        "document_type",
        "document_series",
        "document_number",
        "document_issued_on",
    ]
    people: list[list[Any]] = [
        [
            "s1",
            T0,
            "Иванов",
            "Пётр",
            "Сергеевич",
            ["student"],
            "2014-03-02",
            "male",
            SNILS_S1,
            "03",
            "II-ТО",
            "123456",
            None,
        ],
        [
            "s2",
            T0,
            "Петрова",
            "Анна",
            "Игоревна",
            ["student"],
            "2014-07-15",
            "female",
            SNILS_S2,
            "03",
            "II-ТО",
            "223456",
            None,
        ],
        [
            "s3",
            T0,
            "Сидоров",
            "Глеб",
            "",
            ["student"],
            "2014-01-20",
            "male",
            SNILS_S3,
            "03",
            "II-ТО",
            "323456",
            None,
        ],
        [
            "s4",
            T0,
            "Кузнецова",
            "Мария",
            "Олеговна",
            ["student"],
            "2014-05-05",
            "female",
            SNILS_S4,
            "03",
            "II-ТО",
            "423456",
            None,
        ],
        [
            "s5",
            T0,
            "Орлов",
            "Илья",
            "",
            ["student"],
            "2014-02-02",
            "male",
            BAD_SNILS,
            "03",
            "II-ТО",
            "523456",
            None,
        ],
        [
            "p1",
            T0,
            "Иванова",
            "Елена",
            "Викторовна",
            ["parent"],
            "1986-04-10",
            "female",
            SNILS_P1,
            "21",
            "0112",
            "334455",
            "2006-05-01",
        ],
        [
            "p2",
            T0,
            "Петров",
            "Игорь",
            "Олегович",
            ["parent"],
            "1984-11-11",
            "male",
            None,
            "21",
            "0110",
            "998877",
            "2004-12-01",
        ],
    ]
    groups = [["g1", T0, "5А", "class", 5], ["g2", T0, "5Б", "class", 5]]
    enrolments: list[list[Any]] = [
        ["e1", T0, "s1", "g1", "studying", "2026-09-01", None, "12-у", "2026-08-25"],
        ["e2", T0, "s2", "g1", "studying", "2026-09-01", None, "12-у", "2026-08-25"],
        ["e3", T0, "s3", "g1", "studying", "2026-09-01", None, "12-у", "2026-08-25"],
        [
            "e4",
            "2026-10-01T09:00:00+07:00",
            "s4",
            "g1",
            "studying",
            "2026-10-01",
            None,
            "31-у",
            "2026-09-30",
        ],
        [
            "e5",
            "2026-10-01T09:00:00+07:00",
            "s5",
            "g1",
            "studying",
            "2026-10-01",
            None,
            "32-у",
            "2026-09-30",
        ],
    ]
    orders: list[list[Any]] = [
        [
            "m1",
            "2026-10-01T09:00:00+07:00",
            "s4",
            "enrolment",
            "31-у",
            "2026-09-30",
            "2026-10-01",
            None,
            "g1",
            None,
        ],
        [
            "m2",
            "2026-10-05T09:00:00+07:00",
            "s3",
            "expulsion",
            "35-у",
            "2026-10-05",
            "2026-10-06",
            "g1",
            None,
            "перевод в другую ОО",
        ],
        [
            "m3",
            "2026-10-07T09:00:00+07:00",
            "s2",
            "transfer",
            "36-у",
            "2026-10-07",
            "2026-10-08",
            "g1",
            "g2",
            None,
        ],
        [
            "m4",
            "2026-10-01T09:00:00+07:00",
            "s5",
            "enrolment",
            "32-у",
            "2026-09-30",
            "2026-10-01",
            None,
            "g1",
            None,
        ],
        [
            "m5",
            "2026-10-09T09:00:00+07:00",
            "s1",
            "return",
            "37-у",
            "2026-10-09",
            "2026-10-09",
            None,
            None,
            None,
        ],
    ]
    for i in range(extra_orders):
        orders.append(
            [
                f"mx{i}",
                "2026-10-10T09:00:00+07:00",
                "s1",
                "transfer",
                f"4{i}-у",
                "2026-10-10",
                "2026-10-10",
                "g1",
                "g1",
                None,
            ]
        )
    subjects = [["sub1", T0, "Математика"], ["sub2", T0, "Русский язык"]]
    lessons: list[list[Any]] = [
        ["l1", T0, "g1", "sub1", "2026-10-12", 1, "Дроби", "101"],
        ["l2", T0, "g1", "sub2", "2026-10-12", 2, "Суффиксы", "102"],
        ["l3", T0, "g1", "sub1", "2026-10-13", 1, "Сложение дробей", "101"],
        ["l4", T0, "g1", "sub1", "2026-09-10", 1, "Повторение", "101"],
        ["l5", T0, "g2", "sub1", "2026-10-12", 3, "Чужой урок", "201"],
    ]
    marks: list[list[Any]] = [
        ["k1", T0, "s1", "sub1", "g1", "l1", "2026-10-12", "5"],
        ["k2", T0, "s1", "sub2", "g1", "l2", "2026-10-12", "4"],
        ["k3", T0, "s1", "sub1", "g1", "l3", "2026-10-13", "3"],
        ["k4", T0, "s1", "sub1", "g1", "l4", "2026-09-10", "2"],
        ["k5", T0, "s2", "sub1", "g1", "l1", "2026-10-12", "5"],
    ]
    absences: list[list[Any]] = [
        ["a1", T0, "s1", "l3", "2026-10-13", "Б"],
        ["a2", T0, "s2", "l1", "2026-10-12", "НП"],
    ]
    homework: list[list[Any]] = [
        ["h1", T0, "l1", "№ 12, 14", "2026-10-13"],
        ["h2", T0, "l2", "Упр. 5", "2026-10-13"],
    ]
    links = [["pl1", T0, "p1", "s1", "mother"], ["pl2", T0, "p2", "s2", "father"]]
    request_cols = [
        "order_id",
        "received_at",
        "applicant_last_name",
        "applicant_first_name",
        "applicant_middle_name",
        "applicant_birth_date",
        "applicant_snils",
        "applicant_sex",
        "applicant_document_series",
        "applicant_document_number",
        "child_last_name",
        "child_first_name",
        "child_middle_name",
        "child_birth_date",
        "child_snils",
        "period_from",
        "period_to",
    ]
    requests: list[list[Any]] = [
        [
            "r1",
            "2026-10-15T10:00:00+07:00",
            "1001",
            "2026-10-15T10:00:00+07:00",
            "Иванова",
            "Елена",
            "Викторовна",
            "1986-04-10",
            SNILS_P1,
            "female",
            "0112",
            "334455",
            "Иванов",
            "Пётр",
            "Сергеевич",
            "2014-03-02",
            SNILS_S1,
            "2026-10-01",
            "2026-10-31",
        ],
        [
            "r2",
            "2026-10-15T11:00:00+07:00",
            "1002",
            "2026-10-15T11:00:00+07:00",
            "Иванова",
            "Елена",
            "Викторовна",
            "1986-04-10",
            SNILS_P1,
            "female",
            "0112",
            "334455",
            "Петрова",
            "Анна",
            "Игоревна",
            "2014-07-15",
            SNILS_S2,
            "2026-10-01",
            "2026-10-31",
        ],
        [
            "r3",
            "2026-10-15T12:00:00+07:00",
            "1003",
            "2026-10-15T12:00:00+07:00",
            "Петров",
            "Игорь",
            "Олегович",
            "1984-11-11",
            None,
            "male",
            "0110",
            "998877",
            "Петрова",
            "Анна",
            "Игоревна",
            "2014-07-15",
            SNILS_S2,
            "2026-10-01",
            "2026-10-31",
        ],
    ]
    expected: list[list[Any]] = [
        [
            "x1",
            "2026-10-16T09:00:00+07:00",
            "Смирнов",
            "Артём",
            "Павлович",
            "2019-06-01",
            None,
            "male",
            None,
            1,
            "2027-09-01",
        ],
    ]
    return {
        "format": "sverka-scenario",
        "version": 1,
        "profile": "talmenka",
        "timezone": TZ,
        "tables": {
            "institution": _table(
                ["profile_id", "name", "institution_kind", "timezone"],
                [["inst1", T0, "talmenka", "КГБОУ «Тальменская школа-интернат»", "school", TZ]],
            ),
            "person": _table(person_cols, people),
            "group": _table(["name", "group_kind", "grade"], groups),
            "enrolment": _table(
                [
                    "student_id",
                    "group_id",
                    "status",
                    "starts_on",
                    "ends_on",
                    "order_number",
                    "order_date",
                ],
                enrolments,
            ),
            "movement_order": _table(
                [
                    "student_id",
                    "movement",
                    "number",
                    "order_date",
                    "effective_date",
                    "from_group_id",
                    "to_group_id",
                    "reason",
                ],
                orders,
            ),
            "subject": _table(["name"], subjects),
            "lesson": _table(
                ["group_id", "subject_id", "date", "number", "topic", "room"], lessons
            ),
            "mark": _table(
                ["student_id", "subject_id", "group_id", "lesson_id", "date", "value"], marks
            ),
            "absence": _table(["student_id", "lesson_id", "date", "code"], absences),
            "homework": _table(["lesson_id", "text", "due_date"], homework),
            "parent_link": _table(["parent_id", "child_id", "relation"], links),
            "epgu_request": _table(request_cols, requests),
            "expected_enrolment": _table(
                [
                    "last_name",
                    "first_name",
                    "middle_name",
                    "birth_date",
                    "snils",
                    "sex",
                    "group_name",
                    "grade",
                    "expected_on",
                ],
                expected,
            ),
        },
        "views": [
            {
                "platform": "contingent",
                "kind": "person",
                "id": "s4",
                "field": "__absent__",
                "value": None,
            },
            {
                "platform": "contingent",
                "kind": "enrolment",
                "id": "e4",
                "field": "__absent__",
                "value": None,
            },
            {
                "platform": "contingent",
                "kind": "person",
                "id": "s5",
                "field": "__absent__",
                "value": None,
            },
            {
                "platform": "contingent",
                "kind": "enrolment",
                "id": "e5",
                "field": "__absent__",
                "value": None,
            },
        ],
        "accounts": [],
    }


def small_world(extra_orders: int = 0) -> World:
    return World.from_dict(world_dict(extra_orders))
