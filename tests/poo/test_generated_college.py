"""The pull against generated college scenarios (the scenario generator's ПОО profiles).

The three regulations of colleges (tpt, usolye, kpgt) all run «Модуль ПОО»;
a full pull as of D equals each scenario, and for tpt a pull as of D+3 records
the scenario's edits with the right versions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import cache

import pytest
from sqlalchemy import Engine

from emulators.poo import EmulatorConfig, RunningEmulator, start_emulator
from emulators.poo.ids import Ids
from emulators.scenario.generate import generate
from emulators.scenario.world import World, parse_moment
from local_store.history import versions_of
from local_store.runs import RunStatus, get_run
from pipelines.poo import run_poo_sync
from tests.poo.conftest import TENANT, sync_config
from tests.poo.expect import assert_same, expected, pulled


@cache
def generated(profile: str) -> World:
    return World.from_dict(generate(profile, students=90, weeks=3, seed=2))


def first_day(world: World) -> dt.datetime:
    return parse_moment(world.meta["lessons_until"]) - dt.timedelta(days=6, hours=3)


def deputy(world: World) -> tuple[str, str]:
    account = next(a for a in world.accounts if a["role"] == "deputy")
    return str(account["login"]), str(account["password"])


@pytest.fixture
def college(request: pytest.FixtureRequest) -> Iterator[tuple[World, RunningEmulator]]:
    world = generated(request.param)
    running = start_emulator(EmulatorConfig(world=world, as_of=first_day(world), tenant=TENANT))
    try:
        yield world, running
    finally:
        running.stop()


@pytest.mark.parametrize("college", ["tpt", "usolye", "kpgt"], indirect=True)
async def test_full_pull_equals_generated_college(
    engine: Engine, college: tuple[World, RunningEmulator]
) -> None:
    world, emulator = college
    day = first_day(world)
    cfg = sync_config(emulator.url, *deputy(world))
    outcome = await run_poo_sync(engine, cfg, as_of=day, whole_year=True)
    assert get_run(engine, outcome.run_id).status is RunStatus.SUCCEEDED
    assert outcome.warnings == []
    want = expected(world, day)
    assert sum(want["mark"].values()) > 500 and len(want["plan_item"]) > 100
    assert_same(pulled(engine), want)


@pytest.mark.parametrize("college", ["tpt"], indirect=True)
async def test_generated_college_d_plus_3(
    engine: Engine, college: tuple[World, RunningEmulator]
) -> None:
    world, emulator = college
    day = first_day(world)
    later = day + dt.timedelta(days=3)
    cfg = sync_config(emulator.url, *deputy(world))
    first = await run_poo_sync(engine, cfg, as_of=day, whole_year=True)
    emulator.emulator.set_clock(later)
    second = await run_poo_sync(engine, cfg, as_of=later)

    assert_same(pulled(engine), expected(world, later))
    assert_same(pulled(engine, first.run_id), expected(world, day))
    counts = second.counts.as_dict()
    assert counts["lesson"]["changed"] > 0 and counts["mark"]["added"] > 0

    ids = Ids(world)
    before = world.state_as_of(day, platform="poo").kind("lesson")
    after = world.state_as_of(later, platform="poo").kind("lesson")
    changed_topics = [
        lid
        for lid in before
        if lid in after and before[lid].get("topic") != after[lid].get("topic")
    ]
    assert changed_topics, "the scenario fills topics in after the lesson"
    for lid in changed_topics:
        versions = versions_of(engine, "lesson", str(ids.of("lesson", lid)))
        if not versions:
            continue  # a future week's lesson, outside both pulls
        assert versions[-1]["f_topic"] == after[lid].get("topic")
        assert versions[-1]["first_seen_run_id"] == second.run_id
        assert versions[-2]["superseded_run_id"] == second.run_id
        assert versions[-1]["prev_seen_run_id"] == first.run_id
