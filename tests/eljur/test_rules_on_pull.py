"""mazanka's rules judged on what the ЭлЖур connector stored, with hand-made timelines.

ЭлЖур shows no entry times: every verdict below rests on the run that first saw a
record.  The plan pulls at the regulation's 20:00 deadline and at 21:00 each
day (the evidence plan pulls at 20:00 too), so "in time" and "late" are decided.
Timeline (Europe/Simferopol), lessons of Tuesday 17.12.2024:
- an answer mark at 19:30 (in time) and one at 20:30 (late, 3.5.2);
- control-work marks of a 5th-11th grade class 3 working days later (in time) and 7 later
  (late, 3.5.11: five working days);
- a mark in grade 1 (2.7: no marks there);
- the in-time mark changed the next morning (2.8.1: corrections by 20:00 the same day);
- the in-time control-work mark changed on 30.12, after the quarter closed (2.8.5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.eljur.ids import ej_id
from emulators.eljur.server import RunningEmulator, start_emulator
from emulators.scenario.generate import generate
from emulators.scenario.world import World
from local_store.runs import RunStatus
from local_store.violations import list_violations
from pipelines.eljur import sync_eljur
from pipelines.window import Incremental
from policies.engine import run_check
from policies.profiles import load_profile
from tests.eljur.conftest import account
from tests.eljur.test_pull_equals_world import config_for

TZ = dt.timezone(dt.timedelta(hours=3))
DAY = "2024-12-17"


def _at(day: str, hm: str) -> str:
    return dt.datetime.fromisoformat(f"{day}T{hm}:00+03:00").isoformat()


def _rows(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    table = data["tables"][kind]
    return [dict(zip(table["columns"], r, strict=True)) for r in table["rows"]]


def _timeline() -> tuple[World, dict[str, tuple[str, str]]]:
    """The generated school plus the hand-made marks; returns (world, name → (lesson, student))."""
    data: dict[str, Any] = generate("mazanka", 20, 2, 7)
    groups = {g["id"]: g for g in _rows(data, "group")}
    lessons = [x for x in _rows(data, "lesson") if x["date"] == DAY]
    marks = _rows(data, "mark")
    students: dict[str, list[str]] = {}
    for e in _rows(data, "enrolment"):
        if e["status"] == "studying" and e["ends_on"] is None:
            students.setdefault(e["group_id"], []).append(e["student_id"])
    marked = {(m["lesson_id"], m["student_id"]) for m in marks}

    def pick(grade_ok: Any, count: int) -> tuple[list[dict[str, Any]], list[str]]:
        for group_id, group in sorted(groups.items()):
            own = sorted(
                (x for x in lessons if x["group_id"] == group_id), key=lambda x: x["number"]
            )
            kids = students.get(group_id, [])
            if grade_ok(group["grade"]) and len(own) >= count and len(kids) >= 2:
                free = [s for s in kids if all((x["id"], s) not in marked for x in own[:count])]
                if len(free) >= 2:
                    return own[:count], free[:2]
        raise AssertionError("no class fits the timeline")

    (plain, control), (a, b) = pick(lambda g: g >= 5, 2)
    (first,), (c, _) = pick(lambda g: g == 1, 1)
    table = data["tables"]["mark"]
    cols = table["columns"]
    plan: dict[str, tuple[dict[str, Any], str, str, str]] = {
        "in_time": (plain, a, "wk-answer", _at(DAY, "19:30")),
        "late": (plain, b, "wk-answer", _at(DAY, "20:30")),
        "control_in_time": (control, a, "wk-control", _at("2024-12-20", "12:00")),
        "control_late": (control, b, "wk-control", _at("2024-12-26", "12:00")),
        "first_grade": (first, c, "wk-answer", _at(DAY, "12:00")),
    }
    made: dict[str, tuple[str, str]] = {}
    for name, (lesson, student, kind, entered) in plan.items():
        row: dict[str, Any] = dict.fromkeys(cols)
        row.update(
            id=f"m-hand-{name}",
            created_at=entered,
            student_id=student,
            subject_id=lesson["subject_id"],
            group_id=lesson["group_id"],
            lesson_id=lesson["id"],
            date=DAY,
            value="4",
            scale="five_point",
            numeric=4.0,
            work_kind_id=kind,
            teacher_id=lesson["teacher_id"],
        )
        table["rows"].append([row[c_] for c_ in cols])
        made[name] = (str(ej_id("lesson", lesson["id"])), str(ej_id("person", student)))
    fix = _at("2024-12-18", "10:00")
    locked = _at("2024-12-30", "10:00")
    data["edits"]["rows"] += [
        ["mark", "m-hand-in_time", fix, "value", "5"],
        ["mark", "m-hand-in_time", fix, "numeric", 5.0],
        ["mark", "m-hand-control_in_time", locked, "value", "3"],
        ["mark", "m-hand-control_in_time", locked, "numeric", 3.0],
    ]
    return World.from_dict(data), made


@pytest.fixture(scope="module")
def timeline() -> tuple[World, dict[str, tuple[str, str]]]:
    return _timeline()


@pytest.fixture
def emulator(timeline: tuple[World, dict[str, tuple[str, str]]]) -> Iterator[RunningEmulator]:
    with start_emulator(timeline[0]) as running:
        yield running


def _plan() -> list[dt.datetime]:
    moments = []
    day = dt.date(2024, 12, 16)
    while day <= dt.date(2024, 12, 28):
        for hour in (20, 21):
            moments.append(dt.datetime.combine(day, dt.time(hour), TZ))
        day += dt.timedelta(days=1)
    return [
        *moments,
        dt.datetime(2024, 12, 29, 21, tzinfo=TZ),
        dt.datetime(2024, 12, 30, 21, tzinfo=TZ),
    ]


def _keys(engine: Engine, rule_id: str) -> set[str]:
    return {
        str(v["entity_key"])
        for v in list_violations(engine, rule_id=rule_id, profile_id="mazanka")
        if v["verdict"] == "violated"
    }


def _hits(keys: set[str], lesson_student: tuple[str, str]) -> bool:
    lesson, student = lesson_student
    return any(k.startswith(f"{lesson}-{student}-") for k in keys)


def test_mark_rules_on_eljur_data_with_a_20_00_and_a_21_00_pull(
    engine: Engine,
    timeline: tuple[World, dict[str, tuple[str, str]]],
    emulator: RunningEmulator,
) -> None:
    world, made = timeline
    deputy = account(world, "deputy")
    config = config_for(emulator, world, window=Incremental(10))
    for index, moment in enumerate(_plan()):
        emulator.set_clock(moment)
        outcome = sync_eljur(
            engine, config, DEFAULT_DEVKEY, str(deputy["password"]), full=index == 0
        )
        assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    run_check(engine, load_profile("mazanka"), full=True)

    deadline = _keys(engine, "marks.deadline")
    assert _hits(deadline, made["late"]), "entered 20:30, first seen 21:00 after a 20:00 pull"
    assert not _hits(deadline, made["in_time"]), "seen by the 20:00 pull"
    assert not _hits(deadline, made["control_late"]), "a control work has its own deadline"

    control = _keys(engine, "marks.control_work.deadline")
    assert _hits(control, made["control_late"]), "seven working days: late"
    assert not _hits(control, made["control_in_time"]), "three working days: in time"

    assert _hits(_keys(engine, "marks.first_grade.none"), made["first_grade"])
    corrections = _keys(engine, "marks.correction.window")
    assert _hits(corrections, made["in_time"]), "changed the next morning"
    assert not _hits(corrections, made["late"]), "never changed"
    locks = _keys(engine, "period.lock")
    assert _hits(locks, made["control_in_time"]), "changed on 30.12, after the 2nd quarter"
    assert not _hits(locks, made["in_time"]), "changed inside the quarter"
