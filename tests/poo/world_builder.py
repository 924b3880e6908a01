"""A small college year as a scenario (``World.from_dict``), with edits after the first pull day.

Until the scenario generator's college profile is used everywhere, this keeps
the ПОО tests self-contained: two groups, a transfer, an expulsion, КТП,
lessons with topics, homework, marks of several kinds, absences of every
code, final marks and edits on D+1…D+3.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from canonical.normalize import make_snils
from emulators.scenario.world import World

TZ = ZoneInfo("Asia/Tomsk")
D = dt.datetime(2026, 9, 9, 21, 0, tzinfo=TZ)
"""The first pull: evening of Wednesday 9 September 2026, Tomsk time."""

ADMIN = ("zam.uvr", "Пароль-Завуч1")
NO_GRADEBOOK = ("kadry", "кадры2026")
STUDENT = ("student.one", "учусь")
PARENT = ("parent.one", "родитель")

FIRST = ["Анна", "Иван", "Мария", "Пётр", "Алёна", "Сергей", "Ольга", "Денис", "Юлия", "Артём"]
LAST_M = ["Иванов", "Петров", "Сидоров", "Козлов", "Морозов", "Волков"]
LAST_F = ["Иванова", "Петрова", "Сидорова", "Козлова", "Морозова", "Волкова"]
MIDDLE_M = ["Иванович", "Петрович", "Сергеевич"]
MIDDLE_F = ["Ивановна", "Петровна", "Сергеевна"]
BELLS = [("08:30", "10:00"), ("10:10", "11:40"), ("12:10", "13:40")]


def at(day: dt.date, hour: int = 20, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ).isoformat()


class Tables:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.edits: list[list[Any]] = []

    def add(self, kind: str, created_at: str, **row: Any) -> dict[str, Any]:
        row = {"id": row.pop("id"), "created_at": created_at, **row}
        self.rows.setdefault(kind, []).append(row)
        return row

    def edit(self, kind: str, record_id: str, when: str, field: str, value: Any) -> None:
        self.edits.append([kind, record_id, when, field, value])

    def as_dict(self, accounts: list[dict[str, Any]]) -> dict[str, Any]:
        tables = {}
        for kind, rows in self.rows.items():
            columns: list[str] = []
            for row in rows:
                for name in row:
                    if name not in columns:
                        columns.append(name)
            tables[kind] = {
                "columns": columns,
                "rows": [[row.get(c) for c in columns] for row in rows],
            }
        return {
            "format": "sverka-scenario",
            "version": 1,
            "profile": "tpt",
            "timezone": "Asia/Tomsk",
            "tables": tables,
            "edits": {"columns": ["kind", "id", "at", "field", "value"], "rows": self.edits},
            "accounts": accounts,
        }


def build_world(seed: int = 7, students_per_group: int = 5, weeks: int = 3) -> World:
    return World.from_dict(build_dict(seed, students_per_group, weeks))


def build_dict(seed: int = 7, students_per_group: int = 5, weeks: int = 3) -> dict[str, Any]:
    rnd = random.Random(seed)
    t = Tables()
    start = dt.date(2026, 9, 1)
    setup = at(dt.date(2026, 8, 25), 10)
    t.add("institution", setup, id="inst", profile_id="tpt",
          name="ОГБПОУ «Томский политехнический техникум»", short_name="ТПТ",
          institution_kind="college", timezone="Asia/Tomsk", week_days=6, region="Томская область")  # fmt: skip
    t.add("school_year", setup, id="y2026", name="2026/2027",
          starts_on="2026-09-01", ends_on="2027-06-30")  # fmt: skip
    t.add("period", setup, id="s1", year_id="y2026", period_kind="semester", number=1,
          name="1 семестр", starts_on="2026-09-01", ends_on="2026-12-28")  # fmt: skip
    t.add("period", setup, id="s2", year_id="y2026", period_kind="semester", number=2,
          name="2 семестр", starts_on="2027-01-12", ends_on="2027-06-30")  # fmt: skip
    t.add("holiday", setup, id="h1", year_id="y2026", name="Зимние каникулы",
          starts_on="2026-12-29", ends_on="2027-01-11")  # fmt: skip

    teachers = []
    for n in range(4):
        female = n % 2 == 0
        pid = f"t{n}"
        t.add("person", setup, id=pid,
              last_name=(LAST_F if female else LAST_M)[n], first_name=FIRST[n],
              middle_name=(MIDDLE_F if female else MIDDLE_M)[n % 3],
              roles=["teacher"] if n else ["teacher", "deputy"],
              sex="female" if female else "male", position="Преподаватель")  # fmt: skip
        teachers.append(pid)
    groups = [("g1", "ИС-21", 2, "Отделение информационных технологий", "09.02.07 Информационные системы"),
              ("g2", "ТО-31", 3, "Отделение транспорта", "23.02.07 Техническое обслуживание")]  # fmt: skip
    for i, (gid, name, course, dep, spec) in enumerate(groups):
        t.add("group", setup, id=gid, name=name, group_kind="academic_group", year_id="y2026",
              course=course, curator_id=teachers[i + 1], department=dep, specialty=spec)  # fmt: skip
    subjects = [("sub1", "Математика", "ЕН.01"), ("sub2", "Информатика", "ОП.01"),
                ("sub3", "Физическая культура", "ОГСЭ.04")]  # fmt: skip
    for sid, name, code in subjects:
        t.add("subject", setup, id=sid, name=name, code=code)
    for gid, *_ in groups:
        for j, (sid, _, _) in enumerate(subjects):
            t.add("teaching_assignment", setup, id=f"ta-{gid}-{sid}", group_id=gid,
                  subject_id=sid, teacher_id=teachers[j + 1], curriculum_hours=72)  # fmt: skip
    t.add("work_kind", setup, id="wk-answer", name="Ответ на занятии", is_control=False)
    t.add("work_kind", setup, id="wk-control", name="Контрольная работа", is_control=True)
    t.add("work_kind", setup, id="wk-practice", name="Практическая работа", is_control=False)
    t.add("work_kind", setup, id="wk-test", name="Тест", is_control=False)

    # КТП: one plan per group × subject, items numbered 1…n.
    plan_items: dict[tuple[str, str], list[str]] = {}
    for gid, *_ in groups:
        for sid, sname, _ in subjects:
            plan_id = f"plan-{gid}-{sid}"
            t.add("plan", setup, id=plan_id, group_id=gid, subject_id=sid,
                  teacher_id=teachers[1], year_id="y2026", total_hours=72)  # fmt: skip
            ids = []
            for k in range(1, 13):
                item_id = f"{plan_id}-{k}"
                t.add("plan_item", setup, id=item_id, plan_id=plan_id, ordinal=k,
                      topic=f"{sname}: тема {k}", hours=2,
                      work_kind=_plan_kind(k))  # fmt: skip
                ids.append(item_id)
            plan_items[(gid, sid)] = ids

    # Students, parents, enrolments, orders.
    students: dict[str, list[str]] = {gid: [] for gid, *_ in groups}
    n = 0
    for gid, *_ in groups:
        for _ in range(students_per_group):
            female = rnd.random() < 0.5
            pid = f"st{n}"
            last = rnd.choice(LAST_F if female else LAST_M)
            t.add("person", setup, id=pid, last_name=last,
                  first_name=rnd.choice(FIRST), middle_name=rnd.choice(MIDDLE_F if female else MIDDLE_M),
                  roles=["student"], birth_date=f"2008-0{1 + n % 9}-1{n % 10}",
                  sex="female" if female else "male", snils=make_snils(112_233_000 + n * 7),
                  document_type="21", document_series=f"69 2{n % 10}", document_number=f"5{n:05d}",
                  document_issued_on="2022-03-15", phone=f"+7913000{n:04d}")  # fmt: skip
            t.add("enrolment", setup, id=f"en-{pid}", student_id=pid, group_id=gid,
                  status="studying", starts_on="2026-09-01", ends_on=None,
                  order_number=f"{100 + n}-к", order_date="2026-08-20")  # fmt: skip
            t.add("movement_order", setup, id=f"ord-en-{pid}", student_id=pid,
                  movement="enrolment", number=f"{100 + n}-к", order_date="2026-08-20",
                  effective_date="2026-09-01", from_group_id=None, to_group_id=gid)  # fmt: skip
            parent = f"par{n}"
            t.add("person", setup, id=parent, last_name=last, first_name=rnd.choice(FIRST),
                  middle_name="", roles=["parent"], phone=f"+7913100{n:04d}")  # fmt: skip
            t.add("parent_link", setup, id=f"pl-{parent}-{pid}", parent_id=parent,
                  child_id=pid, relation="mother" if n % 2 else "father")  # fmt: skip
            students[gid].append(pid)
            n += 1
    # A parent with two children (the second child of parent par0).
    t.add("parent_link", setup, id="pl-par0-st1", parent_id="par0", child_id="st1",
          relation="guardian")  # fmt: skip

    # A transfer from g1 to g2 effective 8 September (ordered on the 7th).
    moved = students["g1"][-1]
    t.add("movement_order", at(dt.date(2026, 9, 7), 11), id=f"ord-mv-{moved}",
          student_id=moved, movement="transfer", number="130-к", order_date="2026-09-07",
          effective_date="2026-09-08", from_group_id="g1", to_group_id="g2")  # fmt: skip
    t.edit("enrolment", f"en-{moved}", at(dt.date(2026, 9, 7), 11), "ends_on", "2026-09-07")
    t.edit("enrolment", f"en-{moved}", at(dt.date(2026, 9, 7), 11), "status", "transferred_out")
    t.add("enrolment", at(dt.date(2026, 9, 7), 11), id=f"en2-{moved}", student_id=moved,
          group_id="g2", status="studying", starts_on="2026-09-08", ends_on=None,
          order_number="130-к", order_date="2026-09-07")  # fmt: skip

    # An expulsion ordered on D+2, effective the next day.
    leaver = students["g2"][0]
    when = at(dt.date(2026, 9, 11), 12)
    t.add("movement_order", when, id=f"ord-ex-{leaver}", student_id=leaver, movement="expulsion",
          number="141-к", order_date="2026-09-11", effective_date="2026-09-12",
          from_group_id="g2", to_group_id=None, reason="по собственному желанию")  # fmt: skip
    t.edit("enrolment", f"en-{leaver}", when, "ends_on", "2026-09-11")
    t.edit("enrolment", f"en-{leaver}", when, "status", "expelled")

    # Lessons Mon–Sat, three пары a day across the subjects, entered the same evening.
    lesson_no = 0
    mark_no = 0
    plan_cursor: dict[tuple[str, str], int] = {}
    for day_offset in range(weeks * 7):
        day = start + dt.timedelta(days=day_offset)
        if day.isoweekday() == 7:
            continue
        for gi, (gid, *_rest) in enumerate(groups):
            for slot, (begin, end) in enumerate(BELLS):
                sid = subjects[(slot + day.toordinal() + gi) % 3][0]
                cursor = plan_cursor.get((gid, sid), 0)
                plan_cursor[(gid, sid)] = cursor + 1
                items = plan_items[(gid, sid)]
                item = items[cursor % len(items)]
                lid = f"les{lesson_no}"
                lesson_no += 1
                entered = at(day, 19, 30)
                topic = (
                    f"{dict((s, nm) for s, nm, _ in subjects)[sid]}: тема {cursor % len(items) + 1}"
                )
                t.add("lesson", entered, id=lid, group_id=gid, subject_id=sid,
                      teacher_id=teachers[subjects.index(next(s for s in subjects if s[0] == sid)) + 1],
                      date=day.isoformat(), number=slot + 1, starts_at=begin, ends_at=end,
                      topic=topic if rnd.random() > 0.1 else None, hours=2, room=f"{201 + slot}",
                      plan_item_id=item, lesson_type=_plan_kind(cursor % len(items) + 1))  # fmt: skip
                if rnd.random() < 0.5:
                    t.add("homework", at(day, 20, 10), id=f"hw-{lid}", lesson_id=lid,
                          text=f"Повторить конспект, задачи {cursor + 1}–{cursor + 4}")  # fmt: skip
                members = [
                    s for s in students[gid] if _member(s, gid, day, moved, leaver, students)
                ]
                if gid == "g2" and day >= dt.date(2026, 9, 8):
                    members.append(moved)
                for st in members:
                    roll = rnd.random()
                    if roll < 0.25:
                        wk = rnd.choice(["wk-answer", "wk-answer", "wk-control", "wk-practice"])
                        t.add("mark", at(day, 20, 5), id=f"m{mark_no}", student_id=st,
                              subject_id=sid, group_id=gid, lesson_id=lid, date=day.isoformat(),
                              value=str(rnd.choice([2, 3, 4, 4, 5, 5])), work_kind_id=wk,
                              work_kind_name={"wk-answer": "Ответ на занятии",
                                              "wk-control": "Контрольная работа",
                                              "wk-practice": "Практическая работа"}[wk])  # fmt: skip
                        mark_no += 1
                    elif roll < 0.32:
                        code = rnd.choice(["УП", "Б", "НП", "ОП", "ОТ"])
                        t.add("absence", at(day, 20, 7), id=f"ab-{lid}-{st}", student_id=st,
                              lesson_id=lid, date=day.isoformat(), code=code,
                              valid={"УП": True, "Б": True, "НП": False}.get(code))  # fmt: skip
    # A day-long sick leave (no lesson): the journal shows it on every lesson of that day.
    sick = students["g1"][1]
    t.add("absence", at(dt.date(2026, 9, 4), 9), id=f"ab-day-{sick}", student_id=sick,
          lesson_id=None, date="2026-09-04", code="Б", valid=True)  # fmt: skip
    # Final marks of semester 1 (put in early for the test: the attestation view shows them).
    for gid, members_ in students.items():
        for st in members_[:2]:
            t.add("mark", at(dt.date(2026, 9, 8), 15), id=f"fin-{st}", student_id=st,
                  subject_id="sub1", group_id=gid, lesson_id=None, date="2026-09-08", value="4",
                  final_kind="attestation", period_id="s1")  # fmt: skip

    # A student not attested («н/а»): ПОО has no mark word for it, so the platform shows none.
    t.add("mark", at(dt.date(2026, 9, 8), 15), id="fin-na", student_id=students["g1"][2],
          subject_id="sub1", group_id="g1", lesson_id=None, date="2026-09-08", value="н/а",
          final_kind="attestation", period_id="s1")  # fmt: skip
    # Tests (a kind of work that is not a control work) and a student exempt from PE (ОСВ).
    lessons = [r for r in t.rows["lesson"] if r["group_id"] == "g1" and r["date"] <= "2026-09-05"]
    tested = students["g1"][3]
    for row in lessons[:4]:
        t.add("mark", at(_day(row["date"]), 20, 6), id=f"test-{row['id']}", student_id=tested,
              subject_id=row["subject_id"], group_id="g1", lesson_id=row["id"], date=row["date"],
              value="4", work_kind_id="wk-test", work_kind_name="Тест")  # fmt: skip
    exempt = students["g1"][4]
    taken = {(r["lesson_id"], r["student_id"]) for r in t.rows["absence"]}
    for row in lessons:
        if row["subject_id"] == "sub3" and (row["id"], exempt) not in taken:
            t.add("absence", at(_day(row["date"]), 20, 8), id=f"ab-osv-{row['id']}",
                  student_id=exempt, lesson_id=row["id"], date=row["date"], code="ОСВ",
                  valid=True)  # fmt: skip

    # The transferred student's final mark, given in the new group.
    t.add("mark", at(dt.date(2026, 9, 8), 16), id=f"fin-{moved}", student_id=moved,
          subject_id="sub2", group_id="g2", lesson_id=None, date="2026-09-08", value="5",
          final_kind="attestation", period_id="s1")  # fmt: skip

    # Edits after D: a mark changed, a mark deleted, a topic filled in late, homework removed.
    d1, d2, d3 = (at(dt.date(2026, 9, 9) + dt.timedelta(days=k), 10) for k in (1, 2, 3))
    early_marks = [r for r in t.rows["mark"] if r["lesson_id"] and r["date"] <= "2026-09-05"]
    t.edit(
        "mark", early_marks[0]["id"], d1, "value", "3" if early_marks[0]["value"] != "3" else "5"
    )
    t.edit("mark", early_marks[1]["id"], d2, "__deleted__", None)
    no_topic = [r for r in t.rows["lesson"] if r["topic"] is None and r["date"] <= "2026-09-08"]
    if no_topic:
        t.edit("lesson", no_topic[0]["id"], d3, "topic", "Тема внесена задним числом")
    hw = [r for r in t.rows.get("homework", []) if r["id"].startswith("hw-les")]
    t.edit("homework", hw[0]["id"], d2, "text", "Исправленное задание")
    absences = t.rows.get("absence", [])
    if absences:
        t.edit("absence", absences[0]["id"], d1, "code", "УП")

    accounts: list[dict[str, Any]] = [
        {"role": "deputy", "login": ADMIN[0], "password": ADMIN[1], "person_id": "t0"},
        {"role": "secretary", "login": NO_GRADEBOOK[0], "password": NO_GRADEBOOK[1],
         "person_id": "t3", "permissions": [507, 508, 509]},
        {"role": "student", "login": STUDENT[0], "password": STUDENT[1], "person_id": "st0"},
        {"role": "parent", "login": PARENT[0], "password": PARENT[1], "person_id": "par0"},
    ]  # fmt: skip
    return t.as_dict(accounts)


def _plan_kind(ordinal: int) -> str:
    """The КТП's kind of work for item ``ordinal`` (1…12): the last is a control work."""
    if ordinal == 12:
        return "control"
    return "practical" if ordinal % 3 == 0 else "lecture"


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _member(
    student: str, group: str, day: dt.date, moved: str, leaver: str, students: dict[str, list[str]]
) -> bool:
    if student == moved:
        return day < dt.date(2026, 9, 8)
    if student == leaver:
        return day < dt.date(2026, 9, 12)
    return True
