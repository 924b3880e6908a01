"""The ПОО answers, rendered from a :class:`PooState`: pure functions, one per endpoint.

Field names and enum values follow ``shared/docs/protocols/netschool-poo.md``;
where that document says a shape is unknown, the choice made here is written
down in ``docs/protocols/poo-emulated.md`` as ours.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from emulators.poo.formats import (
    ABSENCE_TYPES,
    DECREE_TYPES,
    MARK_WORDS,
    TERM_TYPES,
    lesson_type,
    optional_date,
    parse_value_date,
    pascal,
    wire_datetime,
    wire_time,
)
from emulators.poo.ids import TASK_SLOTS, work_kind_key
from emulators.poo.state import Episode, PooState

Json = dict[str, Any]

MARK_NUMBERS = {"Two": 2, "Three": 3, "Four": 4, "Five": 5}


def mark_word(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    if text in MARK_WORDS:
        return MARK_WORDS[text]
    return MARK_WORDS.get(text.rstrip("+-"))


def _person_name(person: dict[str, Any]) -> Json:
    return {
        "firstName": person.get("first_name", ""),
        "middleName": person.get("middle_name") or "",
        "lastName": person.get("last_name", ""),
    }


# -- the organization ----------------------------------------------------------------------


BANKING_FIELDS = (
    "founderType", "founders", "inn", "kpp", "ogrn", "okato", "okogu", "okopth", "okpo",
    "okths", "oktmo", "okved", "others",
)  # fmt: skip
"""``bankingDetails`` fields (asurso-api 0.6.3 ``BankingDetails``): none in the scenario."""


def organization(s: PooState, organization_id: str, meta: dict[str, Any]) -> Json:
    """``people/organization`` and ``settings.organization`` of the login body.

    Every field asurso-api's ``Organization`` requires, with the types it checks
    (strings are never ``null`` there); values the scenario has no source for
    are empty strings, zero or false (ours, docs/protocols/poo-emulated.md §7).
    """
    inst = s.institution
    described: dict[str, Any] = meta.get("institution") or {}
    if not isinstance(described, dict):
        described = {}
    director = next(
        (p for p in s.employees.values() if "director" in p.get("roles", ())),
        None,
    )
    director_name = (
        " ".join(
            str(director.get(k) or "") for k in ("last_name", "first_name", "middle_name")
        ).strip()
        if director
        else ""
    )
    region = str(inst.get("region") or described.get("region") or "")
    studying = sum(1 for sid in s.students if s.is_active(sid))
    return {
        "abbreviation": inst.get("short_name") or "",
        "name": inst.get("name") or "",
        "shortName": inst.get("short_name") or "",
        "additionalName": "",
        "actualAddress": "",
        "legalAddress": "",
        "address": {
            "kladr": "",
            "mailAddress": "",
            "region": region,
            "settlement": str(described.get("locality") or ""),
        },
        "administration": {
            "attestation": {"isEnabled": True},
            "eService": {
                "cacheEnrolleeListTimeout": 0,
                "cacheEnrolleeTimeout": 0,
                "cacheSpecialtyListTimeout": 0,
                "isEnabled": False,
                "url": "",
                "useRestIntegration": False,
            },
            "factHours": {"isEnabled": False},
            "organizationId": organization_id,
            "vkChats": {"communityId": "", "communityToken": ""},
        },
        "bankingDetails": dict.fromkeys(BANKING_FIELDS, ""),
        "directorName": director_name,
        "directorPosition": "Директор",
        "email": "",
        "entrepreneurName": "",
        "fax": "",
        "headOrganizationName": "",
        "isEntrepreneurOwned": False,
        "isSubdepartment": False,
        "legalStatus": "StateFinanced",
        "occupancy": studying,
        "organizationDeptId": 1,
        "organizationId": organization_id,
        "organizationStatus": "Function",
        "organizationType": "Spo",
        "phone": "",
        "rosobrId": "",
        "shiftCount": 1,
        "site": "",
        "studyUnitNumber": "",
        "type": "Poo",
    }


def chats(s: PooState, student_ids: list[str], chat_type: str) -> list[Json]:
    """The chats of the students' current groups (ours: the scenario has no chats).

    One chat per group, ``GroupChat`` for a student and ``ParentChat`` for a parent
    (vendor ``chatTypes``); members are the group's studying students, the admin
    its curator.
    """
    out: list[Json] = []
    seen: set[str] = set()
    for sid in student_ids:
        group_id = s.group_of_on(sid, s.today)
        if group_id is None or group_id in seen:
            continue
        seen.add(group_id)
        group = s.groups.get(group_id, {})
        members = [m for m, _ in s.members(group_id, s.today, s.today)]
        curator = s.persons.get(str(group.get("curator_id") or ""))
        out.append(
            {
                "num": len(out) + 1,
                "id": s.ids.of("group", group_id) * 10 + (2 if chat_type == "ParentChat" else 1),
                "name": str(group.get("name") or ""),
                "chatType": chat_type,
                "countOfMembers": len(members),
                "adminName": " ".join(
                    str(curator.get(k) or "") for k in ("last_name", "first_name", "middle_name")
                ).strip()
                if curator
                else "",
            }
        )
    return out


# -- people --------------------------------------------------------------------------------


def departments(s: PooState) -> list[Json]:
    return [
        {"id": dep_id, "name": name, "managerId": None}
        for name, dep_id in sorted(s.ids.departments.items(), key=lambda kv: kv[1])
        if any(g.get("department") == name for g in s.groups.values())
    ]


def student_groups(s: PooState) -> list[Json]:
    out = []
    for group_id, group in s.groups.items():
        out.append(
            {
                "id": s.ids.of("group", group_id),
                "name": group["name"],
                "code": group.get("specialty"),
                "yearNumber": group.get("course"),
                "educationForm": "FullTime",
                "departmentId": s.ids.departments.get(str(group.get("department") or "")),
                "curatorId": s.ids.get("person", group.get("curator_id")),
            }
        )
    return sorted(out, key=lambda g: g["id"])


def employees(s: PooState) -> list[Json]:
    return sorted(
        (
            {
                "id": s.ids.of("person", pid),
                **_person_name(p),
                "positionId": None,
                "positionName": p.get("position"),
                "isFired": False,
            }
            for pid, p in s.employees.items()
        ),
        key=lambda e: e["id"],
    )


def _group_ref(s: PooState, group_id: str | None) -> Json | None:
    if group_id is None or group_id not in s.groups:
        return None
    return {"id": s.ids.of("group", group_id), "name": s.groups[group_id]["name"]}


def student_summary(s: PooState, student_id: str) -> Json:
    person = s.students[student_id]
    episode = s.current_episode(student_id)
    pid = s.ids.of("person", student_id)
    sex = person.get("sex")
    return {
        "id": pid,
        **_person_name(person),
        "birthday": wire_datetime(optional_date(person.get("birth_date"))),
        "gender": {"male": "Male", "female": "Female"}.get(str(sex)) if sex else None,
        "studentGroup": _group_ref(s, episode.group_id if episode else None),
        "userProfileId": pid + 500_000,
        "educationBasis": "FederalBudget",
        "educationLevel": "BasicGeneral",
        "formOfTraining": "FullTime",
        "graduationDate": None,
        "gradePointAverage": None,
        "isEsiaBound": False,
    }


def students_page(
    s: PooState, *, is_active: bool | None, order_by: str, page_index: int, page_size: int
) -> Json:
    ids = [sid for sid in s.students if is_active is None or s.is_active(sid) == is_active]
    summaries = [student_summary(s, sid) for sid in ids]
    descending = order_by.startswith("-")
    summaries.sort(
        key=lambda r: (r["lastName"], r["firstName"], r["middleName"], r["id"]), reverse=descending
    )
    start = page_index * page_size
    return {"studentsCount": len(summaries), "students": summaries[start : start + page_size]}


def student_card(s: PooState, student_id: str, *, personal: bool) -> Json:
    person = s.students[student_id]
    card = student_summary(s, student_id)
    card.update(
        {
            "birthplace": None,
            "registration": None,
            "address": None,
            "countryId": 643,
            "email": person.get("email") if personal else None,
            "phone": person.get("phone") if personal else None,
            "snils": person.get("snils") if personal else None,
            "note": None,
            "passport": _passport(person) if personal else None,
            "parents": [_parent(s, link) for link in s.parents_of.get(student_id, [])],
            "decrees": [_decree(s, o) for o in s.orders_by_student.get(student_id, [])],
            "documents": [],
        }
    )
    return card


def _passport(person: dict[str, Any]) -> Json | None:
    if not person.get("document_number"):
        return None
    return {
        "documentType": person.get("document_type"),
        "series": person.get("document_series"),
        "number": person.get("document_number"),
        "issuanceDate": wire_datetime(optional_date(person.get("document_issued_on"))),
        "issued": None,
        "subdivisionCode": None,
    }


def _parent(s: PooState, link: dict[str, Any]) -> Json:
    parent = s.persons.get(str(link["parent_id"]), {})
    pid = s.ids.of("person", link["parent_id"])
    return {
        "id": pid,
        "userProfileId": pid + 500_000,
        **_person_name(parent),
        "relationshipType": pascal(str(link.get("relation") or "parent")),
        "phone": parent.get("phone"),
        "address": None,
    }


def _decree(s: PooState, order: dict[str, Any]) -> Json:
    movement = str(order["movement"])
    group = order.get("to_group_id") or order.get("from_group_id")
    return {
        "id": s.ids.of("movement_order", order["id"]),
        "type": DECREE_TYPES.get(movement, pascal(movement)),
        "date": wire_datetime(parse_value_date(order["order_date"])),
        "effectiveDate": wire_datetime(parse_value_date(order["effective_date"])),
        "studentGroup": _group_ref(s, str(group) if group else None),
        "number": order["number"],
        "reason": order.get("reason"),
    }


# -- the gradebook --------------------------------------------------------------------------


def _period_dates(period: dict[str, Any]) -> tuple[dt.date, dt.date]:
    return parse_value_date(period["starts_on"]), parse_value_date(period["ends_on"])


def gradebook_groups(s: PooState) -> list[Json]:
    return [
        {"id": g["id"], "name": g["name"], "code": g["code"], "yearNumber": g["yearNumber"]}
        for g in student_groups(s)
    ]


def gradebook_entries(s: PooState, group_id: str) -> list[Json]:
    group = s.groups[group_id]
    group_pid = s.ids.of("group", group_id)
    out = []
    for period in s.group_periods(group_id):
        start, end = _period_dates(period)
        subjects = []
        for subject_id in s.group_subjects(group_id, start, end):
            plan = s.plans.get((group_id, subject_id))
            hours = plan.get("total_hours") if plan else None
            if hours is None:
                hours = next(
                    (
                        ta.get("curriculum_hours")
                        for ta in s.assignments.get(group_id, [])
                        if str(ta["subject_id"]) == subject_id
                    ),
                    None,
                )
            subjects.append(
                {
                    "id": s.ids.of("subject", subject_id),
                    "name": s.subjects[subject_id]["name"],
                    "plannedHours": hours,
                    "editable": True,
                    "isAttendanceEditable": True,
                    "remarks": [],
                }
            )
        out.append(
            {
                "id": s.ids.gradebook(group_pid, s.ids.of("period", period["id"])),
                "name": period.get("name") or f"{period['number']} семестр",
                "yearNumber": group.get("course"),
                "termNumber": period["number"],
                "termType": TERM_TYPES.get(str(period.get("period_kind")), "Semester"),
                "isActive": start <= s.today <= end,
                "startDate": wire_datetime(start),
                "endDate": wire_datetime(end),
                "scheduleSubjects": subjects,
            }
        )
    return out


def resolve_gradebook(s: PooState, gradebook_id: int) -> tuple[str, dict[str, Any]] | None:
    group_pid, period_pid = s.ids.split_gradebook(gradebook_id)
    group_id = s.ids.back("group", group_pid)
    period_id = s.ids.back("period", period_pid)
    if group_id not in s.groups:
        return None
    period = next((p for p in s.group_periods(str(group_id)) if p["id"] == period_id), None)
    return (str(group_id), period) if period else None


def task_type(name: str, is_control: bool) -> str:
    """A kind of work → the vendor's task type (``educationTaskTypes``); ours, see the doc."""
    text = name.lower()
    rules = (
        ("контрольн", "Control"),
        ("самостоят", "Independent"),
        ("лаборатор", "Laboratory"),
        ("практическ", "PracticalWork"),
        ("срез", "Slice"),
        ("тест", "Test"),
        ("реферат", "Review"),
        ("доклад", "Report"),
        ("коллоквиум", "Colloquium"),
    )
    for needle, kind in rules:
        if needle in text:
            return kind
    return "Control" if is_control else "Lesson"


