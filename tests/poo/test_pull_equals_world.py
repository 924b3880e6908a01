"""Connector against the emulator over loopback: a full pull equals the scenario, D+3 records its edits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from canonical import Absence, AbsenceCode, Lesson, Mark, PlanItem, WorkKind
from emulators.poo import RunningEmulator
from emulators.poo.ids import Ids
from emulators.scenario.world import World
from local_store.history import count_as_of, records_as_of, versions_of
from local_store.runs import RunStatus, get_run
from local_store.schema import entity, run_scope
from pipelines.poo import run_poo_sync
from pipelines.window import Incremental
from tests.poo.conftest import sync_config
from tests.poo.expect import assert_same, expected, pulled
from tests.poo.world_builder import D

D3 = D + dt.timedelta(days=3)


async def test_full_pull_as_of_d_equals_scenario(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    outcome = await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)

    assert get_run(engine, outcome.run_id).status is RunStatus.SUCCEEDED
    assert outcome.warnings == []
    want = expected(world, D)
    assert len(want["lesson"]) > 30 and sum(want["mark"].values()) > 30 and want["absence"]
    assert want["final"] and want["plan_item"] and want["homework"]
    assert_same(pulled(engine), want)
    assert get_run(engine, outcome.run_id).observed_at == D


async def test_pull_as_of_d_plus_3_records_exactly_the_changes(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    first = await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)
    before = count_as_of(engine, ["lesson", "mark", "homework", "absence", "movement_order"])
    emulator.emulator.set_clock(D3)
    second = await run_poo_sync(engine, sync_config(emulator.url), as_of=D3)

    assert_same(pulled(engine), expected(world, D3))
    assert_same(pulled(engine, first.run_id), expected(world, D))

    counts = second.counts.as_dict()
    edits = world.edits_between(D, D3)
    edited = {(k, f) for k, _i, _a, f, _v in edits}
    assert ("mark", "value") in edited and ("mark", "__deleted__") in edited
    assert counts["mark"]["changed"] == 1 and counts["mark"]["removed"] == 1
    before_lessons, after_lessons = expected(world, D)["lesson"], expected(world, D3)["lesson"]
    changed = {
        k for k, v in after_lessons.items() if k in before_lessons and before_lessons[k] != v
    }
    # The late topic, and lessons that gained a control work (a ``Control`` task) since D.
    assert counts["lesson"]["changed"] == len(changed) >= 1
    assert counts["homework"]["changed"] == 1 and counts["absence"]["changed"] == 1
    assert counts["movement_order"] == {
        "added": 1,
        "changed": 0,
        "removed": 0,
        "unchanged": before["movement_order"],
    }
    new_lessons = sum(1 for row in world.tables["lesson"].dicts() if D < row["created_at"] <= D3)
    assert counts["lesson"]["added"] == new_lessons > 0
    assert counts["person"]["changed"] == 0 and counts["person"]["added"] == 0

    # The lesson whose topic was filled in late: two versions, the second first seen by run 2.
    (lesson_edit,) = [e for e in edits if e[0] == "lesson"]
    lesson_pid = str(Ids(world).of("lesson", lesson_edit[1]))
    versions = versions_of(engine, "lesson", lesson_pid)
    assert [v["f_topic"] for v in versions] == [None, "Тема внесена задним числом"]
    assert versions[0]["superseded_run_id"] == second.run_id
    assert versions[1]["first_seen_run_id"] == second.run_id
    assert versions[1]["prev_seen_run_id"] == first.run_id

    # The deleted mark is marked removed by run 2, not deleted.
    with engine.connect() as conn:
        removed = conn.execute(
            select(entity.c.external_id).where(
                entity.c.kind == "mark", entity.c.removed_run_id == second.run_id
            )
        ).all()
    assert len(removed) == 1
    assert len(versions_of(engine, "mark", removed[0][0])) == 1


async def test_day_long_absence_shows_on_every_lesson_of_the_day(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)
    sick_day = [
        a
        for a in records_as_of(engine, "absence")
        if a.date == dt.date(2026, 9, 4) and a.code.value == "Б"  # type: ignore[attr-defined]
    ]
    lessons = {a.lesson_id for a in sick_day}  # type: ignore[attr-defined]
    assert len(lessons) >= 3, "one absence per lesson of the day, not one per day"


async def test_incremental_pull_touches_only_the_window(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    first = await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)
    emulator.emulator.set_clock(D3)
    second = await run_poo_sync(engine, sync_config(emulator.url, window=Incremental(0)), as_of=D3)
    with engine.connect() as conn:
        scopes = {
            row[0]
            for row in conn.execute(
                select(run_scope.c.scope).where(run_scope.c.run_id == second.run_id)
            )
        }
        first_count = conn.execute(
            select(func.count()).select_from(run_scope).where(run_scope.c.run_id == first.run_id)
        ).scalar_one()
    journal = sorted(s for s in scopes if ":journal:" in s)
    assert journal and all(s.endswith("2026-09-07") for s in journal), journal
    assert len(scopes) < first_count
    # A lesson of the first week was not seen again, yet stays current.
    early = [
        r
        for r in records_as_of(engine, "lesson")
        if r.date < dt.date(2026, 9, 7)  # type: ignore[attr-defined]
    ]
    assert early
    versions = versions_of(engine, "lesson", early[0].source.external_id)
    assert versions[-1]["last_seen_run_id"] == first.run_id
    assert versions[-1]["superseded_run_id"] is None


async def test_mass_removal_is_held_not_applied(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    first = await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)
    # A broken filter on the host: a third of the students vanish from the lists.
    state = emulator.emulator.state()
    for student in sorted(state.students)[:6]:
        del state.students[student]
    second = await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)

    assert second.held and "удаляется" in second.held[0]
    assert get_run(engine, second.run_id).status is RunStatus.HELD
    assert_same(pulled(engine), expected(world, D))
    assert (
        count_as_of(engine, ["lesson"])["lesson"]
        == count_as_of(engine, ["lesson"], first.run_id)["lesson"]
    )


async def test_values_without_a_vendor_word_are_not_shown_control_works_are_tasks(
    engine: Engine, emulator: RunningEmulator, world: World
) -> None:
    """«н/а» and ОСВ have no vendor word; a control work is a ``Control`` task, not a lesson type."""
    outcome = await run_poo_sync(engine, sync_config(emulator.url), as_of=D, whole_year=True)
    assert outcome.warnings == []
    ids = Ids(world)
    state = world.state_as_of(D, platform="poo")
    assert any(m["value"] == "н/а" for m in state.kind("mark").values())
    assert any(a["code"] == "ОСВ" for a in state.kind("absence").values())
    marks = [m for m in records_as_of(engine, "mark") if isinstance(m, Mark)]
    assert not [m for m in marks if m.value == "н/а"]
    absences = [a for a in records_as_of(engine, "absence") if isinstance(a, Absence)]
    assert absences and not [a for a in absences if a.code is AbsenceCode.OSV]

    items = [i for i in records_as_of(engine, "plan_item") if isinstance(i, PlanItem)]
    kinds = {i.source.external_id: i.work_kind for i in items}
    control_item = str(ids.of("plan_item", "plan-g1-sub1-12"))
    assert kinds[str(ids.of("plan_item", "plan-g1-sub1-3"))] == "practical"
    assert kinds[control_item] is None, "the working program has no control-work type"
    lessons = [r for r in records_as_of(engine, "lesson") if isinstance(r, Lesson)]
    assert any(r.lesson_type == "practical" for r in lessons), "a practical lesson keeps its kind"
    control_marked = {m.lesson_id for m in marks if m.work_kind_id == "Control"}
    assert control_marked
    assert {r.source.external_id for r in lessons if r.lesson_type == "control"} == control_marked

    work_kinds = [k for k in records_as_of(engine, "work_kind") if isinstance(k, WorkKind)]
    control = {k.source.external_id for k in work_kinds if k.is_control}
    tests = [m for m in marks if m.work_kind_name == "Тест"]
    assert len(tests) == 4 and {m.work_kind_id for m in tests} == {"Test"}
    assert "Test" not in control and "Control" in control
