"""How long the policy engine takes on a college year, against one plain scan of the marks.

    .venv/bin/python benchmarks/policies.py [--profile tpt --students 1500 --weeks 40]
        [--db sqlite:///tmp/bench.sqlite | postgresql://…] [--scenario FILE]

Generates (or reads) the scenario, replays it into a fresh store with one sync
per week (each simulated sync is the platform's state at that moment, as the
connectors would ingest it), then measures:

- the full evaluation of every rule the profile turns on (``run_check --full``);
- one more simulated day of data (a sync one day later) and the incremental
  check that re-evaluates only what that sync touched;
- one plain SQL scan of the marks' version table in the same store (every row
  read back), the floor any set-based evaluation is measured against;

and prints the three times with their ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its name would shadow
# the ``policies`` package it measures.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import and_, func, select, text  # noqa: E402

from benchmarks import clock  # noqa: E402
from demo.replay import Replayer  # noqa: E402
from emulators.scenario.generate import build  # noqa: E402
from emulators.scenario.world import World  # noqa: E402
from emulators.scenario.writer import write_scenario  # noqa: E402
from local_store.engine import make_engine, migrate  # noqa: E402
from local_store.schema import version_table  # noqa: E402
from policies.engine import run_check  # noqa: E402
from policies.profiles import load_profile  # noqa: E402


def _scan_marks(engine: object) -> tuple[float, int]:
    """One pass over every row of the marks' version table inside the database."""
    marks = version_table("mark")
    started = clock.now()
    with engine.connect() as conn:  # type: ignore[attr-defined]
        rows, _, _ = conn.execute(
            select(
                func.count(),
                func.count(func.distinct(marks.c.entity_id)),
                func.max(func.length(marks.c.f_value)),
            )
        ).one()
    return clock.now() - started, int(rows)


@dataclass(frozen=True)
class PolicyTimes:
    """Seconds of the full check, the incremental check after one day, and the plain scan."""

    full_s: float
    incremental_s: float
    scan_s: float
    reconcile_s: float = 0.0
    """``local_store.reconcile.reconcile`` of the same store (identities and discrepancies)."""
    join_s: float = 0.0
    """One SQL join of the current persons of different sources on СНИЛС."""


