"""Everything the truth does not list is entered on time: the planted cases are the only ones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from emulators.scenario.world import World, parse_moment
from tests.scenario.conftest import generated

LIMIT = {"mazanka": dt.time(20, 0)}


@pytest.mark.parametrize("profile", ["mazanka", "kpgt", "tpt"])
def test_unlisted_marks_and_topics_are_on_time(profile: str) -> None:
    g = generated(profile)
    world = World.from_dict(g.scenario)
    zone = ZoneInfo(world.timezone)
    listed = {c["entity_id"] for c in g.truth["cases"] + g.truth["near_misses"]}
    outages = [
        (parse_moment(r[2]), parse_moment(r[3])) for r in world.tables["journal_outage"].rows
    ]
    lessons = {r["id"]: r for r in world.tables["lesson"].dicts()}
    kinds = {r["id"]: r for r in world.tables["work_kind"].dicts()}
    late_days = 1 if profile == "tpt" else 0
    limit = LIMIT.get(profile, dt.time(23, 59, 59))
    checked = 0
    for mark in world.tables["mark"].dicts():
        if mark["id"] in listed or mark["final_kind"] is not None or mark["lesson_id"] is None:
            continue
        work = kinds.get(mark["work_kind_id"] or "", {})
        if work.get("is_control") or work.get("is_external"):
            continue
        lesson = lessons[mark["lesson_id"]]
        start = dt.datetime.combine(
            dt.date.fromisoformat(lesson["date"]), dt.time.fromisoformat(lesson["starts_at"]), zone
        )
        if any(a <= start <= b for a, b in outages):
            continue
        day = dt.date.fromisoformat(mark["date"]) + dt.timedelta(days=late_days)
        deadline = dt.datetime.combine(day, limit, zone)
        assert mark["created_at"] <= deadline, mark["id"]
        checked += 1
    assert checked > 1000
    for (kind, record_id), history in world.edits_by_record().items():
        if kind != "lesson" or record_id in listed:
            continue
        lesson = lessons[record_id]
        start = dt.datetime.combine(
            dt.date.fromisoformat(lesson["date"]), dt.time.fromisoformat(lesson["starts_at"]), zone
        )
        if any(a <= start <= b for a, b in outages):
            continue
        at = history[0][0]
        assert at <= dt.datetime.combine(dt.date.fromisoformat(lesson["date"]), limit, zone)
        assert at >= start
