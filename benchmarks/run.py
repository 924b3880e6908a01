"""Every figure we can measure now, the project beside its bare baseline in the same run.

    .venv/bin/python benchmarks/run.py [--size small|medium|college] [--profile tpt]
        [--db postgresql+psycopg://…] [--json] [--cpu]

Prints one row per figure: the project's seconds, the baseline's seconds on the
same data in the same process, their ratio and the goal from issue 17.  The
machine may be loaded by other work, so only the ratios are meant to be compared.

- P2 ingest: ``local_store.ingest`` of N marks (scopes of one group-week) against
  one ``executemany`` INSERT of the same rows into a bare table of the same database;
- P3 full check: ``run_check --full`` of every rule the profile turns on against one
  SQL scan of the marks' version table;
- P4 incremental: the check after one more simulated day against the full check;
- P5 reconciliation: ``local_store.reconcile.reconcile`` of the same store against one
  SQL join of the current persons of different sources on СНИЛС;
- scenario generator: twice the students against twice the time of the single size
  (1× when linear);
- peak memory: ``tracemalloc``'s peak of ``World.load`` against a bare ``json.load`` of
  the same scenario file (this row's two columns are MiB, not seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import sys
import tempfile
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

# Run as a script, this folder would shadow the ``policies`` package; the repository root
# (which holds ``benchmarks``) must be importable instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from sqlalchemy import Column, Float, MetaData, String, Table, insert, text  # noqa: E402

from benchmarks import clock  # noqa: E402
from benchmarks.policies import measure as measure_policies  # noqa: E402
from benchmarks.store_ingest import marks as mark_snapshots  # noqa: E402
from canonical import Mark  # noqa: E402
from emulators.scenario.generate import build  # noqa: E402
from emulators.scenario.world import World  # noqa: E402
from emulators.scenario.writer import write_scenario  # noqa: E402
from local_store.engine import make_engine, migrate  # noqa: E402
from local_store.ingest import ingest  # noqa: E402
from local_store.runs import start_run  # noqa: E402

SIZES: dict[str, dict[str, int]] = {
    # students, weeks of the scenario; marks for the ingest figure
    "small": {"students": 40, "weeks": 3, "marks": 5_000},
    "medium": {"students": 300, "weeks": 12, "marks": 25_000},
    "college": {"students": 1_500, "weeks": 40, "marks": 200_000},
}


@dataclass(frozen=True)
class Row:
    figure: str
    project_s: float
    baseline_s: float
    ratio: float
    goal: str


def _row(figure: str, project_s: float, baseline_s: float, goal: str) -> Row:
    return Row(figure, project_s, baseline_s, project_s / baseline_s if baseline_s else 0.0, goal)


def _ingest_figure(url: str, total: int) -> Row:
    """The store's ingest of ``total`` new marks against a bare executemany of the same rows."""
    engine = make_engine(url)
    migrate(engine)
    snapshots = mark_snapshots(total, 500, edit=False)
    bare = Table(
        f"bench_bare_mark_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("platform", String(20)),
        Column("deployment", String(200)),
        Column("external_id", String(200)),
        Column("student_id", String(200)),
        Column("subject_id", String(200)),
        Column("group_id", String(200)),
        Column("lesson_id", String(200)),
        Column("date", String(10)),
        Column("value", String(20)),
        Column("numeric", Float),
        Column("work_kind_name", String(200)),
        Column("weight", Float),
        Column("content_hash", String(64)),
    )
    bare.create(engine)
    try:
        run = start_run(engine, "poo", deployment="bench")
        started = clock.now()
        for snapshot in snapshots:
            ingest(engine, run, snapshot)
        project_s = clock.now() - started

        started = clock.now()
        rows = [
            {
                "platform": m.source.platform.value,
                "deployment": m.source.deployment,
                "external_id": m.source.external_id,
                "student_id": m.student_id,
                "subject_id": m.subject_id,
                "group_id": m.group_id,
                "lesson_id": m.lesson_id,
                "date": m.date.isoformat() if m.date else None,
                "value": m.value,
                "numeric": m.numeric,
                "work_kind_name": m.work_kind_name,
                "weight": m.weight,
                "content_hash": None,
            }
            for snapshot in snapshots
            for m in snapshot.records
            if isinstance(m, Mark)
        ]
        with engine.begin() as conn:
            conn.execute(insert(bare), rows)
        baseline_s = clock.now() - started
    finally:
        bare.drop(engine)
        engine.dispose()
    return _row(f"P2 ingest, {engine.dialect.name}, {total} marks", project_s, baseline_s, "≤ 2×")


