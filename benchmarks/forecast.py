"""Backtest of the period-mark forecast against the marks a generated scenario planted.

    .venv/bin/python benchmarks/forecast.py [--profile usolye --students 150 --seeds 3
        --weeks-at 4,8,12 --drift 0.0,0.6]

For every seed and drift the scenario's first period is cut at weeks 4, 8 and 12: the
store holds the world as the platform showed it at that moment (lessons published
ahead, marks entered so far), and the forecast is made from it.  It is compared with
the period mark the scenario planted (the weighted average of the whole period's
marks, rounded half up; «н/а» without marks), and so is the naive baseline: the
current weighted average, rounded.

The scenario's students keep one level all period (their marks scatter round it),
which flatters the naive baseline; ``--drift S`` gives each student a steady drift
drawn from N(0, S) marks over the period (later marks move further), and re-plants the
period marks by the same rule, a first step toward realistic trajectories.  Subjects
a student is exempt from (ОСВ) are left out: their planted «н/а» is no failure.

Printed per drift and week: exact-mark accuracy, within one mark, and the recall and
precision of «failing» (planted «2» or «н/а»), for the forecast and the baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from canonical.base import Platform  # noqa: E402
from emulators.scenario.generate import build  # noqa: E402
from emulators.scenario.world import World  # noqa: E402
from local_store.engine import make_engine, migrate  # noqa: E402
from local_store.ingest import Snapshot, ingest  # noqa: E402
from local_store.runs import RunStatus, finish_run, start_run  # noqa: E402
from policies.forecast import (  # noqa: E402
    EXEMPT,
    NOT_ATTESTED,
    ForecastParams,
    Period,
    compute_forecast,
    forecast_params,
    round_mark,
)
from policies.profiles import load_profile  # noqa: E402

KINDS = (
    "institution",
    "school_year",
    "period",
    "person",
    "group",
    "subject",
    "teaching_assignment",
    "enrolment",
    "lesson",
    "mark",
    "absence",
)
FAILING = ("2", NOT_ATTESTED)


def _cols(table: dict[str, Any]) -> dict[str, int]:
    return {c: i for i, c in enumerate(table["columns"])}


def first_period(scenario: dict[str, Any]) -> Period:
    t = scenario["tables"]["period"]
    c = _cols(t)
    rows = [r for r in t["rows"] if r[c["period_kind"]] != "year"]
    r = min(rows, key=lambda r: r[c["starts_on"]])
    return Period(
        r[c["id"]],
        r[c["name"]],
        dt.date.fromisoformat(r[c["starts_on"]]),
        dt.date.fromisoformat(r[c["ends_on"]]),
    )


def add_drift(scenario: dict[str, Any], period: Period, scale: float, seed: int) -> None:
    """Each student's marks drift steadily by N(0, scale) over the period; the period
    marks are planted again by the scenario's rule (weighted average, half up)."""
    if scale <= 0:
        return
    rng = random.Random(seed)
    t = scenario["tables"]["mark"]
    c = _cols(t)
    drift: dict[str, float] = defaultdict(lambda: rng.gauss(0.0, scale))
    length = (period.ends_on - period.starts_on).days
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in t["rows"]:
        if r[c["final_kind"]] is not None or r[c["numeric"]] is None:
            continue
        day = dt.date.fromisoformat(r[c["date"]])
        if not period.starts_on <= day <= period.ends_on:
            continue
        share = (day - period.starts_on).days / length
        value = min(5, max(2, round(r[c["numeric"]] + drift[r[c["student_id"]]] * share)))
        r[c["value"]], r[c["numeric"]] = str(value), float(value)
        acc = sums[(r[c["student_id"]], r[c["subject_id"]])]
        weight = r[c["weight"]] or 1.0
        acc[0] += value * weight
        acc[1] += weight
    for r in t["rows"]:
        if r[c["final_kind"]] is None or r[c["period_id"]] != period.id:
            continue
        total = sums.get((r[c["student_id"]], r[c["subject_id"]]))
        if total and total[1]:
            value = round_mark(total[0] / total[1], 0.5)
            r[c["value"]], r[c["numeric"]] = str(value), float(value)


def planted(scenario: dict[str, Any], period: Period) -> dict[tuple[str, str], str]:
    t = scenario["tables"]["mark"]
    c = _cols(t)
    return {
        (r[c["student_id"]], r[c["subject_id"]]): str(r[c["value"]])
        for r in t["rows"]
        if r[c["final_kind"]] is not None and r[c["period_id"]] == period.id
    }


