"""Attendance against the hours planned (КТП), and «не аттестован» by attendance or marks,
against hand computations."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from canonical.base import Platform
from emulators.scenario.world import World
from local_store.ingest import Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run
from policies.forecast import (
    NOT_ATTESTED,
    ForecastParams,
    History,
    Period,
    compute_forecast,
    forecast_subject,
    period_share,
)
from tests.reports.worlds import AS_OF as OBSERVED
from tests.reports.worlds import CREATED, KINDS, build

PARAMS = ForecastParams(max_missed_share=0.5, min_marks=3)
AS_OF = dt.date(2026, 10, 15)
PERIOD = Period("p1", "1 семестр", dt.date(2026, 9, 1), dt.date(2026, 12, 31))


def _history(**kw: float | int | str) -> History:
    """«4», «4», «5» so far (weight 1 each), by a КТП of 36 lessons of 2 hours."""
    base: dict[str, float | int | str] = dict(
        marks=3,
        weight=3,
        weighted_sum=13,
        weighted_squares=57,
        held=10,
        planned=36,
        planned_from="plan",
        hours_per_lesson=2.0,
    )
    base.update(kw)
    return History(**base)  # type: ignore[arg-type]


def test_missed_past_half_of_the_plan_is_not_attested() -> None:
    # 19 of 20 lessons held missed; the plan has 36: 19 > 18 → already past the limit
    f = forecast_subject(_history(held=20, missed=19), PARAMS)
    assert f.mark == NOT_ATTESTED and f.probability == 1.0
    assert f.risks[0] == "пропущено 38 ч из 72 ч по КТП — больше 50%: не аттестуется"


def test_missing_at_this_pace_is_forecast_not_attested() -> None:
    # 6 of 10 missed; 26 lessons left at the same rate: 6 + 0.6 × 26 = 21.6 > 18
    f = forecast_subject(_history(missed=6), PARAMS)
    assert f.mark == NOT_ATTESTED
    assert f.missed_projected == pytest.approx(21.6)
    assert f.risks[0] == (
        "при таких пропусках к концу периода будет пропущено 43 ч из 72 ч по КТП — больше 50%"
    )
    # 4 of 10: 4 + 0.4 × 26 = 14.4 ≤ 18, attested; the forecast is a mark
    f = forecast_subject(_history(missed=4), PARAMS)
    assert f.mark == "4" and f.missed_projected == pytest.approx(14.4)
    assert "пропущено 40% занятий" in f.risks
    # without a limit in the profile attendance never bars attestation
    free = PARAMS.model_copy(update={"max_missed_share": None})
    assert forecast_subject(_history(held=20, missed=19), free).mark != NOT_ATTESTED


def test_recent_spell_weighs_more_with_absence_memory() -> None:
    # 3 of 10 missed, all of them in the last two weeks (3 of 4 lessons there)
    h = _history(missed=3, recent_held=4, recent_missed=3)
    assert forecast_subject(h, PARAMS).missed_projected == pytest.approx(3 + 0.3 * 26)
    # pulled toward the period's rate by 4 lessons: (3 + 4 × 0.3) / (4 + 4) = 0.525
    remembering = PARAMS.model_copy(update={"absence_memory": 4.0})
    f = forecast_subject(h, remembering)
    assert f.missed_projected == pytest.approx(3 + 0.525 * 26, abs=0.05)
    assert f.mark == "4"  # 16.65 ≤ 18: still attested
    # marks come only at lessons attended: 3 marks in 7 attended, 26 × (1 − 0.525) to come
    assert f.marks_expected == pytest.approx(3 + 3 / 7 * 26 * 0.475, abs=0.05)


def test_too_few_marks_by_the_end_is_not_attested() -> None:
    # one mark in 10 lessons, two lessons left: about 1.2 marks by the end, 3 needed
    f = forecast_subject(_history(marks=1, weight=1, weighted_sum=4, weighted_squares=16,
                                  planned=12), PARAMS)  # fmt: skip
    assert f.mark == NOT_ATTESTED and f.marks_expected == pytest.approx(1.2)
    assert f.risks[0] == "мало отметок для аттестации: к концу периода около 1, нужно не меньше 3"
    none = forecast_subject(_history(marks=0, weight=0, weighted_sum=0, weighted_squares=0), PARAMS)
    assert none.mark == NOT_ATTESTED and none.risks[0] == "нет отметок: не аттестуется без них"


def _with_plan(total_hours: float) -> dict:  # type: ignore[type-arg]
    """The reports' college term with a КТП for g1 × Математика and autumn vacations."""
    data = build()
    data["tables"]["plan"] = {
        "columns": [
            "id",
            "created_at",
            "group_id",
            "subject_id",
            "teacher_id",
            "year_id",
            "total_hours",
        ],
        "rows": [["kp1", CREATED, "g1", "sub1", "t1", "y1", total_hours]],
    }
    data["tables"]["holiday"] = {
        "columns": ["id", "created_at", "year_id", "name", "starts_on", "ends_on"],
        "rows": [["h1", CREATED, "y1", "Осенние каникулы", "2026-11-01", "2026-11-08"]],
    }
    return data


def _ingest(engine: Engine, data: dict) -> None:  # type: ignore[type-arg]
    kinds = (*KINDS, "plan", "holiday")
    state = World.from_dict(data).state_as_of(OBSERVED, "poo")
    records = [r for k in kinds for r in state.to_records(k, Platform.POO, "poo.test")]
    run = start_run(engine, "poo", deployment="poo.test", observed_at=OBSERVED)
    result = ingest(engine, run, Snapshot.of("poo:poo.test:all", records, kinds))
    finish_run(engine, run, RunStatus.SUCCEEDED, counts=result.as_dict())


def test_period_lessons_come_from_the_plan(engine: Engine) -> None:
    _ingest(engine, _with_plan(160.0))
    params = ForecastParams()
    with engine.connect() as conn:
        share = period_share(conn, "poo", "poo.test", PERIOD)
        forecast = compute_forecast(conn, "poo", "poo.test", PERIOD, AS_OF, params)
    # teaching days (Sundays and the vacation out): 1 семестр 01.09–31.12.2026 has 122 days,
    # 17 Sundays, and 6 more days of vacation (01–08.11 holds two Sundays): 99;
    # 2 семестр 12.01–30.06.2027 has 170 days and 24 Sundays: 146
    assert share == pytest.approx(99 / (99 + 146))
    # 160 hours × 99/245 = 64.65 hours of Математика (2-hour lessons) in the semester; after
    # 15.10 the semester has 60 teaching days (16.10–31.10: 14, 09.11–30.11: 19, December:
    # 27), so the КТП leaves 160 × 60/245 / 2 = 19.6 → 20 lessons
    with engine.connect() as conn:
        left = period_share(conn, "poo", "poo.test", PERIOD, after=AS_OF)
    assert left == pytest.approx(60 / 245)
    g1 = forecast.students["s01"].subjects["sub1"]
    assert g1.planned_from == "plan" and g1.hours_per_lesson == 2.0
    assert g1.planned == g1.held + 20
    # after the period's end no lessons are left, whatever the КТП held
    with engine.connect() as conn:
        over = compute_forecast(conn, "poo", "poo.test", PERIOD, dt.date(2027, 1, 5), params)
    done = over.students["s01"].subjects["sub1"]
    assert done.planned == done.held and done.planned_from == "plan"
    # a group-subject without a plan keeps the journal's lessons (or the pace so far)
    assert forecast.students["s01"].subjects["sub2"].planned_from in ("journal", "pace")
