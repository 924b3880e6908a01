"""The planted ground truth covers every rule the catalog gives the profile."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from emulators.scenario.catalog import (
    PROFILES,
    REPORT_OBLIGATIONS,
    plantable_rules_of,
    rules_of,
    uncarried_rules_of,
)
from tests.scenario.conftest import generated

ROOT = Path(__file__).resolve().parents[2]

# a school needs the whole year in the window for year marks (year.lock.teacher)
LONG = {"mazanka": 40}
# deadlines before the window's first sync cannot be observed by the replay
BEFORE_WINDOW = {"kpgt": {"plan.deadline"}}


@pytest.mark.parametrize("profile", PROFILES)
def test_every_rule_planted_several_times(profile: str) -> None:
    truth = generated(profile, 60, LONG.get(profile, 8)).truth
    assert set(truth["rules"]) == set(rules_of(profile))
    violated = Counter(
        c["rule_id"] for c in truth["cases"] if c["expected"] in ("violated", "refused")
    )
    before = BEFORE_WINDOW.get(profile, set())
    plantable = plantable_rules_of(profile) - before
    missing = plantable - set(violated)
    assert not missing, f"not planted: {sorted(missing)}"
    assert all(violated[r] >= 2 for r in plantable), violated
    assert {n["rule_id"] for n in truth["not_planted"]} == (
        rules_of(profile) & REPORT_OBLIGATIONS
    ) | set(uncarried_rules_of(profile)) | before
    # boundary near misses exist for the deadline rules
    near = {n["rule_id"] for n in truth["near_misses"]}
    assert "marks.deadline" in near and "lesson.topic.deadline" in near


@pytest.mark.parametrize("profile", PROFILES)
def test_catalog_table_agrees_with_profile_files(profile: str) -> None:
    path = ROOT / "profiles" / f"{profile}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert set(data["rules"]) == set(rules_of(profile))


def test_short_window_says_what_it_could_not_plant() -> None:
    truth = generated("mazanka", 60, 8).truth
    not_planted = {n["rule_id"]: n["reason"] for n in truth["not_planted"]}
    assert set(not_planted) == {"year.lock.teacher"} | (
        rules_of("mazanka") & REPORT_OBLIGATIONS
    ) | set(uncarried_rules_of("mazanka"))
    assert "годовых" in not_planted["year.lock.teacher"]


def test_cases_carry_aware_moments_in_the_institutions_zone() -> None:
    truth = generated("tpt").truth
    timed = [c for c in truth["cases"] if "deadline" in c]
    assert timed
    for c in timed:
        assert c["deadline"].endswith("+07:00"), c
        if "made_at" in c:
            assert c["made_at"].endswith("+07:00")
            assert c["made_at"] > c["deadline"], c
    for n in truth["near_misses"]:
        if "deadline" in n and "made_at" in n:
            assert n["made_at"] <= n["deadline"], n


def test_discrepancies_name_their_cause() -> None:
    truth = generated("talmenka").truth
    kinds = {d["kind"] for d in truth["discrepancies"]}
    assert {
        "registry_lags_order",
        "birth_date_differs",
        "expected_enrolment_missing",
        "epgu_applicant_not_parent",
        "parent_without_snils",
    } <= kinds
    assert all(d["cause"] for d in truth["discrepancies"])


def test_every_catalog_rule_has_a_planter() -> None:
    from emulators.scenario.catalog import RULES
    from emulators.scenario.plants import PLANTERS

    assert set(RULES) - REPORT_OBLIGATIONS == set(PLANTERS)


def test_card_without_order_number_lacks_it_on_the_enrolment_order_too() -> None:
    """«Модуль ПОО» shows a card's order from the student's enrolment decree: a card planted
    without its order number must have a decree without a number, or the platform shows one."""
    g = generated("tpt", 40, 2)
    cases = [
        c
        for c in g.truth["cases"]
        if c["rule_id"] == "contingent.card.required_fields"
        and c.get("details", {}).get("missing_field") == "order_number"
    ]
    assert cases
    orders = g.scenario["tables"]["movement_order"]
    cols = orders["columns"]
    for c in cases:
        numbers = [
            r[cols.index("number")]
            for r in orders["rows"]
            if r[cols.index("student_id")] == c["entity_id"]
            and r[cols.index("movement")] == "enrolment"
        ]
        assert numbers and all(not n for n in numbers), c["entity_id"]


def test_no_attendance_case_on_an_absence_poo_cannot_show() -> None:
    """«Модуль ПОО» has no word for «ОСВ»: an absence with that code never reaches the store."""
    g = generated("tpt", 30, 1, 3)
    absences = g.scenario["tables"]["absence"]
    cols = absences["columns"]
    codes = {r[cols.index("id")]: r[cols.index("code")] for r in absences["rows"]}
    cases = [c for c in g.truth["cases"] if c["rule_id"] == "attendance.deadline"]
    assert cases and all(codes[c["entity_id"]] != "ОСВ" for c in cases)
