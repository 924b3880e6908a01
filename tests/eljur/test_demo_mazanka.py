"""``sverka demo --profile mazanka``'s plan on ЭлЖур (the demo itself: tests/test_demo.py)."""

from __future__ import annotations

import datetime as dt

from demo.run import plan_moments
from emulators.scenario.generate import generate
from emulators.scenario.world import World


def test_mazanka_plan_pulls_at_the_20_00_deadline_every_day() -> None:
    """ЭлЖур shows no entry times: a pull at the deadline itself decides "in time" or "late"."""
    world = World.from_dict(generate("mazanka", 20, 1, 1))
    plan = plan_moments(world, "mazanka")
    at_deadline = {p.moment.date() for p in plan if p.moment.time() == dt.time(20, 0)}
    assert at_deadline == {p.moment.date() for p in plan}
