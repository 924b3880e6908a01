"""The README's main command, small: it runs end to end, writes its results, leaves nothing running."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from demo.run import DemoOptions, plan_moments, run_demo


def test_demo_runs_end_to_end_and_twice(tmp_path: Path) -> None:
    threads_before = {t.name for t in threading.enumerate()}
    options = DemoOptions(profile="tpt", students=30, weeks=1, seed=3, out=tmp_path / "demo")
    first = run_demo(options)

    assert first.syncs == first.moments > 0
    assert first.rules, "the truth's rules are scored"
    found = sum(r["found"] for r in first.rules)
    matched = sum(r["matched"] for r in first.rules)
    assert found > 0 and matched > 0, (
        "violations planted in the scenario are found through the emulators"
    )
    for key in ("store", "violations_json", "violations_csv", "summary"):
        assert Path(first.paths[key]).exists(), key
    summary = json.loads(Path(first.paths["summary"]).read_text(encoding="utf-8"))
    assert summary["rules"] == first.rules
    assert (
        summary["epgu"]["received"] >= summary["epgu"]["answered"] + summary["epgu"]["refused"] - 0
    )
    violations = json.loads(Path(first.paths["violations_json"]).read_text(encoding="utf-8"))
    assert len(violations) >= found

    second = run_demo(options)
    assert second.rules == first.rules, "a second run starts clean and gives the same result"
    leftover = {t.name for t in threading.enumerate() if t.is_alive()} - threads_before
    assert not {n for n in leftover if "emulator" in n}, (
        f"emulator threads left running: {leftover}"
    )


def test_plans_fire_in_the_institutions_evening() -> None:
    from emulators.scenario.generate import build
    from emulators.scenario.world import World

    world = World.from_dict(build("talmenka", 20, 1, 1).scenario)
    moments = plan_moments(world, "talmenka")
    local_hours = {
        m.astimezone(__import__("zoneinfo").ZoneInfo(world.timezone)).hour for m in moments
    }
    assert 21 in local_hours
    assert 17 in local_hours, "an afternoon pull for the 1.5-hour homework rule"
    assert moments == sorted(set(moments))