def _is_control_lesson(s: PooState, lesson: dict[str, Any]) -> bool:
    """The scenario plans a control work on this lesson (its own kind or its plan item's)."""
    if lesson.get("lesson_type") == "control":
        return True
    item = s.plan_item_by_id.get(str(lesson.get("plan_item_id") or ""))
    return item is not None and item.get("work_kind") == "control"


class LessonRender:
    """Tasks, marks and absences of one lesson, shared by the staff and the student views."""

    def __init__(self, s: PooState, lesson: dict[str, Any]) -> None:
        self.lesson = lesson
        lesson_id = str(lesson["id"])
        self.pid = s.ids.of("lesson", lesson_id)
        self.tasks: list[Json] = []
        self.marks: dict[str, dict[int, str]] = defaultdict(dict)
        """student id → task id → mark word."""
        for index, hw in enumerate(s.homework_by_lesson.get(lesson_id, [])[:TASK_SLOTS]):
            self.tasks.append(
                {
                    "id": s.ids.task(self.pid, 0, index),
                    "type": "Home",
                    "topic": hw["text"],
                    "condition": None,
                    "isRequired": False,
                    "attachments": [],
                }
            )
        per_student: dict[tuple[str, str], int] = defaultdict(int)
        made: set[int] = set()
        for mark in s.marks_by_lesson.get(lesson_id, []):
            word = mark_word(mark.get("value"))
            if word is None:
                continue
            key = work_kind_key(mark)
            student = str(mark["student_id"])
            index = per_student[(student, key)]
            if index >= TASK_SLOTS:
                continue
            per_student[(student, key)] += 1
            task_id = s.ids.task(self.pid, s.ids.work_kind_slots.get(key, 99), index)
            self.marks[student][task_id] = word
            if task_id not in made:
                made.add(task_id)
                kind = s.work_kinds.get(str(mark.get("work_kind_id") or ""), {})
                name = str(mark.get("work_kind_name") or kind.get("name") or "Работа на занятии")
                self.tasks.append(
                    {
                        "id": task_id,
                        "type": task_type(name, bool(kind.get("is_control"))),
                        "topic": name,
                        "condition": None,
                        "isRequired": True,
                        "attachments": [],
                    }
                )
        if _is_control_lesson(s, lesson) and not any(t["type"] == "Control" for t in self.tasks):
            # The platform has no control-work lesson type: a control work is a lesson with a
            # ``Control`` task (КР), there before any mark is put on it.
            key, kind = s.control_kind or ("", {"name": "Контрольная работа"})
            self.tasks.append(
                {
                    "id": s.ids.task(self.pid, s.ids.work_kind_slots.get(key, 99), 0),
                    "type": "Control",
                    "topic": str(kind.get("name") or "Контрольная работа"),
                    "condition": None,
                    "isRequired": True,
                    "attachments": [],
                }
            )
        self.tasks.sort(key=lambda t: t["id"])
        day = parse_value_date(lesson["date"])
        self.absences: dict[str, str] = {}
        for student, code in s.absence_by_day.get(day, {}).items():
            if s.group_of_on(student, day) == str(lesson["group_id"]):
                self.absences[student] = code
        self.absences.update(s.absence_by_lesson.get(lesson_id, {}))
        # Codes without a vendor word (ОСВ) cannot be shown.
        self.absences = {k: v for k, v in self.absences.items() if v in ABSENCE_TYPES}

    @property
    def themes(self) -> list[str]:
        topic = self.lesson.get("topic")
        return [str(topic)] if topic else []


