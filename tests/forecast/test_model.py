"""The forecast of one student in one subject against hand computations under the rule."""

from __future__ import annotations

import math

import pytest

from policies.forecast import (
    EXEMPT,
    NOT_ATTESTED,
    ForecastParams,
    History,
    forecast_params,
    forecast_subject,
    round_mark,
)
from policies.profiles import load_profile

PARAMS = ForecastParams(prior_marks=2, prior_from="group")
"""The group's mean weighs two marks here, so the prior's part is checked too."""


def test_rounding_rule_is_the_profiles() -> None:
    assert [round_mark(a, 0.5) for a in (2.49, 2.5, 3.49, 3.5, 4.49, 4.5, 1.0)] == [
        2,
        3,
        3,
        4,
        4,
        5,
        2,
    ]
    # a stricter rule: «4» only from 3.6
    assert round_mark(3.55, 0.6) == 3 and round_mark(3.6, 0.6) == 4
    params = forecast_params(load_profile("usolye"))
    assert params.round_from == 0.5 and params.clause == "2.8"
    assert params.notice_text.startswith("7.2. Рекомендуется информировать")


def test_period_over_marks_are_the_rule_applied() -> None:
    # «5», «4», «4», no lessons left: the average 4.33 gives «4» for sure; one «5» lifts it to 4.5
    h = History(
        marks=3, weight=3, weighted_sum=13, weighted_squares=57, held=10, planned=10, group_mean=4.0
    )
    f = forecast_subject(h, PARAMS)
    assert f.mark == "4" and f.probability == 1.0
    assert f.expected_mean == pytest.approx(4.33, abs=0.01)
    assert f.fives_to_next == 1 and not f.fives_possible  # no lessons left


def phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def test_mid_period_by_hand() -> None:
    # «3», «3» in 4 lessons of 8; the group's mean 4.0 weighs 2 marks
    h = History(
        marks=2,
        weight=2,
        weighted_sum=6,
        weighted_squares=18,
        held=4,
        planned=8,
        group_mean=4.0,
        missed=1,
    )
    f = forecast_subject(h, PARAMS)
    level = (2 * 3 + 2 * 4.0) / 4  # 3.5
    expected = (6 + 2 * level) / 4  # 3.25
    sd2 = 2 * 0.8**2 / 4
    sd = 0.5 * math.sqrt(sd2 / 2 + sd2 / 4)
    assert f.mark == "3"
    assert f.expected_mean == pytest.approx(expected, abs=0.005)
    assert f.probability == pytest.approx(
        phi((3.5 - expected) / sd) - phi((2.5 - expected) / sd), abs=1e-3
    )
    assert sum(f.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    assert f.fives_to_next == 1 and f.fives_possible
    assert f.missed_share == 0.25 and "пропущено 25% занятий" in f.risks


def test_weights_count() -> None:
    # a control work «2» of weight 3 and two answers «5»: (6 + 10) / 5 = 3.2 → «3»
    h = History(marks=3, weight=5, weighted_sum=16, weighted_squares=62, held=6, planned=6)
    assert forecast_subject(h, PARAMS).mark == "3"


def test_no_marks_is_not_attested_and_failing_is_at_risk() -> None:
    f = forecast_subject(History(held=6, planned=12, missed=5), PARAMS)
    assert f.mark == NOT_ATTESTED and f.risks[0] == "нет отметок: не аттестуется без них"
    low = History(
        marks=4, weight=4, weighted_sum=9, weighted_squares=21, held=6, planned=12, group_mean=3.0
    )
    f = forecast_subject(low, PARAMS)
    assert f.mark == "2" and f.probabilities["2"] > 0.5 and f.risks[0].startswith("«2»")
    # one «5» lifts 2.25 past 2.5 (the «3» threshold): (9 + 5) / 5 = 2.8
    assert f.fives_to_next == 1


def test_exempt_student_is_not_at_risk() -> None:
    # exempt (ОСВ) at most lessons of the subject: no marks are expected, nothing to flag
    f = forecast_subject(History(held=10, exempt=8, planned=20), PARAMS)
    assert f.mark == EXEMPT and f.risks == ()
    assert forecast_subject(History(held=10, exempt=2, planned=20), PARAMS).mark == NOT_ATTESTED


def test_full_model_by_hand_under_the_profiles_defaults() -> None:
    # «3», «3», «2» (weight 1) in weeks 1, 2, 3; on day 28 of a 16-week period; 8 lessons
    # held, 2 missed (both in the last two weeks), 32 in the period; the student's mean over
    # all subjects 3.5; the group misses 10 % and gets 0.5 marks per lesson attended
    h = History(
        marks=3,
        weight=3,
        weighted_sum=8,
        weighted_squares=22,
        weighted_time=6,
        weighted_time_squares=14,
        weighted_value_time=15,
        now=4,
        end=16,
        held=8,
        missed=2,
        recent_held=4,
        recent_missed=2,
        planned=32,
        student_mean=3.5,
        student_weight=20,
        group_missed_share=0.1,
        group_mark_rate=0.5,
    )
    params = forecast_params(load_profile("usolye"))
    assert (params.prior_marks, params.trend_prior, params.absence_prior) == (4, 1000, 30)
    f = forecast_subject(h, params)
    miss = (2 + 30 * 0.1) / (8 + 30)  # the student's 2/8 shrunk toward the group's 10 %
    rate = (3 + 3 * 0.5) / (6 + 3)  # marks per lesson attended, toward the group's
    future = rate * 24 * (1 - miss)
    assert f.marks_expected == pytest.approx(3 + future, abs=0.05)
    assert f.missed_projected == pytest.approx(2 + miss * 24, abs=0.05)
    mean = 8 / 3
    level = (3 * mean + 4 * 3.5) / 7  # toward the student's own mean, 4 marks' worth
    sd2 = (3 * (22 / 3 - mean**2) + 4 * 0.8**2) / 7
    slope = (15 - 2 * 8) / ((14 - 3 * 2**2) + 1000)  # falling, and shrunk hard
    shift = (4 + 16) / 2 - 2  # from the marks' middle (week 2) to the weeks left's (10)
    level += slope * shift
    expected = (8 + future * level) / (3 + future)
    assert f.mark == "3" and f.expected_mean == pytest.approx(expected, abs=0.005)
    sd = future / (3 + future) * math.sqrt(sd2 / future + sd2 / 7 + sd2 / 1002 * shift**2)
    assert f.probability == pytest.approx(
        phi((3.5 - expected) / sd) - phi((2.5 - expected) / sd), abs=1e-3
    )
    assert f.fives_to_next == 2  # (8 + 5n) / (3 + n) ≥ 3.5 from n ≥ 5/3
