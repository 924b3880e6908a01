"""The demo's institution files name a mark as the ЭлЖур pull stored it, even a look-alike one.

A student marked in two lessons of one subject on one day has two marks that share
student, subject and day; an approval of one of them (a director's order letting a
closed period's mark change) must still reach that one, told apart by its lesson's bell.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Engine

from demo.run import JournalIds
from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.eljur.ids import ej_id
from emulators.eljur.server import start_emulator
from emulators.scenario.world import World
from local_store.runs import RunStatus
from pipelines.eljur import sync_eljur
from tests.eljur.conftest import account, evening
from tests.eljur.test_pull_equals_world import config_for


def test_a_mark_with_a_twin_on_the_same_day_resolves_to_its_own_lesson(
    engine: Engine, mazanka: World
) -> None:
    moment = evening(mazanka, 1)
    deputy = account(mazanka, "deputy")
    with start_emulator(mazanka, as_of=moment) as emu:
        outcome = sync_eljur(
            engine, config_for(emu, mazanka), DEFAULT_DEVKEY, str(deputy["password"]), full=True
        )
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error

    state = mazanka.state_as_of(moment, platform="eljur")
    lessons = state.kind("lesson")
    alike: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for sid, row in state.kind("mark").items():
        if row.get("lesson_id") in lessons:
            alike[(str(row["student_id"]), str(row["subject_id"]), str(row["date"]))].append(sid)
    twins = [
        marks
        for marks in alike.values()
        if len(marks) == 2
        and len({lessons[state.kind("mark")[m]["lesson_id"]]["starts_at"] for m in marks}) == 2
    ]
    assert twins, "the scenario has a student marked in two lessons of a subject on one day"
    ids = JournalIds(engine, mazanka, "eljur")
    for marks in twins[:5]:
        for mark in marks:
            row = state.kind("mark")[mark]
            lesson = str(ej_id("lesson", str(row["lesson_id"])))
            student = str(ej_id("person", str(row["student_id"])))
            assert ids.resolve("mark", mark).startswith(f"{lesson}-{student}-"), mark
    assert not ids.unresolved
