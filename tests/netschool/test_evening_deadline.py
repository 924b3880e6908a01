"""A 20:00 deadline on NetSchool data, at the second (emulator → connector → store → check).

mazanka: current marks are entered by 20:00 of the lesson day, judged in the profile's zone
(Europe/Simferopol; the small NetSchool world keeps Барнаул's clock, four hours ahead, so
20:00 there is midnight in the world).  Hand-built timeline: two answers for class 5А's lesson
of Thursday 15 October, one entered at 20:00:00, the other at 20:00:01.  Syncs at D, at
20:00:00 that evening and the next evening.  The first mark is in time, the second is the
day's one violation, decided, not «possibly».
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from emulators.netschool.server import RunningEmulator, start_emulator
from emulators.scenario.world import World
from local_store.runs import RunStatus
from local_store.violations import list_violations
from pipelines.netschool import sync_netschool
from pipelines.window import Incremental
from policies.engine import run_check
from policies.profiles import load_profile
from tests.netschool.conftest import config_for
from tests.netschool.worlds import DEPUTY_PASSWORD, D, world_dict

MAZANKA = load_profile("mazanka")
DAY = dt.date(2026, 10, 15)
EVENING = dt.datetime(2026, 10, 15, 20, 0, tzinfo=ZoneInfo(MAZANKA.timezone))
ON_TIME, LATE = "m-at-20", "m-after-20"


def _world() -> World:
    data: dict[str, Any] = world_dict()
    lessons = data["tables"]["lesson"]
    lcols = lessons["columns"]
    lesson = min(
        (
            dict(zip(lcols, r, strict=True))
            for r in lessons["rows"]
            if r[lcols.index("date")] == DAY.isoformat() and r[lcols.index("group_id")] == "g5a"
        ),
        key=lambda r: (r["number"], r["id"]),
    )
    marks = data["tables"]["mark"]
    mcols = marks["columns"]
    template = next(
        dict(zip(mcols, r, strict=True)) for r in marks["rows"] if r[mcols.index("id")] == "m-late"
    )
    # the lesson's own marks go: the day's verdicts are the two below
    marks["rows"] = [r for r in marks["rows"] if r[mcols.index("lesson_id")] != lesson["id"]]
    for mark_id, student, entered in (
        (ON_TIME, "s1", EVENING),
        (LATE, "s2", EVENING + dt.timedelta(seconds=1)),
    ):
        row = dict(template)
        row.update(
            id=mark_id,
            student_id=student,
            subject_id=lesson["subject_id"],
            group_id="g5a",
            lesson_id=lesson["id"],
            date=DAY.isoformat(),
            value="4",
            work_kind_id="wk-ans",
            teacher_id=lesson["teacher_id"],
            created_at=entered.isoformat(),
            entered_at=entered.isoformat(),
        )
        marks["rows"].append([row[c] for c in mcols])
    return World.from_dict(data)


@pytest.fixture
def evening() -> Iterator[RunningEmulator]:
    with start_emulator(_world(), as_of=D) as running:
        yield running


def test_a_mark_at_20_00_00_is_in_time_and_at_20_00_01_late(
    engine: Engine, evening: RunningEmulator
) -> None:
    for moment in (D, EVENING, EVENING + dt.timedelta(days=1)):
        evening.set_clock(moment)
        config = dataclasses.replace(config_for(evening), window=Incremental.last_weeks(2))
        outcome = sync_netschool(engine, config, DEPUTY_PASSWORD, full=moment == D)
        assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    run_check(engine, MAZANKA, rules=["marks.deadline"])
    on_day = [
        v
        for v in list_violations(engine, rule_id="marks.deadline", profile_id="mazanka")
        if v["evidence"].get("day") == DAY.isoformat()
    ]
    late = (EVENING + dt.timedelta(seconds=1)).astimezone(dt.UTC).isoformat()
    assert [str(v["evidence"]["source_entered_at"]) for v in on_day] == [late], [
        (v["verdict"], v["evidence"]) for v in on_day
    ]
    assert on_day[0]["verdict"] == "violated"
    assert on_day[0]["evidence"]["deadline"] == EVENING.astimezone(dt.UTC).isoformat()
