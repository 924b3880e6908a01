"""How long a college-year scenario takes to generate, write and load, and how big it is.

    .venv/bin/python benchmarks/generate_scenario.py [--profile tpt --students 1500 --weeks 40]

Prints the generation, writing and loading times, the file sizes, row counts,
the peak memory of loading, and the time of ``World.state_as_of`` for one kind
and for the whole world.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

from emulators.scenario.generate import build
from emulators.scenario.world import World
from emulators.scenario.writer import write_scenario


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="tpt")
    parser.add_argument("--students", type=int, default=1500)
    parser.add_argument("--weeks", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="scenario file (default: a temporary .json.gz)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    generated = build(args.profile, args.students, args.weeks, args.seed)
    built = time.perf_counter()
    tables = generated.scenario["tables"]
    groups = len(tables["group"]["rows"])
    counts = {k: len(v["rows"]) for k, v in tables.items()}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "college-year.json.gz"
        size, truth = write_scenario(out, generated.scenario, generated.truth)
        written = time.perf_counter()
        del generated
        load_start = time.perf_counter()
        world = World.load(out)
        loaded = time.perf_counter()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        end = dt.datetime.fromisoformat(world.meta["ends_at"])
        middle = (
            dt.datetime.fromisoformat(world.meta["starts_at"])
            + (end - dt.datetime.fromisoformat(world.meta["starts_at"])) / 2
        )
        t0 = time.perf_counter()
        lessons = world.state_as_of(middle, kinds=["lesson"]).kind("lesson")
        t1 = time.perf_counter()
        marks = world.state_as_of(end, kinds=["mark"]).kind("mark")
        t2 = time.perf_counter()
        everything = world.state_as_of(end)
        t3 = time.perf_counter()
        print(f"profile={args.profile} students={args.students} groups={groups} weeks={args.weeks}")
        print(
            f"rows: marks={counts['mark']} lessons={counts['lesson']} absences={counts['absence']} "
            f"homework={counts['homework']} persons={counts['person']} edits={len(world.edits)}"
        )
        print(
            f"generate: {built - started:.1f} s; write: {written - built:.1f} s; "
            f"file: {size / 1_048_576:.1f} MiB gz ({out.name}); truth: {truth.stat().st_size / 1024:.0f} KiB"
        )
        print(f"World.load: {loaded - load_start:.1f} s; peak RSS so far: {peak_mb:.0f} MiB")
        print(
            f"state_as_of(middle, lesson): {t1 - t0:.2f} s ({len(lessons)} lessons); "
            f"state_as_of(end, mark): {t2 - t1:.2f} s ({len(marks)} marks); "
            f"state_as_of(end, all kinds): {t3 - t2:.2f} s ({sum(len(v) for v in everything.records.values())} records)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
