"""A scenario's state at the emulator's clock, indexed the way the ПОО endpoints read it.

Built once per clock value (a college-year has a million marks), then every
request is a few dictionary look-ups.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from emulators.poo.formats import optional_date, parse_value_date
from emulators.poo.ids import Ids
from emulators.scenario.world import World

PLATFORM = "poo"
STAFF_ROLES = frozenset(
    {
        "teacher",
        "class_teacher",
        "deputy",
        "administrator",
        "secretary",
        "head_of_department",
        "director",
    }
)


@dataclass(frozen=True)
class Episode:
    """A student in a group from one date to another (inclusive; ``None`` = open)."""

    group_id: str
    starts_on: dt.date
    ends_on: dt.date | None
    status: str

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.starts_on <= end and (self.ends_on is None or self.ends_on >= start)

    def covers(self, day: dt.date) -> bool:
        return self.overlaps(day, day)


def roles_of(row: dict[str, Any]) -> set[str]:
    roles = row.get("roles") or ()
    if isinstance(roles, str):
        roles = [roles]
    return {str(r) for r in roles}


def _sort_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["created_at"], str(row["id"]))


class PooState:
    """Everything the endpoints need, as of one moment."""

    def __init__(self, world: World, ids: Ids, moment: dt.datetime) -> None:
        self.ids = ids
        self.moment = moment
        self.zone = ZoneInfo(world.timezone)
        self.today = moment.astimezone(self.zone).date()
        state = world.state_as_of(moment, platform=PLATFORM)
        k = state.kind
        self.institution = next(iter(k("institution").values()), {})
        self.persons = k("person")
        self.groups = k("group")
        self.subjects = k("subject")
        self.work_kinds = k("work_kind")
        self.years = k("school_year")
        self.periods = sorted(
            (p for p in k("period").values() if p.get("period_kind") != "year"),
            key=lambda p: (parse_value_date(p["starts_on"]), str(p["id"])),
        )
        self.holidays = [
            (parse_value_date(h["starts_on"]), parse_value_date(h["ends_on"]))
            for h in k("holiday").values()
        ]
        self.students = {i: p for i, p in self.persons.items() if "student" in roles_of(p)}
        self.employees = {i: p for i, p in self.persons.items() if roles_of(p) & STAFF_ROLES}

        self.orders_by_student: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for order in k("movement_order").values():
            self.orders_by_student[str(order["student_id"])].append(order)
        for orders in self.orders_by_student.values():
            orders.sort(key=lambda o: (parse_value_date(o["effective_date"]), str(o["id"])))

        self.episodes: dict[str, list[Episode]] = defaultdict(list)
        for row in k("enrolment").values():
            self.episodes[str(row["student_id"])].append(
                Episode(
                    str(row["group_id"]),
                    parse_value_date(row["starts_on"]),
                    optional_date(row.get("ends_on")),
                    str(row.get("status") or "studying"),
                )
            )
        for student_id, orders in self.orders_by_student.items():
            if student_id not in self.episodes:
                self.episodes[student_id] = _episodes_from_orders(orders)
        for eps in self.episodes.values():
            eps.sort(key=lambda e: e.starts_on)

        self.parents_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.children_of: dict[str, list[str]] = defaultdict(list)
        for link in k("parent_link").values():
            self.parents_of[str(link["child_id"])].append(link)
            self.children_of[str(link["parent_id"])].append(str(link["child_id"]))

        self.assignments: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for ta in sorted(k("teaching_assignment").values(), key=_sort_key):
            self.assignments[str(ta["group_id"])].append(ta)

        self.plans: dict[tuple[str, str], dict[str, Any]] = {}
        for plan in sorted(k("plan").values(), key=_sort_key):
            self.plans.setdefault((str(plan["group_id"]), str(plan["subject_id"])), plan)
        self.plan_items: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.plan_item_by_id = k("plan_item")
        control = [
            (sid, row) for sid, row in sorted(k("work_kind").items()) if row.get("is_control")
        ]
        named = [c for c in control if "контрольн" in str(c[1].get("name", "")).lower()]
        chosen = named or control
        self.control_kind: tuple[str, dict[str, Any]] | None = chosen[0] if chosen else None
        """The kind of work a planned control work's task stands for (its slot and name)."""
        for item in k("plan_item").values():
            self.plan_items[str(item["plan_id"])].append(item)
        for items in self.plan_items.values():
            items.sort(key=lambda i: (int(i["ordinal"]), str(i["id"])))

        self.lessons = k("lesson")
        self.lessons_by_group_subject: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(
            list
        )
        self.lessons_by_group_day: dict[tuple[str, dt.date], list[dict[str, Any]]] = defaultdict(
            list
        )
        for lesson in self.lessons.values():
            day = parse_value_date(lesson["date"])
            group = str(lesson["group_id"])
            self.lessons_by_group_subject[(group, str(lesson["subject_id"]))].append(lesson)
            self.lessons_by_group_day[(group, day)].append(lesson)
        for bucket in (self.lessons_by_group_subject, self.lessons_by_group_day):
            for lessons in bucket.values():
                lessons.sort(key=_lesson_order)

        self.homework_by_lesson: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for hw in sorted(k("homework").values(), key=_sort_key):
            self.homework_by_lesson[str(hw["lesson_id"])].append(hw)

        self.marks_by_lesson: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.finals: list[dict[str, Any]] = []
        for mark in sorted(k("mark").values(), key=_sort_key):
            if mark.get("final_kind"):
                self.finals.append(mark)
            elif mark.get("lesson_id"):
                self.marks_by_lesson[str(mark["lesson_id"])].append(mark)

        self.absence_by_lesson: dict[str, dict[str, str]] = defaultdict(dict)
        self.absence_by_day: dict[dt.date, dict[str, str]] = defaultdict(dict)
        """Day-long absences (no lesson): date → student → code."""
        for absence in sorted(k("absence").values(), key=_sort_key):
            student = str(absence["student_id"])
            code = str(absence["code"])
            if absence.get("lesson_id"):
                self.absence_by_lesson[str(absence["lesson_id"])][student] = code
            else:
                self.absence_by_day[parse_value_date(absence["date"])][student] = code

    # -- people --------------------------------------------------------------------------

    def current_episode(self, student_id: str) -> Episode | None:
        eps = self.episodes.get(student_id, [])
        for ep in reversed(eps):
            if ep.covers(self.today):
                return ep
        past = [e for e in eps if e.starts_on <= self.today]
        return past[-1] if past else None

    def is_active(self, student_id: str) -> bool:
        ep = self.current_episode(student_id)
        return ep is not None and ep.covers(self.today) and ep.status == "studying"

    def members(self, group_id: str, start: dt.date, end: dt.date) -> list[tuple[str, Episode]]:
        """Students who belonged to the group at some day of [start, end], by name."""
        found: dict[str, Episode] = {}
        for student_id, eps in self.episodes.items():
            if student_id not in self.students:
                continue
            for ep in eps:
                if ep.group_id == group_id and ep.overlaps(start, end):
                    found.setdefault(student_id, ep)
        return sorted(found.items(), key=lambda kv: _name_key(self.students[kv[0]]))

    def group_of_on(self, student_id: str, day: dt.date) -> str | None:
        for ep in self.episodes.get(student_id, []):
            if ep.covers(day):
                return ep.group_id
        return None

    def group_periods(self, group_id: str) -> list[dict[str, Any]]:
        year = self.groups.get(group_id, {}).get("year_id")
        return [p for p in self.periods if year is None or p.get("year_id") in (None, year)]

    def period_on(self, group_id: str, day: dt.date) -> dict[str, Any] | None:
        for period in self.group_periods(group_id):
            if parse_value_date(period["starts_on"]) <= day <= parse_value_date(period["ends_on"]):
                return period
        return None

    def is_holiday(self, day: dt.date) -> bool:
        week_days = int(self.institution.get("week_days") or 5)
        if day.isoweekday() > week_days:
            return True
        return any(start <= day <= end for start, end in self.holidays)

    def employee_short_name(self, person_id: str | None) -> str:
        person = self.persons.get(str(person_id)) if person_id else None
        if not person:
            return ""
        initials = "".join(
            f"{part[0]}." for part in (person.get("first_name"), person.get("middle_name")) if part
        )
        return f"{person['last_name']} {initials}".strip()

    def teacher_of(self, group_id: str, subject_id: str) -> str | None:
        for ta in self.assignments.get(group_id, []):
            if str(ta["subject_id"]) == subject_id:
                return str(ta["teacher_id"])
        return None

    def group_subjects(self, group_id: str, start: dt.date, end: dt.date) -> list[str]:
        subjects: dict[str, None] = {}
        for ta in self.assignments.get(group_id, []):
            subjects[str(ta["subject_id"])] = None
        for (group, subject), lessons in self.lessons_by_group_subject.items():
            if group == group_id and any(
                start <= parse_value_date(lesson["date"]) <= end for lesson in lessons
            ):
                subjects[subject] = None
        return sorted(
            (s for s in subjects if s in self.subjects), key=lambda s: self.ids.of("subject", s)
        )


