"""Mark rules judged on what the NetSchool connector really stored (emulator → connector → store).

A hand-built timeline on the small test world: syncs at D (14.10 18:00), D+6 and D+10; two
marks for a lesson of 12 October entered after D, one an answer, one a control work.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from emulators.netschool.server import RunningEmulator, start_emulator
from emulators.scenario.world import World
from local_store.runs import RunStatus
from local_store.schema import version_table
from local_store.violations import list_violations
from pipelines.netschool import sync_netschool
from pipelines.window import Incremental
from policies.engine import run_check
from policies.profiles import load_profile
from tests.netschool.conftest import config_for
from tests.netschool.worlds import DEPUTY_PASSWORD, D, world_dict

LATE_ANSWER = "m-late-answer"
LATE_CONTROL = "m-late-control"


def _with_late_marks() -> World:
    data: dict[str, Any] = world_dict()
    lessons = data["tables"]["lesson"]
    lcols = lessons["columns"]
    lesson = next(
        dict(zip(lcols, r, strict=True))
        for r in lessons["rows"]
        if r[lcols.index("date")] == "2026-10-12" and r[lcols.index("group_id")] == "g5a"
    )
    marks = data["tables"]["mark"]
    mcols = marks["columns"]
    template = next(
        dict(zip(mcols, r, strict=True)) for r in marks["rows"] if r[mcols.index("id")] == "m-late"
    )
    student = "s1"
    for mark_id, kind, entered in (
        (LATE_ANSWER, "wk-ans", D + dt.timedelta(days=1)),
        (LATE_CONTROL, "wk-kr", D + dt.timedelta(days=9)),
    ):
        row = dict(template)
        row.update(
            id=mark_id,
            student_id=student,
            subject_id=lesson["subject_id"],
            group_id="g5a",
            lesson_id=lesson["id"],
            date="2026-10-12",
            value="3",
            work_kind_id=kind,
            teacher_id=lesson["teacher_id"],
            created_at=entered.isoformat(),
            entered_at=entered.isoformat(),
        )
        marks["rows"].append([row[c] for c in mcols])
    return World.from_dict(data)


@pytest.fixture
def late_emulator() -> Iterator[RunningEmulator]:
    with start_emulator(_with_late_marks(), as_of=D) as running:
        yield running


def _sync_at(engine: Engine, emulator: RunningEmulator, moment: dt.datetime) -> None:
    emulator.set_clock(moment)
    config = dataclasses.replace(config_for(emulator), window=Incremental.last_weeks(5))
    outcome = sync_netschool(engine, config, DEPUTY_PASSWORD, full=moment == D)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error


def test_control_work_flag_and_mark_deadlines_on_netschool_data(
    engine: Engine, late_emulator: RunningEmulator
) -> None:
    for moment in (D, D + dt.timedelta(days=6), D + dt.timedelta(days=10)):
        _sync_at(engine, late_emulator, moment)
    kinds = version_table("work_kind")
    with engine.connect() as conn:
        flags = {
            str(name): control
            for name, control in conn.execute(
                select(kinds.c.f_name, kinds.c.f_is_control).where(
                    kinds.c.superseded_run_id.is_(None)
                )
            )
        }
    assert flags["Контрольная работа"] is True
    assert flags["Ответ на уроке"] is False

    # mazanka: current marks by 20:00 of the lesson day, control works within 5 working days
    # for grade 5; both rules on, so a mark of a lesson with no plan item and no lesson type
    # must still be judged by ``marks.deadline``.
    run_check(engine, load_profile("mazanka"), full=True)
    answer_at = (D + dt.timedelta(days=1)).astimezone(dt.UTC).isoformat()
    control_at = (D + dt.timedelta(days=9)).astimezone(dt.UTC).isoformat()
    assert _entered(engine, "marks.deadline") >= {answer_at}
    assert control_at not in _entered(engine, "marks.deadline")
    assert _entered(engine, "marks.control_work.deadline") == {control_at}


def _entered(engine: Engine, rule_id: str) -> set[str]:
    """Source entry times of the rule's violations of lesson day 12.10 (the hand-built marks)."""
    return {
        str(v["evidence"]["source_entered_at"])
        for v in list_violations(engine, rule_id=rule_id, profile_id="mazanka")
        if v["verdict"] == "violated" and v["evidence"].get("day") == "2026-10-12"
    }