def store_at(world: World, moment: dt.datetime, folder: Path, name: str) -> Any:
    engine = make_engine(f"sqlite:///{folder / name}.sqlite")
    migrate(engine)
    state = world.state_as_of(moment, None)
    records = [r for k in KINDS for r in state.to_records(k, Platform.POO, "bench")]
    run = start_run(engine, "poo", deployment="bench", observed_at=moment)
    result = ingest(engine, run, Snapshot.of("poo:bench:all", records, KINDS))
    finish_run(engine, run, RunStatus.SUCCEEDED, counts=result.as_dict())
    return engine


@dataclass
class Tally:
    n: int = 0
    exact: int = 0
    within_one: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: str, flagged: bool, actual: str) -> None:
        self.n += 1
        self.exact += predicted == actual
        if predicted == actual or (
            predicted.isdigit() and actual.isdigit() and abs(int(predicted) - int(actual)) <= 1
        ):
            self.within_one += 1
        failing = actual in FAILING
        self.tp += flagged and failing
        self.fp += flagged and not failing
        self.fn += failing and not flagged

    def row(self) -> str:
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        return (
            f"{self.exact / self.n:6.1%} {self.within_one / self.n:7.1%} "
            f"{recall:7.1%} {precision:8.1%}  ({self.tp + self.fn} failing of {self.n})"
        )


def backtest(
    profile: str,
    students: int,
    seeds: list[int],
    weeks_at: list[int],
    drifts: list[float],
    overrides: dict[str, float] | None = None,
) -> None:
    params: ForecastParams = forecast_params(load_profile(profile))
    if overrides:
        params = params.model_copy(update=overrides)
    print(
        f"profile {profile}, {students} students, seeds {seeds}, rule: half up at "
        f"{params.round_from}, prior_marks {params.prior_marks}, "
        f"risk_probability {params.risk_probability}"
    )
    print(
        f"{'drift':>5} {'week':>4} {'model':6} {'exact':>6} {'±1':>7} {'recall':>7} {'precision':>8}"
    )
    with tempfile.TemporaryDirectory(prefix="forecast-bench-") as tmp:
        for drift in drifts:
            tallies: dict[tuple[int, str], Tally] = defaultdict(Tally)
            for seed in seeds:
                scenario = build(profile, students, 20, seed).scenario
                period = first_period(scenario)
                add_drift(scenario, period, drift, seed)
                actual = planted(scenario, period)
                world = World.from_dict(scenario)
                tz = dt.timezone(dt.timedelta(hours=4))
                for week in weeks_at:
                    as_of = period.starts_on + dt.timedelta(days=7 * week - 1)
                    moment = dt.datetime.combine(as_of, dt.time(23, 0), tzinfo=tz)
                    engine = store_at(world, moment, Path(tmp), f"s{seed}-d{drift}-w{week}")
                    with engine.connect() as conn:
                        f = compute_forecast(conn, "poo", "bench", period, as_of, params)
                    engine.dispose()
                    for student in f.students.values():
                        for subject, sf in student.subjects.items():
                            truth = actual.get((student.student_id, subject))
                            if truth is None or sf.mark == EXEMPT:
                                # exempt (ОСВ): the planted «н/а» is no failure
                                continue
                            flagged = sf.mark in FAILING or (
                                sf.probabilities.get("2", 0.0) >= params.risk_probability
                            )
                            tallies[(week, "model")].add(sf.mark, flagged, truth)
                            mean = sf.current_mean
                            naive = NOT_ATTESTED if mean is None else str(round_mark(mean, 0.5))
                            tallies[(week, "naive")].add(naive, naive in FAILING, truth)
            for week in weeks_at:
                for model in ("model", "naive"):
                    print(f"{drift:5.1f} {week:4d} {model:6} {tallies[(week, model)].row()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="usolye")
    parser.add_argument("--students", type=int, default=150)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--weeks-at", default="4,8,12")
    parser.add_argument("--drift", default="0.0,0.6")
    parser.add_argument(
        "--set", action="append", default=[], help="a [forecast] parameter: prior_marks=0"
    )
    args = parser.parse_args()
    overrides = {k: float(v) for k, _, v in (s.partition("=") for s in args.set)}
    backtest(
        args.profile,
        args.students,
        list(range(1, args.seeds + 1)),
        [int(w) for w in args.weeks_at.split(",")],
        [float(d) for d in args.drift.split(",")],
        overrides,
    )


if __name__ == "__main__":
    main()
