"""The generator plants only what the demo platform can show and its syncs can observe
(issue 14 §3)."""

from __future__ import annotations

from emulators.poo.formats import MARK_WORDS
from tests.scenario.conftest import generated


def test_scale_cases_on_poo_are_values_the_platform_can_carry() -> None:
    """«Модуль ПОО» enters marks from its own list: «5/4» or «4-» cannot be in its journal,
    so kpgt's scale cases are the pass/fail words it has, outside «2»–«5»."""
    gen = generated("kpgt", 90, 3)
    marks = gen.scenario["tables"]["mark"]
    value_of = {r[0]: r[marks["columns"].index("value")] for r in marks["rows"]}
    planted = [c for c in gen.truth["cases"] if c["rule_id"] == "marks.scale"]
    values = {value_of[c["entity_id"]] for c in planted}
    assert len(planted) >= 2
    assert values <= set(MARK_WORDS) and not values & {"2", "3", "4", "5"}


def test_a_plan_deadline_before_the_first_sync_is_not_planted() -> None:
    """kpgt's plans are due 5 days before the year; the replay syncs from December on and
    «Модуль ПОО» gives no plan entry time: no case, and the reason says why."""
    truth = generated("kpgt", 90, 3).truth
    assert not [c for c in truth["cases"] if c["rule_id"] == "plan.deadline"]
    reasons = [n["reason"] for n in truth["not_planted"] if n["rule_id"] == "plan.deadline"]
    assert len(reasons) == 1 and reasons[0].startswith("срок (27.08.2024) раньше первой")


def test_the_september_card_check_is_planted_only_when_the_replay_sees_september() -> None:
    """kpgt checks first-year cards 1–10 September: a December window cannot observe a
    passport added on 11 September, so no such case; the movement cases remain."""
    cases = [
        c for c in generated("kpgt", 90, 3).truth["cases"]
        if c["rule_id"] == "contingent.card.deadline"
    ]  # fmt: skip
    assert cases and all(c["deadline"] >= "2024-12-09" for c in cases)


def test_late_final_marks_on_poo_are_values_the_platform_can_carry() -> None:
    """A student not attested gets «н/а», which «Модуль ПОО» cannot show: a late final
    planted on it never reaches a pull, so tpt at 2 weeks (seed 1) lost one of three."""
    gen = generated("tpt", 30, 2)
    marks = gen.scenario["tables"]["mark"]
    value_of = {r[0]: r[marks["columns"].index("value")] for r in marks["rows"]}
    planted = [
        c for c in gen.truth["cases"] + gen.truth["near_misses"]
        if c["rule_id"] == "final_marks.deadline"
    ]  # fmt: skip
    assert len(planted) == 4
    assert {value_of[c["entity_id"]] for c in planted} <= set(MARK_WORDS)


def test_an_absence_entered_late_with_its_reason_code_has_a_late_reason() -> None:
    """On «Модуль ПОО» an exemption is entered as «УП», reason included: entered after the
    week closed (an attendance.deadline plant), its reason is late too (tpt at 2 weeks,
    seed 3, found such an absence the truth did not list)."""
    gen = generated("tpt", 30, 2, 3)
    absences = gen.scenario["tables"]["absence"]
    code = absences["columns"].index("code")
    code_of = {r[0]: r[code] for r in absences["rows"]}
    late = {
        c["entity_id"]
        for c in gen.truth["cases"]
        if c["rule_id"] == "attendance.deadline" and code_of[c["entity_id"]] == "УП"
    }
    reasons = {
        c["entity_id"] for c in gen.truth["cases"] if c["rule_id"] == "absence.reason.deadline"
    }
    assert late and late <= reasons
