"""How long a college-year scenario takes to generate, write and load, and how big it is.

    .venv/bin/python benchmarks/generate_scenario.py [--profile tpt --students 1500 --weeks 40]

Prints the generation, writing and loading times, the file sizes, row counts,
the peak memory of loading, and the time of ``World.state_as_of`` for one kind
and for the whole world.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emulators.scenario.generate import build
from emulators.scenario.writer import write_scenario

_LOAD_PROBE = """
import datetime as dt, resource, sys, time
from emulators.scenario.world import World
t = time.perf_counter(); world = World.load(sys.argv[1]); load = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = dt.datetime.fromisoformat(world.meta["starts_at"])
end = dt.datetime.fromisoformat(world.meta["ends_at"])
t = time.perf_counter(); n1 = len(world.state_as_of(start + (end - start) / 2, kinds=["lesson"]).kind("lesson")); a = time.perf_counter() - t
t = time.perf_counter(); n2 = len(world.state_as_of(end, kinds=["mark"]).kind("mark")); b = time.perf_counter() - t
t = time.perf_counter(); n3 = len(world.state_as_of(end, kinds=["mark"], where={"group_id": "g7"}).kind("mark")); c = time.perf_counter() - t
t = time.perf_counter(); n4 = sum(len(v) for v in world.state_as_of(end).records.values()); d = time.perf_counter() - t
print(load, peak, a, n1, b, n2, c, n3, d, n4)
"""


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
    n_edits = len(generated.scenario["edits"]["rows"])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "college-year.json.gz"
        size, truth = write_scenario(out, generated.scenario, generated.truth)
        written = time.perf_counter()
        del generated
        load_start = time.perf_counter()
        probe = subprocess.run(
            [sys.executable, "-c", _LOAD_PROBE, str(out)],
            check=True,
            capture_output=True,
            text=True,
        )
        loaded = time.perf_counter()
        load_s, peak_mb, lesson_s, n_lessons, mark_s, n_marks, group_s, n_group, all_s, n_all = (
            probe.stdout.split()
        )
        print(f"profile={args.profile} students={args.students} groups={groups} weeks={args.weeks}")
        print(
            f"rows: marks={counts['mark']} lessons={counts['lesson']} absences={counts['absence']} "
            f"homework={counts['homework']} persons={counts['person']} edits={n_edits}"
        )
        print(
            f"generate: {built - started:.1f} s; write: {written - built:.1f} s; "
            f"file: {size / 1_048_576:.1f} MiB gz ({out.name}); truth: {truth.stat().st_size / 1024:.0f} KiB"
        )
        print(
            f"World.load (fresh process): {float(load_s):.1f} s, peak RSS {float(peak_mb):.0f} MiB "
            f"(probe process in all: {loaded - load_start:.1f} s)"
        )
        print(
            f"state_as_of(middle, kinds=[lesson]): {float(lesson_s):.2f} s ({n_lessons} lessons); "
            f"state_as_of(end, kinds=[mark]): {float(mark_s):.2f} s ({n_marks} marks); "
            f"state_as_of(end, kinds=[mark], where=group): {float(group_s):.2f} s ({n_group}); "
            f"state_as_of(end): {float(all_s):.2f} s ({n_all} records)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
