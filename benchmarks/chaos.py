"""The fault suite at a large size: kill -9 trials on both backends (first migrations, the
institution-file import, the ЭлЖур, NetSchool and «Модуль ПОО» journal syncs, the СМЭВ pulls:
ЕПГУ applications, the registry's view, «Е-услуги» notices), fuzzing (the file reader, the institution-file
mapper, and the NetSchool, ПОО, ЭлЖур and СМЭВ mappers from their wire models), hostile XML and
ЕПГУ trials, with the numbers issue 12 asks for.

    .venv/bin/python -m benchmarks.chaos --kills 10 --fuzz 10000 --epgu 20000 [--pg URL]
        [--only fuzz,mappers,hostile,epgu,faults,smev,kills]

``faults``: every fault knob of every journal emulator against its connector
(``tests/reliability/fault_matrix.py``), each case followed by a clean rerun.

``smev``: kill -9 trials of the СМЭВ pulls (``tests/reliability/smev_kills.py``), ``--kills``
per pull and backend: nothing lost, answered twice, acknowledged but not stored.

Every "bad" number must be 0; the run exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from tests.reliability import fault_matrix, faults, journal_kills, smev_kills, wire_fuzz

BAD = ("lost", "extra", "duplicated", "half_written", "half_written_schema")
PARTS = ("fuzz", "mappers", "hostile", "epgu", "faults", "smev", "kills")
JOURNALS = ("eljur", "netschool", "poo")
JOURNAL_BAD = ("left_running", "resync_failed")
SMEV_BAD = (
    "left_running",
    "child_failed",
    "rerun_failed",
    "sent_twice",
    "answers_extra",
    "answers_missing",
    "not_acknowledged",
    "outbox_unfinished",
)
MAPPER_BAD = ("unhandled", "bad_value_stored", "unclear_problem")


def _sqlite_url(folder: Path, platform: str, tag: str) -> str:
    return f"sqlite:///{folder / (platform + '-' + tag)}.sqlite"


def _fault_matrix(folder: Path) -> dict[str, dict[str, dict[str, int]]]:
    """Every case of the fault matrix (knob × connector) on SQLite, each with its rerun."""
    from local_store.engine import make_engine, migrate

    def store(tag: str) -> Engine:
        engine = make_engine(f"sqlite:///{folder / ('faults-' + tag)}.sqlite")
        migrate(engine)
        return engine

    found: dict[str, dict[str, dict[str, int]]] = {}
    for platform, cases in fault_matrix.MATRIX.items():
        reference = store(f"{platform}-reference")
        yardstick = fault_matrix.faultless(platform, reference)
        reference.dispose()
        found[platform] = {}
        for name in cases:
            engine = store(f"{platform}-{name}")
            seen = fault_matrix.run_case(platform, name, engine, yardstick)
            engine.dispose()
            found[platform][name] = dict(seen)
    return found


def _smev_kills(trials: int, folder: Path, pg: str | None) -> tuple[dict[str, object], bool]:
    """Every СМЭВ pull's kill trials on SQLite and (``pg``) PostgreSQL; whether all held."""
    found: dict[str, object] = {}
    ok = True
    started = time.monotonic()
    urls = [("sqlite", partial(_sqlite_url, folder, "smev"))]
    if pg is not None:
        urls.append(("postgresql", partial(_pg_url, pg)))
    for backend, make_url in urls:
        for job in smev_kills.JOBS:
            pull = smev_kills.kill_trials(trials, make_url, seed_no=7, job=job)
            found[f"{backend}_{job}"] = dict(pull)
            ok &= all(pull.get(b, 0) == 0 for b in (*BAD, *SMEV_BAD))
    if pg is not None:
        _drop_chaos_schemas(pg)
    found["seconds"] = round(time.monotonic() - started, 1)
    return found, ok


def _pg_url(server: str, tag: str) -> str:
    """A fresh schema on ``server`` for one store (dropped by :func:`_drop_chaos_schemas`)."""
    schema = f"chaos_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{server}?options=-csearch_path%3D{schema}"


