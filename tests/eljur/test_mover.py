"""A student who moves from 2А to 1А mid-term, pulled through the ЭлЖур emulator.

The diary is the student's: after the move, the 1А reading of their diary still
shows the 2А lessons they were marked at before (eljur-emulated.md §2).  Those
marks belong to 2А, the class whose timetable holds the lesson; judged as 1А
marks they would be grade-1 violations (mazanka 2.7).  Timeline on the generated
school: the student leaves 2А after Thursday 19.12.2024 and joins 1А on
Friday 20.12; their 2А marks from before stay, later 2А ones are dropped (they
were no longer there); one mark is put in 1А on 23.12 (a real violation).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from canonical import Lesson, Mark
from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.eljur.ids import ej_id
from emulators.eljur.server import start_emulator
from emulators.scenario.generate import generate
from emulators.scenario.world import World
from local_store.history import records_as_of
from local_store.runs import RunStatus
from local_store.violations import list_violations
from pipelines.eljur import sync_eljur
from policies.engine import run_check
from policies.profiles import load_profile
from tests.eljur.conftest import account
from tests.eljur.test_pull_equals_world import config_for

MOVE = "2024-12-20"
LATER = "2024-12-23"


def _rows(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    table = data["tables"][kind]
    return [dict(zip(table["columns"], r, strict=True)) for r in table["rows"]]


def _timeline() -> tuple[World, str, set[str], str]:
    """(world, the mover's ЭлЖур id, their old 2А lesson ids, the 1А lesson marked after)."""
    data: dict[str, Any] = generate("mazanka", 20, 2, 7)
    by_name = {g["name"]: g["id"] for g in _rows(data, "group")}
    old, new = by_name["2А"], by_name["1А"]
    lessons = {x["id"]: x for x in _rows(data, "lesson")}
    marks = _rows(data, "mark")

    def before(m: dict[str, Any]) -> bool:
        lesson = lessons.get(m["lesson_id"] or "")
        return lesson is not None and lesson["group_id"] == old and lesson["date"] < MOVE

    counts: dict[str, int] = {}
    for m in marks:
        if before(m):
            counts[m["student_id"]] = counts.get(m["student_id"], 0) + 1
    mover = max(sorted(counts), key=lambda s: counts[s])
    assert counts[mover] >= 3, "a 2А student with marks before the move"

    enrolments = data["tables"]["enrolment"]
    cols = enrolments["columns"]
    for row in enrolments["rows"]:
        if row[cols.index("student_id")] == mover and row[cols.index("group_id")] == old:
            row[cols.index("ends_on")] = "2024-12-19"
    moved = dict.fromkeys(cols)
    moved.update(
        id="en-mover",
        created_at="2024-12-19T15:00:00+03:00",
        student_id=mover,
        group_id=new,
        status="studying",
        starts_on=MOVE,
        order_number="501-к",
        order_date="2024-12-19",
    )
    enrolments["rows"].append([moved[c] for c in cols])

    # no 2А marks or absences after they left
    def keep(kind: str, row: list[Any]) -> bool:
        r = dict(zip(data["tables"][kind]["columns"], row, strict=True))
        lesson = lessons.get(r.get("lesson_id") or "")
        return not (
            r["student_id"] == mover
            and lesson is not None
            and lesson["group_id"] == old
            and lesson["date"] >= MOVE
        )

    for kind in ("mark", "absence"):
        table = data["tables"][kind]
        table["rows"] = [r for r in table["rows"] if keep(kind, r)]

    first = min(
        (x for x in lessons.values() if x["group_id"] == new and x["date"] == LATER),
        key=lambda x: x["number"],
    )
    mcols = data["tables"]["mark"]["columns"]
    row = dict.fromkeys(mcols)
    row.update(
        id="m-mover-1a",
        created_at=f"{LATER}T12:00:00+03:00",
        student_id=mover,
        subject_id=first["subject_id"],
        group_id=new,
        lesson_id=first["id"],
        date=LATER,
        value="5",
        scale="five_point",
        numeric=5.0,
        work_kind_id="wk-answer",
        teacher_id=first["teacher_id"],
    )
    data["tables"]["mark"]["rows"].append([row[c] for c in mcols])
    old_lessons = {
        str(ej_id("lesson", m["lesson_id"]))
        for m in marks
        if m["student_id"] == mover and before(m)
    }
    return (
        World.from_dict(data),
        str(ej_id("person", mover)),
        old_lessons,
        str(ej_id("lesson", first["id"])),
    )


def test_a_movers_marks_stay_with_the_class_whose_lesson_they_were_given_at(
    engine: Engine,
) -> None:
    world, mover, old_lessons, marked_in_1a = _timeline()
    deputy = account(world, "deputy")
    with start_emulator(world) as emu:
        emu.set_clock(dt.datetime(2024, 12, 27, 21, tzinfo=dt.timezone(dt.timedelta(hours=3))))
        outcome = sync_eljur(
            engine, config_for(emu, world), DEFAULT_DEVKEY, str(deputy["password"]), full=True
        )
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error

    assert mover in {r.source.external_id for r in records_as_of(engine, "person")}
    marks = [m for m in records_as_of(engine, "mark") if isinstance(m, Mark)]
    own = [m for m in marks if m.student_id == mover and m.lesson_id]
    by_lesson = {str(m.lesson_id): m.group_id for m in own}
    assert old_lessons <= by_lesson.keys(), "every old mark is read through the 1А diary"
    assert {by_lesson[x] for x in old_lessons} == {"2А"}, "old marks stay 2А's"
    assert by_lesson[marked_in_1a] == "1А"
    lessons = {
        r.source.external_id: r.group_id
        for r in records_as_of(engine, "lesson")
        if isinstance(r, Lesson)
    }
    assert all(lessons[x] == by_lesson[x] for x in by_lesson), "a mark's class is its lesson's"

    run_check(engine, load_profile("mazanka"), rules=["marks.first_grade.none"], full=True)
    flagged = {
        str(v["entity_key"])
        for v in list_violations(engine, rule_id="marks.first_grade.none", profile_id="mazanka")
        if v["verdict"] == "violated"
    }
    mine = {k for k in flagged if k.split("-")[1:2] == [mover]}
    assert mine == {k for k in flagged if k.startswith(f"{marked_in_1a}-{mover}-")}
    assert len(mine) == 1, "only the mark given in 1А after the move"