def measure(
    profile_id: str,
    students: int,
    weeks: int,
    *,
    seed: int = 1,
    scenario: str | None = None,
    db: str | None = None,
    every_days: int = 7,
) -> PolicyTimes:
    """Build the store and time the full check, one day's incremental check and the scan."""
    args = argparse.Namespace(
        profile=profile_id,
        students=students,
        weeks=weeks,
        seed=seed,
        scenario=scenario,
        db=db,
        every_days=every_days,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.scenario) if args.scenario else Path(tmp) / "college-year.json.gz"
        if not args.scenario:
            t = clock.now()
            generated = build(args.profile, args.students, args.weeks, args.seed)
            write_scenario(path, generated.scenario, generated.truth)
            del generated
            print(f"scenario generated in {clock.now() - t:.1f} s: {path}")
        world = World.load(path)
        profile = load_profile(str(world.meta.get("profile", args.profile)))
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        migrate(engine)

        zone = profile.timezone
        start = dt.datetime.fromisoformat(str(world.meta["starts_at"]))
        end = dt.datetime.fromisoformat(str(world.meta["ends_at"]))
        from zoneinfo import ZoneInfo

        # The simulated day must be a school day with entries: stop a week before lessons end,
        # on a Tuesday night, so Wednesday brings a day of lessons, marks and absences.
        lessons_until = dt.datetime.fromisoformat(str(world.meta.get("lessons_until", end)))
        stop = lessons_until.astimezone(ZoneInfo(zone)).date() - dt.timedelta(days=7)
        stop -= dt.timedelta(days=(stop.weekday() - 1) % 7)
        last = dt.datetime.combine(stop, dt.time(23, 59, 59), tzinfo=ZoneInfo(zone))
        weekly = []
        moment = dt.datetime.combine(
            start.astimezone(ZoneInfo(zone)).date() - dt.timedelta(days=1),
            dt.time(23, 59, 59),
            tzinfo=ZoneInfo(zone),
        )
        while moment < last:
            weekly.append(moment)
            moment += dt.timedelta(days=args.every_days)
        weekly.append(last)
        t = clock.now()
        replayer = Replayer(engine, world)
        replayer.sync(weekly)
        load_s = clock.now() - t
        with engine.connect() as conn:
            marks = conn.execute(
                select(func.count()).select_from(version_table("mark"))
            ).scalar_one()
        print(
            f"store loaded: {len(weekly)} syncs every {args.every_days} d in {load_s:.1f} s, "
            f"{marks} mark versions"
        )

        t = clock.now()
        full = run_check(engine, profile, full=True)
        full_s = clock.now() - t
        print(f"full check: {full_s:.2f} s, {len(full.rules)} rules, totals {full.totals()}")
        slowest = sorted(full.rules, key=lambda r: r.seconds, reverse=True)[:8]
        print("  slowest rules: " + ", ".join(f"{r.rule_id} {r.seconds:.2f} s" for r in slowest))

        t = clock.now()
        # A nightly sync one day later pulls what changed that day.
        replayer.sync([last + dt.timedelta(days=1)], final=False)
        day_s = clock.now() - t
        t = clock.now()
        incremental = run_check(engine, profile)
        inc_s = clock.now() - t
        print(
            f"one simulated day: sync {day_s:.1f} s; incremental check {inc_s:.2f} s "
            f"(since run {incremental.since_run_id}), totals {incremental.totals()}"
        )
        slowest = sorted(incremental.rules, key=lambda r: r.seconds, reverse=True)[:8]
        print("  slowest rules: " + ", ".join(f"{r.rule_id} {r.seconds:.2f} s" for r in slowest))

        scan_s, rows = _scan_marks(engine)
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        print(f"plain scan of the marks table: {scan_s:.2f} s for {rows} rows")
        print(
            f"ratios: full / scan = {full_s / scan_s:.1f}, incremental / scan = "
            f"{inc_s / scan_s:.2f}, full / incremental = {full_s / inc_s:.1f}"
        )
        reconcile_s = _time_reconcile(engine)
        join_s = _join_on_snils(engine)
        print(f"reconciliation: {reconcile_s:.2f} s; one join on СНИЛС: {join_s:.3f} s")
        engine.dispose()
    return PolicyTimes(full_s, inc_s, scan_s, reconcile_s, join_s)


def _time_reconcile(engine: Any) -> float:
    from local_store.reconcile import reconcile

    started = clock.now()
    reconcile(engine)
    return clock.now() - started


def _join_on_snils(engine: Any) -> float:
    """The floor of reconciliation: pair every current person with the other sources' on СНИЛС."""
    person = version_table("person")
    other = person.alias("other_person")
    started = clock.now()
    with engine.connect() as conn:
        conn.execute(
            select(func.count())
            .select_from(person)
            .join(
                other,
                and_(
                    other.c.f_snils == person.c.f_snils,
                    other.c.platform != person.c.platform,
                    other.c.superseded_run_id.is_(None),
                ),
            )
            .where(person.c.superseded_run_id.is_(None))
        ).scalar_one()
    return clock.now() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="tpt")
    parser.add_argument("--students", type=int, default=1500)
    parser.add_argument("--weeks", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", default=None, help="an existing scenario file")
    parser.add_argument("--db", default=None, help="store URL (default: a temporary SQLite file)")
    parser.add_argument(
        "--every-days",
        type=int,
        default=7,
        help="days between simulated syncs (1: nightly at 23:59:59; 7: weekly)",
    )
    args = parser.parse_args(argv)

    measure(
        args.profile,
        args.students,
        args.weeks,
        seed=args.seed,
        scenario=args.scenario,
        db=args.db,
        every_days=args.every_days,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
