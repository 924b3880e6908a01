"""The README's main command, small, for every profile: it runs end to end, writes its
results, scores every rule the profile has at precision = recall = 100 % against the planted
truth (or names it «не проверяется: …» with the reason), and leaves nothing running."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from demo.run import DemoOptions, DemoResult, plan_moments, run_demo

# (profile, platform, weeks, seed): a small size whose scenario plants most rules (checked
# against the truth file: one week leaves the fortnightly rules unplanted; tpt stays at one
# week, where it runs twice, at 13 of its 21 scored rules planted).
PROFILES = [
    ("tpt", "poo", 1, 3),
    ("usolye", "poo", 2, 1),
    ("kpgt", "poo", 2, 1),
    ("talmenka", "netschool", 1, 1),
    ("mazanka", "eljur", 2, 2),
]
STUDENTS = 30

# Rules below the bar on purpose, each with the reason; the test fails if another rule
# drops below it or if one of these is fixed without updating the list.
KNOWN_GAPS: dict[str, dict[str, str]] = {
    "mazanka": {
        # seed 2: a topic entered on the turning day before the bell is first seen by the bell's
        # own pull, at the very moment it became allowed: made before it or at it, ЭлЖур keeps
        # no entry time («возможно»). A pull a second before each bell as well would decide it.
        "lesson.topic.ahead_limit": "тема внесена до звонка, увидена опросом в момент звонка",
    },
}

UNCHECKED: dict[str, set[str]] = {
    "tpt": {"marks.work_type.required", "staff.card.deadline"},
    "usolye": set(),
    "kpgt": {"marks.work_type.required"},
    "talmenka": {"absence.reason.deadline", "lesson.topic.matches_plan"},
    "mazanka": {
        "absence.reason.deadline",
        "contingent.movement.deadline",
        "epgu.own_child_only",
        "marks.density",
        "plan.coverage",
        "plan.deadline",
        "plan.hours.match_curriculum",
    },
}


def _at_the_bar(row: dict[str, Any]) -> bool:
    return row["possibly"] == 0 and (row["precision"], row["recall"]) == (1.0, 1.0)


def _assert_table(result: DemoResult, profile: str, platform: str) -> dict[str, Any]:
    assert result.platform == platform
    assert result.syncs == result.moments > 0
    assert result.rules, "the truth's rules are scored"
    for key in ("store", "violations_json", "violations_csv", "summary"):
        assert Path(result.paths[key]).exists(), key
    summary: dict[str, Any] = json.loads(Path(result.paths["summary"]).read_text(encoding="utf-8"))
    assert summary["rules"] == result.rules
    table = {r["rule_id"]: r for r in result.rules}
    planted = [rule for rule, row in table.items() if row["planted"] > 0]
    assert len(planted) * 5 >= len(table) * 3, (
        f"the small scenario plants too few rules: {sorted(set(table) - set(planted))}"
    )
    assert sum(r["matched"] for r in result.rules) > 0, (
        "violations planted in the scenario are found through the emulators"
    )
    violations = json.loads(Path(result.paths["violations_json"]).read_text(encoding="utf-8"))
    # ``found`` also counts registry mismatches the push healed and refusals (listed apart)
    refusals = {"epgu.own_child_only"}
    listed = {v["rule_id"] for v in violations}
    healed = {r["rule_id"] for r in result.rules if r["found"] == r["healed"]}
    assert listed >= set(planted) - set(KNOWN_GAPS.get(profile, {})) - healed - refusals
    for rule in refusals & set(planted):
        assert len(result.refusals) >= table[rule]["matched"] > 0, table[rule]
    # the per-rule table through the real path, on the plan ``sverka schedule plan`` derives
    below = {rule: row for rule, row in table.items() if not _at_the_bar(row)}
    assert set(below) == set(KNOWN_GAPS.get(profile, {})), below
    for rule in below:
        assert table[rule]["recall"] == 1.0 or table[rule]["possibly"] > 0, table[rule]
    assert {u["rule_id"] for u in summary["unchecked"]} == UNCHECKED[profile]
    assert all(u["reason"].startswith("не проверяется: ") for u in summary["unchecked"])
    assert not set(table) & UNCHECKED[profile], "an unchecked rule is not scored"
    assert summary["possibly"]["total"] == sum(r["possibly"] for r in result.rules)
    assert set(summary["possibly"]["by_rule"]) <= set(below)
    return summary


@pytest.mark.parametrize(
    ("profile", "platform", "weeks", "seed"), PROFILES, ids=[p[0] for p in PROFILES]
)
def test_demo_scores_every_rule_of_the_profile(
    tmp_path: Path, profile: str, platform: str, weeks: int, seed: int
) -> None:
    threads_before = {t.name for t in threading.enumerate()}
    options = DemoOptions(
        profile=profile, students=STUDENTS, weeks=weeks, seed=seed, out=tmp_path / "demo"
    )
    first = run_demo(options)
    _assert_table(first, profile, platform)
    if profile != "tpt":
        return
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