def gradebook_subject(
    s: PooState,
    group_id: str,
    period: dict[str, Any],
    subject_id: str,
    gradebook_id: int,
    version: str = "2025",
) -> Json:
    start, end = _period_dates(period)
    members = _gradebook_members(s, group_id, subject_id, start, end)
    local = {
        sid: s.ids.gradebook_student(gradebook_id, s.ids.of("person", sid)) for sid, _ in members
    }
    lessons = []
    for lesson in s.lessons_by_group_subject.get((group_id, subject_id), []):
        day = parse_value_date(lesson["date"])
        if not start <= day <= end:
            continue
        r = LessonRender(s, lesson)
        mark_sets: dict[str, Json] = {}
        for student in set(r.marks) | set(r.absences):
            if student not in local:
                continue
            code = r.absences.get(student)
            mark_sets[str(local[student])] = {
                "absenceType": ABSENCE_TYPES.get(code) if code else None,
                "marks": {
                    str(task): {"value": word, "isRequired": True}
                    for task, word in sorted(r.marks.get(student, {}).items())
                },
            }
        plan_item = s.ids.get("plan_item", lesson.get("plan_item_id"))
        hours = lesson.get("hours")
        lessons.append(
            {
                "id": r.pid,
                "date": wire_datetime(day),
                "scheduleLessonId": None,
                "type": lesson_type(lesson.get("lesson_type")),
                "duration": _number(hours),
                "startTime": wire_time(lesson.get("starts_at")),
                "endTime": wire_time(lesson.get("ends_at")),
                "themes": r.themes,
                "teacherId": s.ids.get("person", lesson.get("teacher_id")),
                "classroom": _classroom(lesson["room"], version) if lesson.get("room") else None,
                "tasks": r.tasks,
                "markSets": mark_sets,
                "plannedLessons": {str(plan_item): _number(hours) or 1} if plan_item else {},
            }
        )
    students = []
    for number, (sid, episode) in enumerate(members, start=1):
        students.append(
            {
                "id": local[sid],
                "number": number,
                "startDate": wire_datetime(episode.starts_on),
                "endDate": wire_datetime(episode.ends_on),
                "averageScore": None,
                **_person_name(s.students[sid]),
            }
        )
    return {
        "workingProgram": _working_program(s, group_id, subject_id),
        "lessons": lessons,
        "students": students,
        "remarks": [],
        "teacher": s.employee_short_name(s.teacher_of(group_id, subject_id)),
    }