def _drop_chaos_schemas(server: str) -> None:
    admin = create_engine(server)
    with admin.connect() as conn:
        names = conn.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'chaos_%'")
        ).scalars()
        schemas = list(names)
    for name in schemas:  # one transaction each: a schema holds ~50 tables' locks
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=10, help="kill -9 trials per backend")
    parser.add_argument("--fuzz", type=int, default=10_000, help="fuzz cases per target")
    parser.add_argument("--epgu", type=int, default=20_000, help="ЕПГУ decision trials")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--only", default=",".join(PARTS), help="parts to run, comma-separated")
    args = parser.parse_args()
    from cli.logging import configure_logging

    # the pipelines' log lines to stderr, warnings only: stdout is the report's JSON alone
    configure_logging(level="WARNING")
    parts = set(args.only.split(","))
    out: dict[str, object] = {}
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "fuzz" in parts:
            started = time.monotonic()
            reader = faults.fuzz_reader(args.fuzz, folder)
            mapper = faults.fuzz_local_mapper(args.fuzz)
            out["fuzz"] = {
                "reader": dict(reader),
                "local_files_mapper": dict(mapper),
                "seconds": round(time.monotonic() - started, 1),
            }
            ok &= not any(k.startswith("unhandled") for k in [*reader, *mapper])
        if "mappers" in parts:
            platforms: dict[str, object] = {}
            for name, run in wire_fuzz.MAPPERS.items():
                started = time.monotonic()
                seen = run(args.fuzz, False)
                platforms[name] = {**dict(seen), "seconds": round(time.monotonic() - started, 1)}
                ok &= not any(k.startswith(MAPPER_BAD) for k in seen if seen[k])
            out["fuzz_platform_mappers"] = platforms
        if "hostile" in parts:
            hostile = faults.hostile_xml()
            out["hostile_xml"] = dict(hostile)
            ok &= hostile["refused"] == hostile["inputs"]
        if "epgu" in parts:
            epgu = faults.epgu_trials(args.epgu)
            out["epgu"] = dict(epgu)
            ok &= epgu["wrongly_served"] == 0
        if "faults" in parts:
            matrix = _fault_matrix(folder)
            out["fault_matrix"] = matrix
            ok &= all(
                not any(seen.get(b, 0) for b in fault_matrix.BAD)
                for cases in matrix.values()
                for seen in cases.values()
            )
        if "smev" in parts:
            smev, held = _smev_kills(args.kills, folder, None if args.no_pg else args.pg)
            out["smev_kill_trials"] = smev
            ok &= held
        if "kills" not in parts:
            print(json.dumps(out, ensure_ascii=False, indent=2))
            return 0 if ok else 1
        backends: dict[str, object] = {}
        started = time.monotonic()
        sqlite = faults.kill_trials(args.kills, lambda tag: f"sqlite:///{folder / tag}.sqlite")
        backends["sqlite"] = dict(sqlite)
        ok &= all(sqlite.get(b, 0) == 0 for b in BAD)
        for platform in JOURNALS:
            journal = journal_kills.kill_trials(
                args.kills, partial(_sqlite_url, folder, platform), platform=platform
            )
            backends[f"sqlite_{platform}_sync"] = dict(journal)
            ok &= all(journal.get(b, 0) == 0 for b in (*BAD, *JOURNAL_BAD))
        if not args.no_pg:
            pg_url = partial(_pg_url, args.pg)
            pg = faults.kill_trials(args.kills, pg_url, seed=2)
            backends["postgresql"] = dict(pg)
            ok &= all(pg.get(b, 0) == 0 for b in BAD)
            for platform in JOURNALS:
                journal = journal_kills.kill_trials(args.kills, pg_url, seed=2, platform=platform)
                backends[f"postgresql_{platform}_sync"] = dict(journal)
                ok &= all(journal.get(b, 0) == 0 for b in (*BAD, *JOURNAL_BAD))
            _drop_chaos_schemas(args.pg)
        backends["seconds"] = round(time.monotonic() - started, 1)
        out["kill_trials"] = backends
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
