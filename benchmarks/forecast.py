"""Backtest of the period-mark forecast against the marks a generated scenario planted.

    .venv/bin/python benchmarks/forecast.py [--profile usolye --students 150 --seeds 3
        --weeks-at 4,8,12 --modes flat,realistic --cache DIR --set prior_marks=2]

For every seed the scenario's first period is cut at weeks 4, 8 and 12: the store holds
the world as the platform showed it at that moment (lessons published ahead, marks
entered so far), and the forecast is made from it through ``compute_histories`` (the
store's own reads).  It is compared with the period mark planted for the whole period
(the weighted average of the period's marks, rounded half up; «н/а» without marks), and
so is the naive baseline: the current weighted average, rounded.

Modes:

* ``flat``: the scenario as ``generate.build`` makes it for the demos (one level per
  student all year, absences lesson by lesson at random);
* ``realistic``: the same scenario reshaped by ``emulators.scenario.trajectories``
  (a weekly random walk and a slope per subject, illness spells, skipping as marks
  slide; «н/а» also past the missed-lessons limit).  The generator is untouched, so
  the demos' scenarios are byte-identical.

Subjects a student is exempt from (ОСВ) are left out: their «н/а» is no failure.
Printed per mode and week: exact-mark accuracy, within one mark, and the recall and
precision of «failing» (planted «2» or «н/а») for the forecast (flagged: forecast «2» /
«н/а», or «2» at least ``risk_probability`` likely) and the baseline (flagged: the
current average rounds to «2», or no marks).  ``--cache DIR`` keeps the histories read
from the stores, so model parameters can be compared without rebuilding them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from canonical.base import Platform  # noqa: E402
from emulators.scenario.generate import build  # noqa: E402
from emulators.scenario.trajectories import Shape, reshape  # noqa: E402
from emulators.scenario.world import World  # noqa: E402
from local_store.engine import make_engine, migrate  # noqa: E402
from local_store.ingest import Snapshot, ingest  # noqa: E402
from local_store.runs import RunStatus, finish_run, start_run  # noqa: E402
from policies.forecast import (  # noqa: E402
    EXEMPT,
    NOT_ATTESTED,
    ForecastParams,
    History,
    Period,
    compute_histories,
    forecast_params,
    forecast_subject,
    round_mark,
)
from policies.profiles import load_profile  # noqa: E402

KINDS = (
    "institution",
    "school_year",
    "period",
    "holiday",
    "person",
    "group",
    "subject",
    "teaching_assignment",
    "enrolment",
    "plan",
    "lesson",
    "mark",
    "absence",
)
FAILING = ("2", NOT_ATTESTED)
Case = tuple[int, History, str]
"""(week, the history the store showed then, the planted period mark)."""


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


def collect(
    profile: str, students: int, seed: int, mode: str, weeks_at: list[int], shape: Shape
) -> list[Case]:
    """The histories the store shows at each week, with the planted period mark."""
    scenario = build(profile, students, 20, seed).scenario
    period = first_period(scenario)
    if mode == "realistic":
        reshape(scenario, period.id, seed, shape)
    actual = planted(scenario, period)
    world = World.from_dict(scenario)
    tz = dt.timezone(dt.timedelta(hours=4))
    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="forecast-bench-") as tmp:
        for week in weeks_at:
            as_of = period.starts_on + dt.timedelta(days=7 * week - 1)
            moment = dt.datetime.combine(as_of, dt.time(23, 0), tzinfo=tz)
            engine = store_at(world, moment, Path(tmp), f"w{week}")
            with engine.connect() as conn:
                rows = compute_histories(conn, "poo", "bench", period, as_of)
            engine.dispose()
            for student, _group, subject, history in rows:
                truth = actual.get((student, subject))
                if truth is not None:
                    cases.append((week, history, truth))
    return cases


def cached(
    cache: Path | None,
    profile: str,
    students: int,
    seed: int,
    mode: str,
    weeks_at: list[int],
    shape: Shape,
) -> list[Case]:
    if cache is None:
        return collect(profile, students, seed, mode, weeks_at, shape)
    key = "-".join(map(str, (profile, students, seed, mode, *weeks_at)))
    path = cache / f"{key}.pickle"
    if path.exists():
        with path.open("rb") as fh:
            found: list[Case] = pickle.load(fh)
            return found
    cases = collect(profile, students, seed, mode, weeks_at, shape)
    cache.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pickle.dump(cases, fh)
    return cases


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

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    def row(self) -> str:
        return (
            f"{self.exact / self.n:6.1%} {self.within_one / self.n:7.1%} "
            f"{self.recall:7.1%} {self.precision:9.1%}  ({self.tp + self.fn} failing of {self.n})"
        )


def score(cases: list[Case], params: ForecastParams) -> dict[tuple[int, str], Tally]:
    tallies: dict[tuple[int, str], Tally] = defaultdict(Tally)
    for week, history, truth in cases:
        sf = forecast_subject(history, params)
        if sf.mark == EXEMPT:
            continue  # exempt (ОСВ): the planted «н/а» is no failure
        flagged = sf.mark in FAILING or sf.probabilities.get("2", 0.0) >= params.risk_probability
        tallies[(week, "model")].add(sf.mark, flagged, truth)
        mean = history.mean
        naive = NOT_ATTESTED if mean is None else str(round_mark(mean, 0.5))
        tallies[(week, "naive")].add(naive, naive in FAILING, truth)
    return tallies


def backtest(
    profile: str,
    students: int,
    seeds: list[int],
    weeks_at: list[int],
    modes: list[str],
    overrides: dict[str, float] | None = None,
    cache: Path | None = None,
) -> dict[tuple[str, int, str], Tally]:
    params: ForecastParams = forecast_params(load_profile(profile))
    if overrides:
        params = params.model_copy(update=overrides)
    shape = Shape(max_missed_share=params.max_missed_share)
    print(
        f"profile {profile}, {students} students, seeds {seeds}, rule: half up at "
        f"{params.round_from}; {params.model_dump(exclude={'clause', 'text', 'notice_clause', 'notice_text', 'period_kinds'})}"
    )
    print(
        f"{'mode':9} {'week':>4} {'model':6} {'exact':>6} {'±1':>7} {'recall':>7} {'precision':>9}"
    )
    out: dict[tuple[str, int, str], Tally] = {}
    for mode in modes:
        cases = [
            c
            for seed in seeds
            for c in cached(cache, profile, students, seed, mode, weeks_at, shape)
        ]
        tallies = score(cases, params)
        for week in weeks_at:
            for model in ("model", "naive"):
                t = tallies[(week, model)]
                out[(mode, week, model)] = t
                print(f"{mode:9} {week:4d} {model:6} {t.row()}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", default="usolye")
    parser.add_argument("--students", type=int, default=150)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--weeks-at", default="4,8,12")
    parser.add_argument("--modes", default="flat,realistic")
    parser.add_argument("--cache", type=Path, default=None)
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
        args.modes.split(","),
        overrides,
        args.cache,
    )


if __name__ == "__main__":
    main()