def _gradebook_members(
    s: PooState, group_id: str, subject_id: str, start: dt.date, end: dt.date
) -> list[tuple[str, Episode]]:
    """The group's students in the term, plus anyone the teacher marked there without an order.

    A student who studies before the enrolment order is entered still gets
    marks in the journal (ours: the platform lists them from the first marked
    lesson); hiding them would hide exactly what the regulation checks.
    """
    members = s.members(group_id, start, end)
    known = {sid for sid, _ in members}
    first_seen: dict[str, dt.date] = {}
    for lesson in s.lessons_by_group_subject.get((group_id, subject_id), []):
        day = parse_value_date(lesson["date"])
        if not start <= day <= end:
            continue
        lesson_id = str(lesson["id"])
        marked = {str(m["student_id"]) for m in s.marks_by_lesson.get(lesson_id, [])}
        marked |= set(s.absence_by_lesson.get(lesson_id, {}))
        for sid in marked - known:
            if sid in s.students and (sid not in first_seen or day < first_seen[sid]):
                first_seen[sid] = day
    if not first_seen:
        return members
    extra = [(sid, Episode(group_id, day, None, "studying")) for sid, day in first_seen.items()]
    return sorted(
        members + extra,
        key=lambda kv: (
            str(s.students[kv[0]].get("last_name", "")),
            str(s.students[kv[0]].get("first_name", "")),
            str(s.students[kv[0]].get("middle_name") or ""),
        ),
    )


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _working_program(s: PooState, group_id: str, subject_id: str) -> Json | None:
    plan = s.plans.get((group_id, subject_id))
    if plan is None:
        return None
    topics = []
    for item in s.plan_items.get(str(plan["id"]), []):
        topics.append(
            {
                "sectionIndex": int(item.get("section") or 1),
                "index": int(item["ordinal"]),
                "name": item["topic"],
                "lessons": [
                    {
                        "id": s.ids.of("plan_item", item["id"]),
                        "type": lesson_type(item.get("work_kind")),
                        "duration": _number(item.get("hours")),
                        "name": item["topic"],
                    }
                ],
            }
        )
    return {"isApproved": True, "topics": topics}


