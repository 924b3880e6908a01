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
    # the per-rule table through the real path, on the plan ``sverka schedule plan`` derives
    table = {r["rule_id"]: r for r in first.rules}
    for rule_id, row in table.items():
        assert row["possibly"] == 0, f"{rule_id}: the plan decides every deadline"
        assert (row["precision"], row["recall"]) == (1.0, 1.0), row
    assert {u["rule_id"] for u in summary["unchecked"]} == {
        "marks.work_type.required",
        "staff.card.deadline",
    }
    assert all(u["reason"].startswith("не проверяется: ") for u in summary["unchecked"])
    assert summary["possibly"]["total"] == 0

    second = run_demo(options)
    assert second.rules == first.rules, "a second run starts clean and gives the same result"
    leftover = {t.name for t in threading.enumerate() if t.is_alive()} - threads_before
    assert not {n for n in leftover if "emulator" in n}, (
        f"emulator threads left running: {leftover}"
    )


def test_demo_plan_syncs_where_talmenkas_deadlines_fall() -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from emulators.scenario.generate import build
    from emulators.scenario.world import World

    world = World.from_dict(build("talmenka", 20, 1, 1).scenario)
    plan = plan_moments(world, "talmenka")
    zone = ZoneInfo(world.timezone)
    moments = [p.moment for p in plan]
    assert moments == sorted(set(moments))
    closes = [p for p in plan if p.moment.astimezone(zone).time() == dt.time(23, 59, 59)]
    assert closes and all(p.whole_journal for p in closes), "every day closes with a full pull"
    # 2.8: homework within 1.5 h after the class's last lesson: a sync for those classes then
    lessons = world.state_as_of(plan[-1].moment).kind("lesson").values()
    last: dict[tuple[str, str], dt.time] = {}
    for r in lessons:
        key = (str(r["group_id"]), str(r["date"]))
        last[key] = max(last.get(key, dt.time.min), dt.time.fromisoformat(str(r["ends_at"])))
    by_moment = {p.moment: p for p in plan}
    checked = 0
    for (group, day), end in last.items():
        due = dt.datetime.combine(dt.date.fromisoformat(day), end, tzinfo=zone) + dt.timedelta(
            hours=1.5
        )
        if plan[0].moment <= due <= plan[-1].moment:
            assert group in by_moment[due].groups, (group, day)
            checked += 1
    assert checked > 0
    assert any(p.full for p in plan), "a weekly re-read of the whole period"
