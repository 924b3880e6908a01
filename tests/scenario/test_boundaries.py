"""Planted boundary cases sit exactly where the truth says, in the institution's zone."""

from __future__ import annotations

import datetime as dt

from emulators.scenario.world import World, parse_moment
from tests.scenario.conftest import generated


def _mark(world: World, mark_id: str) -> dict:  # type: ignore[type-arg]
    table = world.tables["mark"]
    row = next(r for r in table.rows if r[0] == mark_id)
    return dict(zip(table.columns, row, strict=True))


def test_mazanka_twenty_hundred_sharp_met_and_one_second_later_violated() -> None:
    g = generated("mazanka")
    world = World.from_dict(g.scenario)
    late = [
        c
        for c in g.truth["cases"]
        if c["rule_id"] == "marks.deadline" and c["case"].endswith("20:00:00 + 1 s")
    ]
    sharp = [
        n
        for n in g.truth["near_misses"]
        if n["rule_id"] == "marks.deadline" and n["case"].endswith("20:00:00 sharp")
    ]
    assert late and sharp
    for c in late:
        mark = _mark(world, c["entity_id"])
        made = parse_moment(c["made_at"])
        assert mark["created_at"] == made
        assert made.isoformat().endswith("T20:00:01+03:00")
        assert c["deadline"] == f"{mark['date']}T20:00:00+03:00"
    for n in sharp:
        mark = _mark(world, n["entity_id"])
        assert mark["created_at"] == parse_moment(f"{mark['date']}T20:00:00+03:00")
        assert n["expected"] == "met"


def test_tpt_next_day_deadline_and_moved_saturday_cases() -> None:
    g = generated("tpt")
    world = World.from_dict(g.scenario)
    cases = [c for c in g.truth["cases"] if c["rule_id"] == "marks.deadline"]
    for c in cases:
        mark = _mark(world, c["entity_id"])
        day = dt.date.fromisoformat(mark["date"])
        assert c["deadline"] == f"{day + dt.timedelta(days=1)}T23:59:59+07:00"
        assert mark["created_at"] == parse_moment(c["made_at"])
    labels = " ".join(c["case"] for c in g.truth["cases"] + g.truth["near_misses"])
    assert "moved working Saturday" in labels
    assert "six-day week" in labels


def test_holiday_inside_a_working_day_window() -> None:
    g = generated("mazanka")
    rules = (
        "marks.control_work.deadline",
        "absence.reason.deadline",
        "contingent.movement.deadline",
    )
    violated = [
        c
        for c in g.truth["cases"]
        if c["rule_id"] in rules and "holiday inside the window" in c["case"]
    ]
    met = [
        n
        for n in g.truth["near_misses"]
        if n["rule_id"] in rules and "holiday inside the window" in n["case"]
    ]
    assert violated and met
    for c in violated:
        assert "one second late" in c["case"]
        assert parse_moment(c["made_at"]) - parse_moment(c["deadline"]) == dt.timedelta(seconds=1)
    for n in met:
        assert parse_moment(n["made_at"]) == parse_moment(n["deadline"])
    # control works of 27–28 December: the New Year holidays push two working days into January
    control = [c for c in violated if c["rule_id"] == "marks.control_work.deadline"]
    assert control and all(c["deadline"].startswith("2025-01-") for c in control)


def test_topic_entered_late_is_an_edit_at_made_at() -> None:
    g = generated("kpgt")
    world = World.from_dict(g.scenario)
    edits = world.edits_by_record()
    for c in g.truth["cases"]:
        if c["rule_id"] != "lesson.topic.deadline" or "made_at" not in c:
            continue
        history = edits[("lesson", c["entity_id"])]
        assert history[0][1] == "topic"
        assert history[0][0] == parse_moment(c["made_at"])
        assert c["deadline"].endswith("T23:59:59+05:00")
