"""``sverka demo --profile mazanka``'s plan on ЭлЖур (the demo itself: tests/test_demo.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from demo.run import plan_moments
from emulators.scenario.generate import generate
from emulators.scenario.world import World


def test_mazanka_plan_pulls_at_the_20_00_deadline_every_day() -> None:
    """ЭлЖур shows no entry times: a pull at the deadline itself decides "in time" or "late"."""
    world = World.from_dict(generate("mazanka", 20, 1, 1))
    plan = plan_moments(world, "mazanka")
    at_deadline = {p.moment.date() for p in plan if p.moment.time() == dt.time(20, 0)}
    assert at_deadline == {p.moment.date() for p in plan}


def test_mazanka_plan_pulls_at_every_bell_the_classes_starting_a_lesson() -> None:
    """An "at most 5 lessons ahead" limit turns at a lesson start: the plan pulls there."""
    world = World.from_dict(generate("mazanka", 20, 1, 1))
    plan = plan_moments(world, "mazanka")
    zone = ZoneInfo(world.timezone)
    starts: dict[dt.datetime, set[str]] = {}
    for lesson in world.state_as_of(plan[-1].moment).kind("lesson").values():
        day, start = dt.date.fromisoformat(str(lesson["date"])), lesson.get("starts_at")
        if start is not None:
            bell = dt.datetime.combine(day, dt.time.fromisoformat(str(start)), tzinfo=zone)
            starts.setdefault(bell, set()).add(str(lesson["group_id"]))
    bells = {p.moment: set(p.groups) for p in plan if not p.whole_journal}
    in_plan = {m: g for m, g in starts.items() if plan[0].moment <= m <= plan[-1].moment}
    assert bells == in_plan and len(bells) > 10

