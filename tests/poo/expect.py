"""What a pull should have found: the scenario's state, projected onto what ПОО can carry.

Built from ``World.state_as_of`` and the emulator's id numbering only (the
ids are the platform's, so a test must know them), never from the
emulator's rendering: a rendering bug shows up as a difference here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from canonical.base import Record
from emulators.poo.ids import Ids
from emulators.poo.render import task_type
from emulators.scenario.world import World
from local_store.history import records_as_of

PASS_FAIL = {"зч": "зч", "нз": "нз"}


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _time(value: Any) -> dt.time | None:
    if value is None:
        return None
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))


LESSON_KINDS = {
    "lecture", "practical", "laboratory", "control", "exam", "lesson", "self", "consultation",
    "seminar", "excursion", "composition", "business_game", "practical_training",
    "sport_standarts",
}  # fmt: skip
"""The canonical lesson and plan work kinds a ПОО lesson type carries back unchanged (the
vendor's types); anything else shows as «lesson».  A control work has no lesson type: a lesson
shows it as a ``Control`` task and comes back as «control»; a plan item cannot say it."""


def _kind(value: str | None) -> str:
    value = {
        "lab": "laboratory",
        "practice": "practical",
        "practical_work": "practical",
        "examination": "exam",
    }.get(value or "", value)
    return value if value in LESSON_KINDS else "lesson"


MARK_VALUES = {"2", "3", "4", "5", "зч", "нз"}
"""What ПОО's mark words carry (``markRatings``); other values («н/а», «1») have no word and
are not shown; nor is the absence code ОСВ (no ``absenceType`` for it).

Marks and absences of a person the platform does not hold yet (the scenario
lets a student attend before the card exists) cannot be shown either.
"""


SHOWN_ABSENCES = {"УП", "Б", "НП", "ОП", "ОТ"}


def _plan_kind(value: str | None) -> str | None:
    kind = _kind(value)
    return None if kind in ("lesson", "control") else kind


def expected(world: World, moment: dt.datetime) -> dict[str, Any]:
    ids = Ids(world)
    s = world.state_as_of(moment, platform="poo")
    today = moment.astimezone(ZoneInfo(world.timezone)).date()
    this_week = today - dt.timedelta(days=today.weekday())
    work_kinds = {k: r["name"] for k, r in s.kind("work_kind").items()}
    control_kinds = {k for k, r in s.kind("work_kind").items() if r.get("is_control")}
    semesters = {k: r for k, r in s.kind("period").items() if r["period_kind"] != "year"}
    control_items = {k for k, r in s.kind("plan_item").items() if r.get("work_kind") == "control"}
    control_lessons = {
        lid
        for lid, r in s.kind("lesson").items()
        if r.get("lesson_type") == "control" or r.get("plan_item_id") in control_items
    }
    for r in s.kind("mark").values():
        kind = s.kind("work_kind").get(str(r.get("work_kind_id") or ""), {})
        name = str(r.get("work_kind_name") or kind.get("name") or "")
        if (
            r.get("lesson_id")
            and str(r["value"]) in MARK_VALUES
            and task_type(name, bool(kind.get("is_control"))) == "Control"
        ):
            control_lessons.add(str(r["lesson_id"]))

    def pulled_week(day: Any) -> bool:
        date = _date(day)
        assert date is not None
        return date - dt.timedelta(days=date.weekday()) <= this_week

    def kind_name(mark: dict[str, Any]) -> str:
        return str(
            mark.get("work_kind_name")
            or work_kinds.get(str(mark.get("work_kind_id") or ""))
            or "Работа на занятии"
        )

    def period_key(period_id: str) -> str:
        period = semesters[period_id]
        start = _date(period["starts_on"])
        assert start is not None
        year = start.year if start.month >= 8 else start.year - 1
        return f"{year}-Semester-{period['number']}"

    def person(pid: Any) -> str:
        return f"student:{ids.of('person', pid)}"

    def ref(kind: str, value: Any) -> str | None:
        return str(ids.of(kind, value)) if value is not None else None

    teacher_of = {
        (r["group_id"], r["subject_id"]): r["teacher_id"]
        for r in s.kind("teaching_assignment").values()
    }
    lessons = {
        str(ids.of("lesson", lid)): (
            ref("group", r["group_id"]),
            ref("subject", r["subject_id"]),
            _date(r["date"]),
            _time(r.get("starts_at")),
            _time(r.get("ends_at")),
            r.get("topic"),
            float(r["hours"]) if r.get("hours") is not None else None,
            r.get("room"),
            ref("plan_item", r.get("plan_item_id")),
            "control" if lid in control_lessons else _kind(r.get("lesson_type")),
            f"employee:{ids.of('person', r.get('teacher_id') or teacher_of[(r['group_id'], r['subject_id'])])}",
        )
        for lid, r in s.kind("lesson").items()
        if pulled_week(r["date"])
    }
    lesson_ids = {lid for lid, r in s.kind("lesson").items() if pulled_week(r["date"])}
    marks = Counter(
        (
            person(r["student_id"]),
            ref("lesson", r["lesson_id"]),
            str(r["value"]),
            kind_name(r),
            str(r.get("work_kind_id") or "") in control_kinds,
        )
        for r in s.kind("mark").values()
        if not r.get("final_kind")
        and r.get("lesson_id") in lesson_ids
        and str(r["value"]) in MARK_VALUES
        and r["student_id"] in s.kind("person")
    )
    finals = {
        (
            person(r["student_id"]),
            ref("subject", r["subject_id"]),
            str(r["value"]),
            period_key(r["period_id"]),
        )
        for r in s.kind("mark").values()
        if r.get("final_kind")
        and r.get("period_id") in semesters
        and str(r["value"]) in MARK_VALUES
    }
    absences = {
        (ref("lesson", r["lesson_id"]), person(r["student_id"])): r["code"]
        for r in s.kind("absence").values()
        if r.get("lesson_id") in lesson_ids
        and r["student_id"] in s.kind("person")
        and r["code"] in SHOWN_ABSENCES
    }
    for r in s.kind("absence").values():
        if (
            r.get("lesson_id")
            or r["student_id"] not in s.kind("person")
            or r["code"] not in SHOWN_ABSENCES
        ):
            continue
        day = _date(r["date"])
        groups = {
            e["group_id"]
            for e in s.kind("enrolment").values()
            if e["student_id"] == r["student_id"]
            and _date(e["starts_on"]) <= day  # type: ignore[operator]
            and (e.get("ends_on") is None or _date(e["ends_on"]) >= day)  # type: ignore[operator]
        }
        for lid in lesson_ids:
            lesson = s.kind("lesson")[lid]
            if lesson["group_id"] in groups and _date(lesson["date"]) == day:
                key = (ref("lesson", lid), person(r["student_id"]))
                absences.setdefault(key, r["code"])
    homework = Counter(
        (ref("lesson", r["lesson_id"]), r["text"])
        for r in s.kind("homework").values()
        if r["lesson_id"] in lesson_ids
    )
    students = {
        person(pid): (
            r["last_name"], r["first_name"], r.get("middle_name") or "", _date(r.get("birth_date")),
            r.get("snils"), r.get("document_number"), r.get("sex"),
        )
        for pid, r in s.kind("person").items()
        if "student" in r["roles"]
    }  # fmt: skip
    orders = {
        str(ids.of("movement_order", oid)): (
            person(r["student_id"]), r["movement"], r["number"] or "", _date(r["order_date"]),
            _date(r["effective_date"]), ref("group", r.get("from_group_id")),
            ref("group", r.get("to_group_id")),
        )
        for oid, r in s.kind("movement_order").items()
    }  # fmt: skip
    plan_items = {
        str(ids.of("plan_item", iid)): (
            f"{ids.of('group', s.kind('plan')[r['plan_id']]['group_id'])}:"
            f"{ids.of('subject', s.kind('plan')[r['plan_id']]['subject_id'])}",
            int(r["ordinal"]), r["topic"], float(r["hours"]), _plan_kind(r.get("work_kind")),
        )
        for iid, r in s.kind("plan_item").items()
    }  # fmt: skip
    return {
        "lesson": lessons,
        "mark": marks,
        "final": finals,
        "absence": absences,
        "homework": homework,
        "student": students,
        "movement_order": orders,
        "plan_item": plan_items,
    }


def pulled(engine: Engine, run_id: int | None = None) -> dict[str, Any]:
    def rec(kind: str) -> list[Any]:
        out: list[Record] = records_as_of(engine, kind, run_id)
        return out

    lessons = {
        r.source.external_id: (
            r.group_id, r.subject_id, r.date, r.starts_at, r.ends_at, r.topic, r.hours, r.room,
            r.plan_item_id, r.lesson_type, r.teacher_id,
        )
        for r in rec("lesson")
    }  # fmt: skip
    marks_all = rec("mark")
    control = {k.source.external_id for k in rec("work_kind") if k.is_control}
    marks = Counter(
        (m.student_id, m.lesson_id, m.value, m.work_kind_name, m.work_kind_id in control)
        for m in marks_all
        if m.final_kind is None
    )
    finals = {(m.student_id, m.subject_id, m.value, m.period_id) for m in marks_all if m.final_kind}
    absences = {(a.lesson_id, a.student_id): a.code.value for a in rec("absence")}
    homework = Counter((h.lesson_id, h.text) for h in rec("homework"))
    students = {
        p.source.external_id: (
            p.last_name, p.first_name, p.middle_name, p.birth_date, p.snils,
            p.document_number, p.sex.value if p.sex else None,
        )
        for p in rec("person")
        if p.source.external_id.startswith("student:")
    }  # fmt: skip
    orders = {
        o.source.external_id: (
            o.student_id, o.movement.value, o.number, o.order_date, o.effective_date,
            o.from_group_id, o.to_group_id,
        )
        for o in rec("movement_order")
    }  # fmt: skip
    plan_items = {
        i.source.external_id: (i.plan_id, i.ordinal, i.topic, i.hours, i.work_kind)
        for i in rec("plan_item")
    }
    return {
        "lesson": lessons,
        "mark": marks,
        "final": finals,
        "absence": absences,
        "homework": homework,
        "student": students,
        "movement_order": orders,
        "plan_item": plan_items,
    }


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    for kind in want:
        assert got[kind] == want[kind], f"{kind}: pulled differs from the scenario"