def _lesson_order(lesson: dict[str, Any]) -> tuple[Any, ...]:
    return (
        parse_value_date(lesson["date"]),
        str(lesson.get("starts_at") or ""),
        int(lesson.get("number") or 0),
        str(lesson["id"]),
    )


def _name_key(person: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(person.get("last_name", "")),
        str(person.get("first_name", "")),
        str(person.get("middle_name") or ""),
    )


def _episodes_from_orders(orders: Iterable[dict[str, Any]]) -> list[Episode]:
    """Episodes when a scenario has orders but no enrolment table."""
    episodes: list[Episode] = []
    current: tuple[str, dt.date] | None = None
    for order in orders:
        day = parse_value_date(order["effective_date"])
        movement = str(order["movement"])
        if current is not None and movement != "return":
            ends = day - dt.timedelta(days=1)
            status = {
                "expulsion": "expelled",
                "graduation": "graduated",
                "academic_leave": "academic_leave",
            }.get(movement, "transferred_out")
            episodes.append(Episode(current[0], current[1], ends, status))
            current = None
        target = order.get("to_group_id") or (
            order.get("from_group_id") if movement == "return" else None
        )
        if movement in ("enrolment", "transfer", "return") and target:
            current = (str(target), day)
    if current is not None:
        episodes.append(Episode(current[0], current[1], None, "studying"))
    return episodes