# -- attestation ----------------------------------------------------------------------------


def group_attestation(s: PooState, group_id: str, period: dict[str, Any]) -> Json:
    start, end = _period_dates(period)
    members = s.members(group_id, start, end)
    in_group = {sid for sid, _ in members}
    by_subject: dict[str, dict[str, Json]] = defaultdict(dict)
    for mark in s.finals:
        if str(mark.get("period_id")) != str(period["id"]):
            continue
        student = str(mark["student_id"])
        if student not in in_group:
            continue
        if mark.get("group_id") and str(mark["group_id"]) != group_id:
            continue  # a transferred student's mark belongs to the sheet of the group that gave it
        word = mark_word(mark.get("value"))
        if word:
            by_subject[str(mark["subject_id"])][str(s.ids.of("person", student))] = {"value": word}
    subjects = []
    for subject_id in s.group_subjects(group_id, start, end):
        teacher = s.teacher_of(group_id, subject_id)
        subjects.append(
            {
                "id": s.ids.of("subject", subject_id),
                "name": s.subjects[subject_id]["name"],
                "examinationType": "DifferentiatedTest",
                "teacher": (
                    {"id": s.ids.of("person", teacher), **_person_name(s.persons[teacher])}
                    if teacher in s.persons
                    else None
                ),
                "marks": by_subject.get(subject_id, {}),
            }
        )
    group = s.groups[group_id]
    return {
        "termType": TERM_TYPES.get(str(period.get("period_kind")), "Semester"),
        "termNumber": period["number"],
        "year": group.get("course"),
        "departmentName": group.get("department") or "",
        "students": [
            {"id": s.ids.of("person", sid), **_person_name(s.students[sid])} for sid, _ in members
        ],
        "subjects": subjects,
        "profModules": [],
        "courseWorks": [],
    }


