"""A late edit to an old lesson is seen by the scheduled re-read of the whole period.

Hand-built timeline on the small NetSchool world: a mark of 2 September is changed on
22 October.  Incremental syncs read two weeks back and cannot see it; the weekly re-read
(Sunday 25 October) does, and ``marks.edit.max_age`` (tpt, 30 days) judges it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

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
from scheduler.reread import RereadPolicy
from tests.netschool.conftest import config_for
from tests.netschool.worlds import DEPUTY_PASSWORD, TZ, D, world_dict

EDITED_AT = dt.datetime(2026, 10, 22, 12, 0, tzinfo=TZ)
MOMENTS = [
    D,  # Wednesday 14.10 18:00
    dt.datetime(2026, 10, 16, 21, 0, tzinfo=TZ),  # Friday
    dt.datetime(2026, 10, 22, 21, 0, tzinfo=TZ),  # Thursday, after the edit
    dt.datetime(2026, 10, 25, 21, 0, tzinfo=TZ),  # Sunday
]


def _old_mark_edited() -> tuple[World, str]:
    data: dict[str, Any] = world_dict()
    marks = data["tables"]["mark"]
    cols = marks["columns"]
    row = next(r for r in marks["rows"] if r[cols.index("date")] == "2026-09-02")
    mark_id = str(row[cols.index("id")])
    value = "2" if row[cols.index("value")] != "2" else "5"
    data["edits"]["rows"].append(["mark", mark_id, EDITED_AT.isoformat(), "value", value])
    return World.from_dict(data), value


@pytest.fixture
def edited() -> Iterator[tuple[RunningEmulator, str]]:
    world, value = _old_mark_edited()
    with start_emulator(world, as_of=D) as running:
        yield running, value


def test_weekly_reread_sees_an_edit_older_than_the_window(
    engine: Engine, edited: tuple[RunningEmulator, str]
) -> None:
    emulator, new_value = edited
    policy = RereadPolicy(timezone=str(TZ))
    full = policy.full_moments(MOMENTS)
    assert full == {MOMENTS[0], MOMENTS[1], MOMENTS[3]}
    tpt = load_profile("tpt")
    config = dataclasses.replace(config_for(emulator), window=Incremental.last_weeks(2))
    seen: list[list[dict[str, Any]]] = []
    for moment in MOMENTS:
        emulator.set_clock(moment)
        outcome = sync_netschool(engine, config, DEPUTY_PASSWORD, full=moment in full)
        assert outcome.status is RunStatus.SUCCEEDED, outcome.error
        run_check(engine, tpt, rules=["marks.edit.max_age"])
        seen.append(
            [
                v
                for v in list_violations(engine, rule_id="marks.edit.max_age")
                if v["evidence"].get("after") == new_value
                and str(v["evidence"].get("day", "")).startswith("2026-09-02")
            ]
        )
    # the incremental sync of Thursday reads from 8 October: the edit stays unseen
    assert seen[2] == []
    [violation] = seen[3]
    assert violation["verdict"] == "violated"
    assert violation["first_detected_at"].replace(tzinfo=dt.UTC) == MOMENTS[3].astimezone(dt.UTC)


def test_period_end_reread_is_the_last_sync_of_the_periods_last_day() -> None:
    moments = [dt.datetime(2026, 10, d, h, 0, tzinfo=TZ) for d in (26, 27, 28) for h in (15, 21)]
    policy = RereadPolicy(timezone=str(TZ), period_ends=(dt.date(2026, 10, 27),))
    # Monday 26 is the first sync; Tuesday 27 21:00 closes the quarter; Wednesday 28 21:00 is
    # the last sync of the week ending on Sunday 1 November
    assert policy.full_moments(moments) == {moments[0], moments[3], moments[5]}
