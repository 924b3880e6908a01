"""The generated talmenka school (``sverka scenario generate``) through the emulator and the connector."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from sqlalchemy import Engine

from connectors.netschool.client import ClientSettings
from emulators.netschool.server import start_emulator
from emulators.scenario.generate import generate
from emulators.scenario.world import World
from local_store.history import count_as_of
from local_store.runs import RunStatus, get_run
from pipelines.netschool import NetSchoolConfig, sync_netschool
from tests.netschool.expect import KINDS, diff, expected, stored

KEY_LEN = {"mark": 3, "absence": 1}


@pytest.fixture(scope="module")
def talmenka() -> tuple[World, dict[str, object]]:
    data = generate("talmenka", 60, 3, 5)
    return World.from_dict(data), data


def test_generated_school_pulls_exactly_and_records_changes(
    engine: Engine, talmenka: tuple[World, dict[str, object]]
) -> None:
    world, data = talmenka
    platform = data["platform"]
    assert isinstance(platform, dict)
    deputy = next(a for a in world.accounts if a["role"] == "deputy")
    # Across the end of the second quarter: period marks are entered 24-28 December.
    first_at = dt.datetime.fromisoformat(str(data["lessons_until"])) - dt.timedelta(days=6, hours=9)
    second_at = first_at + dt.timedelta(days=3)
    with start_emulator(world, as_of=first_at) as emu:
        config = NetSchoolConfig(
            base_url=emu.url,
            deployment=str(platform["deployment"]),
            school_id=int(deputy["school_id"]),
            login=str(deputy["login"]),
            timezone=world.timezone,
            profile_id="talmenka",
            client=ClientSettings(backoff_initial=0.01, backoff_max=0.05),
        )
        first = sync_netschool(engine, config, str(deputy["password"]), full=True)
        assert first.status is RunStatus.SUCCEEDED, first.error
        want = expected(world, first_at)
        have = stored(engine)
        for kind in KINDS:
            assert have[kind] == want[kind], kind
        assert sum(want["mark"].values()) > 500
        # parents and their links come from the students' cards (userinfo/{id}/parents)
        assert sum(want["parent_link"].values()) > 50
        emu.set_clock(second_at)
        second = sync_netschool(engine, config, str(deputy["password"]), full=True)
    assert second.status is RunStatus.SUCCEEDED and second.counts is not None
    after = expected(world, second_at)
    counts = second.counts.as_dict()
    for kind in ("lesson", "homework", "mark", "absence"):
        added, changed, removed = diff(want[kind], after[kind], KEY_LEN.get(kind, 1))
        if kind == "mark":  # the store keeps period marks in the same table
            fa, fc, fr = diff(want["final"], after["final"], 3)
            added, changed, removed = added + fa, changed + fc, removed + fr
        got = counts.get(kind, {"added": 0, "changed": 0, "removed": 0})
        assert (got["added"], got["changed"], got["removed"]) == (added, changed, removed), kind
    assert counts["lesson"]["changed"] > 0 and counts["mark"]["added"] > 0
    assert sum(after["final"].values()) > sum(want["final"].values()), "period marks entered"
    have = stored(engine)
    for kind in KINDS:
        assert have[kind] == after[kind], kind


def test_a_class_vanishing_is_held_not_ingested(
    engine: Engine, talmenka: tuple[World, dict[str, object]]
) -> None:
    world, data = talmenka
    platform = data["platform"]
    assert isinstance(platform, dict)
    deputy = next(a for a in world.accounts if a["role"] == "deputy")
    moment = dt.datetime.fromisoformat(str(data["lessons_until"]))
    broken = copy.deepcopy(data)
    enrolments = broken["tables"]["enrolment"]  # type: ignore[index]
    group = enrolments["columns"].index("group_id")
    enrolments["rows"] = [r for r in enrolments["rows"] if r[group] not in ("g1", "g2")]

    def config(url: str) -> NetSchoolConfig:
        return NetSchoolConfig(
            base_url=url,
            deployment=str(platform["deployment"]),
            school_id=int(deputy["school_id"]),
            login=str(deputy["login"]),
            timezone=world.timezone,
            client=ClientSettings(backoff_initial=0.01, backoff_max=0.05),
        )

    with start_emulator(world, as_of=moment) as emu:
        first = sync_netschool(engine, config(emu.url), str(deputy["password"]))
    assert first.status is RunStatus.SUCCEEDED
    people = count_as_of(engine, ["person"])["person"]
    with start_emulator(World.from_dict(broken), as_of=moment) as emu:
        held = sync_netschool(engine, config(emu.url), str(deputy["password"]))
    assert held.status is RunStatus.HELD and held.held, "two classes' students gone: held"
    assert any("карточек людей" in reason for reason in held.held)
    assert get_run(engine, held.run_id).status is RunStatus.HELD
    assert count_as_of(engine, ["person"])["person"] == people, "nothing applied while held"