# -- the student's own views -----------------------------------------------------------------


def _room_id(name: str) -> int:
    return sum(ord(c) * (i + 1) for i, c in enumerate(name)) % 100_000


def student_lessons(
    s: PooState, student_id: str, start: dt.date, end: dt.date, version: str
) -> list[Json]:
    days = []
    day = start
    while day <= end:
        group = s.group_of_on(student_id, day)
        entries = []
        for lesson in s.lessons_by_group_day.get((group, day), []) if group else []:
            r = LessonRender(s, lesson)
            marks = r.marks.get(student_id, {})
            teacher_id = lesson.get("teacher_id")
            teacher = s.persons.get(str(teacher_id)) if teacher_id else None
            code = r.absences.get(student_id)
            entries.append(
                {
                    "startTime": wire_time(lesson.get("starts_at")) or "00:00",
                    "endTime": wire_time(lesson.get("ends_at")) or "00:00",
                    "name": s.subjects.get(str(lesson["subject_id"]), {}).get("name"),
                    "lessonId": str(r.pid),
                    "timetable": {
                        "classroom": _classroom(lesson.get("room"), version),
                        "teacher": (
                            {"id": s.ids.of("person", teacher_id), **_person_name(teacher)}
                            if teacher
                            else None
                        ),
                    },
                    "gradebook": {
                        "id": r.pid,
                        "lessonType": lesson_type(lesson.get("lesson_type")),
                        "themes": r.themes,
                        "absenceType": ABSENCE_TYPES.get(code) if code else None,
                        "tasks": [
                            {**task, **({"mark": marks[task["id"]]} if task["id"] in marks else {})}
                            for task in r.tasks
                        ],
                    },
                }
            )
        days.append(
            {
                "date": wire_datetime(day),
                "isHoliday": s.is_holiday(day),
                "isShort": False,
                "lessons": entries,
            }
        )
        day += dt.timedelta(days=1)
    return days


def _classroom(room: Any, version: str) -> Json:
    name = str(room) if room else "ДО"
    if version == "2024":
        return {"id": _room_id(name), "name": name, "building": "1"}
    return {"id": _room_id(name), "name": name, "buildingId": 1, "buildingName": "1"}


_MONTHS = [
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
]