@contextlib.contextmanager
def _fresh_store(db: str | None, tmp: Path, name: str) -> Iterator[str]:
    """A URL of an empty store: a new SQLite file, or a new schema of the PostgreSQL database."""
    if db is None:
        yield f"sqlite:///{tmp / f'{name}.sqlite'}"
        return
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(db)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{db}{'&' if '?' in db else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(size: str, profile: str, db: str | None) -> list[Row]:
    spec = SIZES[size]
    with tempfile.TemporaryDirectory() as tmp:
        with _fresh_store(db, Path(tmp), "ingest") as url:
            rows = [_ingest_figure(url, spec["marks"])]
        with _fresh_store(db, Path(tmp), "check") as url:
            times = measure_policies(profile, spec["students"], spec["weeks"], db=url)
    label = f"{profile} {spec['students']} students × {spec['weeks']} weeks"
    rows.append(
        _row(f"P3 full check vs one SQL scan, {label}", times.full_s, times.scan_s, "< 10×")
    )
    rows.append(
        _row(
            f"P4 incremental after one day vs full, {label}",
            times.incremental_s,
            times.full_s,
            "< 0.02×",
        )
    )
    rows.append(
        _row(
            f"P5 reconciliation vs one SQL join on СНИЛС, {label}",
            times.reconcile_s,
            times.join_s,
            "< 5×",
        )
    )
    rows.append(_generator_figure(profile, spec["students"], spec["weeks"]))
    rows.append(_memory_figure(profile, spec["students"], spec["weeks"]))
    return rows


def _generator_figure(profile: str, students: int, weeks: int) -> Row:
    """Twice the students against twice the time of the single size: 1× when linear."""
    started = clock.now()
    build(profile, students, weeks, 1)
    single_s = clock.now() - started
    started = clock.now()
    build(profile, 2 * students, weeks, 1)
    double_s = clock.now() - started
    return _row(
        f"scenario generator, {2 * students} students vs 2 × {students} ({weeks} weeks)",
        double_s,
        2 * single_s,
        "≤ 1.2× (linear)",
    )


def _memory_figure(profile: str, students: int, weeks: int) -> Row:
    """Peak Python memory of ``World.load`` against a bare ``json.load`` of the same file (MiB)."""
    generated = build(profile, students, weeks, 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.json.gz"
        write_scenario(path, generated.scenario, generated.truth)
        del generated
        project = _peak_mib(lambda: World.load(path))
        baseline = _peak_mib(lambda: _bare_json(path))
    return _row(
        f"peak memory of World.load vs json.load of the file, MiB, {students} × {weeks}",
        project,
        baseline,
        "< 1 GiB absolute on a college-year",
    )


def _bare_json(path: Path) -> object:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _peak_mib(load: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        held = load()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del held
    return peak / 2**20


def _table(rows: list[Row]) -> str:
    lines = ["| figure | project, s | baseline, s | ratio | goal |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.figure} | {r.project_s:.3f} | {r.baseline_s:.3f} | {r.ratio:.3g}× | {r.goal} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--profile", default="tpt", help="institution profile of the scenario")
    parser.add_argument(
        "--db",
        default=None,
        help="a PostgreSQL URL: each figure gets its own schema, dropped after (default: SQLite files)",
    )
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time by this process's CPU seconds (steadier on a shared machine; SQLite only)",
    )
    args = parser.parse_args(argv)
    if args.cpu:
        if args.db:
            parser.error("--cpu leaves out the PostgreSQL server's work: use it with SQLite")
        clock.use_cpu_time()
    # the measurements narrate their steps: keep stdout for the table (or the JSON) alone
    with contextlib.redirect_stdout(sys.stderr):
        rows = run(args.size, args.profile, args.db)
    if args.json:
        print(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2))
    else:
        print(_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
