"""The deadline boundary through the real path, on the plan ``sverka schedule plan`` derives.

talmenka (2.8): homework within 1.5 hours after the class's last lesson.  On Thursday
15 October class 5А's last lesson ends at 10:55, so the deadline is 12:25.  One homework is
entered at 12:25:00 exactly, another at 12:25:01.  The plan puts a sync at 12:25 for the
class: the first is met, the second violated, and neither stays «possibly».  The same holds
when the plan's group syncs pull only their classes' current week (as the demo does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from emulators.netschool.ids import ns_id
from emulators.netschool.server import RunningEmulator, start_emulator
from emulators.scenario.world import World
from local_store.runs import RunStatus
from local_store.schema import run_scope
from local_store.violations import list_violations
from pipelines.netschool import sync_netschool
from policies.engine import run_check
from policies.profiles import load_profile
from scheduler.evidence_plan import PlannedSync, plan_syncs
from tests.netschool.conftest import config_for
from tests.netschool.worlds import DEPUTY_PASSWORD, TZ, D, world_dict

DAY = dt.date(2026, 10, 15)
DEADLINE = dt.datetime(2026, 10, 15, 12, 25, tzinfo=TZ)


def _world() -> tuple[World, dict[str, dt.datetime], dict[dt.date, dict[str, dt.time]]]:
    data: dict[str, Any] = world_dict()
    lessons = data["tables"]["lesson"]
    lcols = lessons["columns"]
    rows = [dict(zip(lcols, r, strict=True)) for r in lessons["rows"]]
    ours = sorted(
        (r for r in rows if r["date"] == DAY.isoformat() and r["group_id"] == "g5a"),
        key=lambda r: (r["number"], r["id"]),
    )
    homework = data["tables"]["homework"]
    hcols = homework["columns"]
    ours_ids = {r["id"] for r in ours}
    homework["rows"] = [r for r in homework["rows"] if r[hcols.index("lesson_id")] not in ours_ids]
    entered = {ours[0]["id"]: DEADLINE, ours[-1]["id"]: DEADLINE + dt.timedelta(seconds=1)}
    for lesson_id, at in entered.items():
        row: dict[str, Any] = {c: None for c in hcols}
        row.update(
            id=f"hw-{lesson_id}",
            created_at=at.isoformat(),
            lesson_id=lesson_id,
            text="§ 12, упр. 5",
            due_date=(DAY + dt.timedelta(days=1)).isoformat(),
        )
        homework["rows"].append([row[c] for c in hcols])
    timetable: dict[dt.date, dict[str, dt.time]] = {}
    for r in rows:
        day = dt.date.fromisoformat(r["date"])
        end = dt.time.fromisoformat(r["ends_at"])
        by_group = timetable.setdefault(day, {})
        by_group[r["group_id"]] = max(by_group.get(r["group_id"], end), end)
    return World.from_dict(data), entered, timetable


Boundary = tuple[RunningEmulator, dict[str, dt.datetime], list[PlannedSync]]


def _structure_lists(emulator: RunningEmulator) -> int:
    """Requests so far for the lists only the structure scope maps."""
    return sum(
        n
        for path, n in emulator.state.hits.items()
        if path in ("/webapi/subjects", "/webapi/users/staff/registry") or path.endswith("/parents")
    )


@pytest.fixture
def boundary() -> Iterator[Boundary]:
    world, entered, timetable = _world()
    plan = plan_syncs(load_profile("talmenka"), timetable, DAY, DAY)
    with start_emulator(world, as_of=D) as running:
        yield running, entered, plan


@pytest.mark.parametrize("narrowed", [False, True], ids=["whole-school", "plan-groups-only"])
def test_sync_at_the_deadline_decides_met_and_one_second_late(
    engine: Engine, boundary: Boundary, narrowed: bool
) -> None:
    emulator, entered, plan = boundary
    moments = [p.moment for p in plan]
    assert DEADLINE in moments, "the plan syncs at 5А's homework deadline"
    emulator.set_clock(D)
    first = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    assert first.status is RunStatus.SUCCEEDED, first.error
    for planned in plan:
        emulator.set_clock(planned.moment)
        only = None
        if narrowed and not planned.whole_journal:
            only = [ns_id("group", g) for g in planned.groups]
        lists = _structure_lists(emulator)
        outcome = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, only_classes=only)
        assert outcome.status is RunStatus.SUCCEEDED, outcome.error
        if only is not None:
            # ...and reads no structure it would not map (subjects, staff, parents cards)
            assert _structure_lists(emulator) == lists
            # a group's sync observes just its classes' journal weeks, nothing else
            with engine.connect() as conn:
                seen = (
                    conn.execute(
                        select(run_scope.c.scope).where(run_scope.c.run_id == outcome.run_id)
                    )
                    .scalars()
                    .all()
                )
            assert seen and all(":journal:" in s for s in seen), seen
            assert {int(s.split(":")[-2]) for s in seen} == set(only)
            assert outcome.requests < first.requests / 3
    run_check(engine, load_profile("talmenka"), rules=["lesson.homework.deadline"])
    on_day = [
        v
        for v in list_violations(engine, rule_id="lesson.homework.deadline")
        if v["evidence"].get("day") == DAY.isoformat()
    ]
    seen_at = {str(v["evidence"].get("prev_seen_at")): v["verdict"] for v in on_day}
    # the late one: first seen by the sync after the one at 12:25 (T0 = D): violated
    assert DEADLINE.astimezone(dt.UTC).isoformat() in seen_at
    assert seen_at[DEADLINE.astimezone(dt.UTC).isoformat()] == "violated"
    # nothing of that day stays «possibly»: every class had a sync at its deadline
    assert all(v["verdict"] == "violated" for v in on_day), [v["message"] for v in on_day]
    # class 5А: the homework entered at 12:25:00 was seen by the 12:25 sync (met), the one
    # entered a second later is the class's only violation
    class_5a = [v for v in on_day if v["group_key"] == str(ns_id("group", "g5a"))]
    assert len(entered) == 2 and len(class_5a) == 1
    assert class_5a[0]["verdict"] == "violated"
    assert class_5a[0]["evidence"]["deadline"] == DEADLINE.astimezone(dt.UTC).isoformat()
