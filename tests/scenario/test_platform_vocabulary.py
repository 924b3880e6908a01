"""The generator plants only what the demo platform can show (issue 14 §3)."""

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
