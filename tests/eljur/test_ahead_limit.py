"""mazanka 3.5.4 and 3.5.7: topics and homework at most 5 lessons ahead, judged on ЭлЖур.

ЭлЖур shows no entry times, so the verdict rests on the syncs around the entry.
A hand-made timeline on the generated school: half an hour before lesson 1 of a
class's subject series, a teacher fills the topic and homework of lesson 8
(7 lessons ahead: too early, the earliest moment is lesson 3's start) and the
homework of lesson 5 (4 ahead: allowed).  Pulls an hour and ten minutes before
lesson 1 bracket the entry; both are before lesson 3, so the verdict is decided.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine

from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.eljur.ids import ej_id
from emulators.eljur.server import start_emulator
from emulators.scenario.generate import generate
from emulators.scenario.world import World
from local_store.runs import RunStatus
from local_store.violations import list_violations
from pipelines.eljur import sync_eljur
from policies.engine import run_check
from policies.profiles import load_profile
from tests.eljur.conftest import account
from tests.eljur.test_pull_equals_world import config_for

RULES = ["lesson.topic.ahead_limit", "lesson.homework.ahead_limit"]


def _rows(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    table = data["tables"][kind]
    return [dict(zip(table["columns"], r, strict=True)) for r in table["rows"]]


def _timeline() -> tuple[World, list[dict[str, Any]], dt.datetime]:
    """The school with the early entries; returns (world, the series, lesson 1's start)."""
    data: dict[str, Any] = generate("mazanka", 20, 2, 7)
    grades = {g["id"]: g["grade"] for g in _rows(data, "group")}
    series: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for x in _rows(data, "lesson"):
        if (grades.get(x["group_id"]) or 0) >= 5:
            series[(x["group_id"], x["subject_id"])].append(x)
    lessons = max(series.values(), key=len)
    lessons.sort(key=lambda x: (x["date"], x["starts_at"]))
    assert len(lessons) >= 9, "a subject taught often enough"
    lessons = lessons[1:9]  # lesson 0 began earlier: lesson 5's homework is in time
    zone = dt.timezone(dt.timedelta(hours=3))
    start = dt.datetime.fromisoformat(f"{lessons[0]['date']}T{lessons[0]['starts_at']}").replace(
        tzinfo=zone
    )
    early = (start - dt.timedelta(minutes=30)).isoformat()
    # the timetable of both weeks is published before the first pull (else lesson 8 would
    # not exist yet to be filled in)
    table = data["tables"]["lesson"]
    ours = {x["id"] for x in lessons}
    published = (start - dt.timedelta(days=2)).isoformat()
    at = table["columns"].index("created_at")
    for r in table["rows"]:
        if r[0] in ours:
            r[at] = published
    homework = data["tables"]["homework"]
    for n in (8, 5):
        row = dict.fromkeys(homework["columns"])
        row.update(
            id=f"hw-ahead-{n}", created_at=early, lesson_id=lessons[n - 1]["id"], text="§ 12"
        )
        homework["rows"].append([row[c] for c in homework["columns"]])
    data["edits"]["rows"].append(["lesson", lessons[7]["id"], early, "topic", "Повторение"])
    return World.from_dict(data), lessons, start


def test_topics_and_homework_at_most_five_lessons_ahead(engine: Engine) -> None:
    world, lessons, start = _timeline()
    deputy = account(world, "deputy")
    with start_emulator(world) as emu:
        config = config_for(emu, world)
        for moment in (start - dt.timedelta(hours=1), start - dt.timedelta(minutes=10)):
            emu.set_clock(moment)
            outcome = sync_eljur(engine, config, DEFAULT_DEVKEY, str(deputy["password"]), full=True)
            assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    run_check(engine, load_profile("mazanka"), rules=RULES, full=True)

    def verdicts(rule_id: str) -> dict[str, str]:
        return {
            str(v["entity_key"]): str(v["verdict"])
            for v in list_violations(engine, rule_id=rule_id, profile_id="mazanka")
        }

    topics = verdicts("lesson.topic.ahead_limit")
    assert topics == {str(ej_id("lesson", lessons[7]["id"])): "violated"}
    homework = verdicts("lesson.homework.ahead_limit")
    assert homework == {str(ej_id("homework", "hw-ahead-8")): "violated"}
