"""The evidence plan pulls at each bell the classes whose lesson starts then, for profiles
with "at most N lessons ahead" rules (their earliest moment is a lesson's start)."""

from __future__ import annotations

import datetime as dt

from policies.profiles import load_profile
from scheduler.evidence_plan import deadline_clocks, plan_syncs

DAY = dt.date(2024, 12, 10)
STARTS = {DAY: {dt.time(8, 30): {"5А", "6Б"}, dt.time(9, 25): {"5А"}}}


def test_mazanka_plan_pulls_the_classes_starting_a_lesson_at_each_bell() -> None:
    profile = load_profile("mazanka")
    assert deadline_clocks(profile).lesson_start == (
        "lesson.homework.ahead_limit",
        "lesson.topic.ahead_limit",
    )
    plan = plan_syncs(profile, {}, DAY, DAY, lesson_starts=STARTS)
    bells = {p.moment.time(): p for p in plan if not p.whole_journal}
    assert {t: p.groups for t, p in bells.items()} == {
        dt.time(8, 30): ("5А", "6Б"),
        dt.time(9, 25): ("5А",),
    }
    assert bells[dt.time(8, 30)].reasons == (
        "lesson.homework.ahead_limit",
        "lesson.topic.ahead_limit",
    )


def test_profile_without_ahead_rules_has_no_bell_pulls() -> None:
    profile = load_profile("talmenka")
    assert deadline_clocks(profile).lesson_start == ()
    plan = plan_syncs(profile, {}, DAY, DAY, lesson_starts=STARTS)
    assert all(p.moment.time() not in (dt.time(8, 30), dt.time(9, 25)) for p in plan)