def performance(s: PooState, student_id: str) -> Json:
    """The current term's marks and absences by subject and day (§5.2)."""
    group = s.group_of_on(student_id, s.today)
    period = s.period_on(group, s.today) if group else None
    if group is None or period is None:
        return {"monthsWithDays": [], "daysWithMarksForSubject": []}
    start, _ = _period_dates(period)
    months: dict[tuple[int, int], set[dt.date]] = defaultdict(set)
    subjects: dict[str, dict[dt.date, Json]] = defaultdict(dict)
    for (g, day), lessons in sorted(s.lessons_by_group_day.items(), key=lambda kv: kv[0][1]):
        if g != group or not start <= day <= s.today:
            continue
        months[(day.year, day.month)].add(day)
        for lesson in lessons:
            r = LessonRender(s, lesson)
            name = s.subjects.get(str(lesson["subject_id"]), {}).get("name", "")
            # asurso-api reads `markValues` as `MarkValue` (Two…Five only): the report's marks
            # are the numeric ones (the client's observed shape, poo-emulated.md §7).
            words = [w for w in r.marks.get(student_id, {}).values() if w in MARK_NUMBERS]
            code = r.absences.get(student_id)
            if not words and not code:
                continue
            entry = subjects[name].setdefault(day, {"day": wire_datetime(day), "markValues": []})
            entry["markValues"].extend(words)
            if code:
                entry["absenceType"] = ABSENCE_TYPES.get(code)
    out_subjects = []
    for name, days in sorted(subjects.items()):
        numbers = [
            MARK_NUMBERS[w] for d in days.values() for w in d["markValues"] if w in MARK_NUMBERS
        ]
        item: Json = {"subjectName": name, "daysWithMarks": [days[d] for d in sorted(days)]}
        if numbers:
            item["averageMark"] = round(sum(numbers) / len(numbers), 2)
        out_subjects.append(item)
    return {
        "monthsWithDays": [
            {
                "month": {"num": month, "name": _MONTHS[month - 1]},
                "daysWithLessons": [wire_datetime(d) for d in sorted(days)],
            }
            for (_, month), days in sorted(months.items())
        ],
        "daysWithMarksForSubject": out_subjects,
    }


def dashboard(s: PooState, student_id: str) -> Json:
    perf = performance(s, student_id)
    by_name = {sid: subj["name"] for sid, subj in s.subjects.items()}
    ids = {name: s.ids.of("subject", sid) for sid, name in by_name.items()}
    return {
        "subjects": [
            {
                "id": ids.get(item["subjectName"]),
                "name": item["subjectName"],
                "mark": item["averageMark"],
            }
            for item in perf["daysWithMarksForSubject"]
            if "averageMark" in item
        ]
    }


def attestation(s: PooState, student_id: str) -> Json:
    """Final term marks (§5.4): academic years by course, terms, subjects."""
    episodes: list[Episode] = s.episodes.get(student_id, [])
    groups = {ep.group_id for ep in episodes}
    years: dict[int, Json] = {}
    for group_id in sorted(groups):
        course = int(s.groups.get(group_id, {}).get("course") or 1)
        year = years.setdefault(
            course,
            {"id": 10 + course, "number": course, "termType": "Semester", "terms": []},
        )
        for period in s.group_periods(group_id):
            start, end = _period_dates(period)
            term = {
                "id": s.ids.gradebook(
                    s.ids.of("group", group_id), s.ids.of("period", period["id"])
                ),
                "number": period["number"],
                "isActive": start <= s.today <= end,
            }
            if term not in year["terms"]:
                year["terms"].append(term)
    subjects: dict[str, Json] = {}
    for mark in s.finals:
        if str(mark["student_id"]) != student_id:
            continue
        word = mark_word(mark.get("value"))
        group = s.group_of_on(student_id, s.today) or next(iter(groups), None)
        if word is None or group is None or mark.get("period_id") is None:
            continue
        period_pid = s.ids.get("period", mark["period_id"])
        if period_pid is None:
            continue
        name = s.subjects.get(str(mark["subject_id"]), {}).get("name", "")
        entry = subjects.setdefault(name, {"name": name, "marks": {}, "finalMark": {}})
        entry["marks"][str(s.ids.gradebook(s.ids.of("group", group), period_pid))] = {"value": word}
    return {"academicYears": list(years.values()), "subjects": list(subjects.values())}
