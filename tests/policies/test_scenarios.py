"""Precision and recall per rule on generated scenarios, for every profile.

Each profile's scenario (emulators/scenario, the generator's own ground truth)
is replayed into a fresh store with syncs at every deadline instant of the
calendar and right before every planted entry, so each planted case and each
near miss is decidable from the evidence (§8); then a full check runs and the
findings are compared rule by rule with the truth.  The table is printed
(``pytest -s``); every rule must reach 100 % precision and recall.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from demo.replay import Replayer, evidence_schedule
from demo.truth import score
from emulators.scenario.generate import build
from emulators.scenario.world import World
from local_store.engine import make_engine, migrate
from local_store.violations import list_violations
from policies.engine import run_check
from policies.profiles import PROFILE_IDS, load_profile


def _moments(world: World, truth: dict[str, Any], timezone: str, hours: float | None) -> list[Any]:
    extra = []
    for case in truth["cases"] + truth["near_misses"]:
        if case.get("deadline") and "T" in case["deadline"]:
            extra.append(dt.datetime.fromisoformat(case["deadline"]))
        if case.get("made_at"):
            extra.append(dt.datetime.fromisoformat(case["made_at"]) - dt.timedelta(seconds=1))
    return evidence_schedule(world, timezone=timezone, after_last_lesson_hours=hours, extra=extra)


@pytest.mark.parametrize("profile_id", PROFILE_IDS)
def test_precision_and_recall(profile_id: str, tmp_path: Path) -> None:
    generated = build(profile_id, 40, 3, 1)
    world = World.from_dict(generated.scenario)
    truth = generated.truth
    profile = load_profile(profile_id)
    hours = profile.setting("lesson.homework.deadline").params.get("deadline", {})
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    migrate(engine)
    Replayer(engine, world).sync(
        _moments(world, truth, profile.timezone, hours.get("after_last_lesson_hours"))
    )
    run_check(engine, profile, full=True)
    scores = score(engine, world, truth, profile_id)
    print(f"\nПрофиль {profile_id}: точность и полнота по правилам")
    for s in scores:
        print(
            f"  {s.rule_id:34} заложено {s.expected:3} найдено {s.found:3} совпало "
            f"{s.true_positive:3}  P {s.precision:6.1%}  R {s.recall:6.1%}"
        )
    assert scores, "the truth plants nothing"
    failing = {s.rule_id: (s.missed, s.extra) for s in scores if s.precision < 1 or s.recall < 1}
    assert failing == {}
    # Re-running the check on the same data changes nothing.
    before = list_violations(engine)
    again = run_check(engine, profile, full=True)
    assert again.totals()["opened"] == again.totals()["changed"] == 0
    assert again.totals()["resolved"] == 0
    assert list_violations(engine) == before
    engine.dispose()
