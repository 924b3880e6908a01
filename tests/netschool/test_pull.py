"""Connector against the emulator over loopback: a pull equals the scenario, changes are recorded exactly."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Engine, select

from emulators.netschool.ids import ns_id
from emulators.netschool.server import RunningEmulator, start_emulator
from emulators.scenario.world import World
from local_store.history import versions_of
from local_store.runs import RunStatus, get_run
from local_store.schema import entity, version_table
from pipelines.netschool import sync_netschool
from pipelines.window import Incremental
from tests.netschool.conftest import config_for
from tests.netschool.expect import KINDS, diff, expected, stored
from tests.netschool.worlds import D3, DEPUTY_PASSWORD, D, world_dict

KEY_LEN = {"mark": 3, "absence": 1, "subgroup_member": 2, "teaching_assignment": 4}


def test_full_pull_equals_scenario_at_d(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    outcome = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    want = expected(world, D)
    have = stored(engine)
    for kind in KINDS:
        assert have[kind] == want[kind], f"{kind}: store differs from the scenario at D"
    assert sum(want["mark"].values()) > 300 and sum(want["absence"].values()) > 50
    run = get_run(engine, outcome.run_id)
    assert run.observed_at == D, "observed_at is the emulator's clock, not the host's"
    assert outcome.counts is not None
    assert outcome.counts.as_dict()["lesson"]["added"] == sum(want["lesson"].values())


def test_pull_at_d_plus_3_records_exactly_the_changes(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    first = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    emulator.set_clock(D3)
    # Incremental: five weeks back from D+3 (from 7 September), where every change lies.
    window = dataclasses.replace(config_for(emulator), window=Incremental.last_weeks(5))
    second = sync_netschool(engine, window, DEPUTY_PASSWORD, full=False)
    assert second.status is RunStatus.SUCCEEDED, second.error
    assert second.counts is not None
    counts = second.counts.as_dict()

    before, after = expected(world, D), expected(world, D3)
    for kind in ("lesson", "homework", "mark", "absence"):
        added, changed, removed = diff(before[kind], after[kind], KEY_LEN.get(kind, 1))
        got = counts.get(kind, {"added": 0, "changed": 0, "removed": 0})
        assert (got["added"], got["changed"], got["removed"]) == (added, changed, removed), kind
    assert counts["mark"]["added"] >= 1 and counts["mark"]["changed"] >= 1
    assert counts["mark"]["removed"] >= 1 and counts["lesson"]["changed"] >= 2
    have = stored(engine)
    for kind in KINDS:
        assert have[kind] == after[kind], f"{kind}: store differs from the scenario at D+3"
    # The store still knows what it saw at the first run.
    at_first = stored(engine, first.run_id)
    assert at_first["mark"] == before["mark"]

    # Versions and first-seen runs of one changed topic.
    lesson_id = str(ns_id("lesson", "l150"))
    versions = versions_of(engine, "lesson", lesson_id)
    assert [v["f_topic"] for v in versions][-1] == "Исправленная тема урока"
    assert versions[0]["first_seen_run_id"] == first.run_id
    assert versions[0]["superseded_run_id"] == second.run_id
    assert versions[-1]["first_seen_run_id"] == second.run_id
    assert versions[-1]["prev_seen_run_id"] == first.run_id
    # The late mark is first seen by the second run; the deleted one is marked removed, not deleted.
    table = world.tables["mark"]
    late = next(dict(zip(table.columns, r, strict=True)) for r in table.rows if r[0] == "m-late")
    marks = version_table("mark")
    with engine.connect() as conn:
        late_runs = conn.execute(
            select(marks.c.first_seen_run_id, marks.c.prev_seen_run_id).where(
                marks.c.f_lesson_id == str(ns_id("lesson", late["lesson_id"])),
                marks.c.f_student_id == str(ns_id("person", late["student_id"])),
                marks.c.f_work_kind_id == str(ns_id("work_kind", "wk-kr")),
            )
        ).all()
    assert [tuple(r) for r in late_runs] == [(second.run_id, first.run_id)]
    with engine.connect() as conn:
        removed_ids = conn.execute(
            select(entity.c.external_id).where(
                entity.c.kind == "mark", entity.c.removed_run_id == second.run_id
            )
        ).all()
        fresh = conn.execute(
            select(entity.c.external_id).where(
                entity.c.kind == "mark", entity.c.first_seen_run_id == second.run_id
            )
        ).all()
    assert len(removed_ids) == counts["mark"]["removed"]
    assert len(fresh) == counts["mark"]["added"]
    run = get_run(engine, second.run_id)
    assert run.observed_at == D3.astimezone(dt.UTC)


def test_second_identical_pull_changes_nothing(engine: Engine, emulator: RunningEmulator) -> None:
    sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    again = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    assert again.counts is not None
    for kind, c in again.counts.as_dict().items():
        assert (c["added"], c["changed"], c["removed"]) == (0, 0, 0), kind


def test_incremental_pull_keeps_weeks_outside_its_window(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    emulator.set_clock(D3)
    narrow = dataclasses.replace(config_for(emulator), window=Incremental(0))
    outcome = sync_netschool(engine, narrow, DEPUTY_PASSWORD)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.counts is not None
    counts = outcome.counts.as_dict()
    # Only this week (12 October) and the next were looked at.
    assert counts["lesson"]["unchanged"] + counts["lesson"]["changed"] < 80
    assert counts["lesson"]["removed"] == 0
    assert counts["mark"]["removed"] == 1, "only the mark deleted in this week, nothing outside"
    have, before = stored(engine), expected(world, D)
    september = dt.date(2026, 10, 1)
    assert {r for r in have["mark"] if r[7] < september} == {
        r for r in before["mark"] if r[7] < september
    }, "weeks outside the window stay as last seen"


def test_pull_reads_whole_term_journals_not_lesson_pages(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    """One ``grade/journal`` per subject group and term; ``journal/edit`` only for days no
    term covers (the test year's summer and winter gaps hold no lessons)."""
    outcome = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    hits = emulator.state.hits
    school = emulator.state.school()
    groups = len(school.sgs)
    lessons = sum(1 for m in school.meetings.values() if m.date <= D.date() + dt.timedelta(days=7))
    assert hits["/webapi/grade/journal"] == groups * len(school.terms)
    assert hits.get("/webapi/grade/journal/edit", 0) == 0
    assert outcome.requests < lessons / 2, "fewer requests than one per lesson"
    want, have = expected(world, D), stored(engine)
    for kind in KINDS:
        assert have[kind] == want[kind], kind
    # An incremental sync reads one term per group.
    emulator.set_clock(D3)
    before = hits["/webapi/grade/journal"]
    again = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD)
    assert again.status is RunStatus.SUCCEEDED
    assert emulator.state.hits["/webapi/grade/journal"] - before == groups


def test_pull_without_terms_reads_lesson_by_lesson(engine: Engine) -> None:
    """A server that lists no terms is read the old way, with the same result."""
    data = world_dict()
    periods = data["tables"]["period"]
    periods["rows"] = []
    bare = World.from_dict(data)
    with start_emulator(bare, as_of=D) as emulator:
        outcome = sync_netschool(engine, config_for(emulator), DEPUTY_PASSWORD, full=True)
        assert outcome.status is RunStatus.SUCCEEDED, outcome.error
        hits = emulator.state.hits
        assert hits.get("/webapi/grade/journal", 0) == 0
        assert hits["/webapi/grade/journal/edit"] > 0
    want, have = expected(bare, D), stored(engine)
    for kind in ("lesson", "homework", "mark", "absence"):
        assert have[kind] == want[kind], kind
