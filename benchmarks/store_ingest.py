"""Ingest rate of the observing store, on SQLite and PostgreSQL.

Ingests ``--marks`` marks in scopes of one group-week (``--per-scope`` marks
each), first as new records, then again with a tenth of them changed and a
hundredth removed, and prints rows per second for both passes.

    .venv/bin/python benchmarks/store_ingest.py --marks 200000
    .venv/bin/python benchmarks/store_ingest.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text

from canonical import Mark, Platform, SourceRef
from local_store.engine import make_engine, migrate
from local_store.ingest import Snapshot, ingest
from local_store.runs import start_run


def marks(total: int, per_scope: int, edit: bool) -> list[Snapshot]:
    snapshots = []
    for scope_no, start in enumerate(range(0, total, per_scope)):
        records = []
        for i in range(start, min(start + per_scope, total)):
            if edit and i % 100 == 0:
                continue  # removed
            value = "3" if edit and i % 10 == 1 else str(2 + i % 4)
            records.append(
                Mark(
                    source=SourceRef(platform=Platform.POO, deployment="bench", external_id=str(i)),
                    student_id=f"st-{i % 1500}",
                    subject_id=f"sub-{scope_no % 30}",
                    group_id=f"g-{scope_no % 60}",
                    lesson_id=f"l-{i // 25}",
                    date=dt.date(2026, 9, 1) + dt.timedelta(days=scope_no % 200),
                    value=value,
                    numeric=float(value),
                    work_kind_name="Ответ на уроке",
                    weight=1.0,
                )
            )
        snapshots.append(Snapshot(f"bench:journal:{scope_no}", frozenset({"mark"}), records))
    return snapshots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--marks", type=int, default=200_000)
    parser.add_argument("--per-scope", type=int, default=500)
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    schema = None
    if args.url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{args.url}?options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite'}"
    engine = make_engine(url)
    migrate(engine)
    try:
        for label, edit in (
            ("first pull (all new)", False),
            ("second pull (10% changed, 1% removed)", True),
        ):
            batches = marks(args.marks, args.per_scope, edit)
            rows = sum(len(s.records) for s in batches)
            run = start_run(engine, "poo", deployment="bench")
            started = time.perf_counter()
            for snapshot in batches:
                ingest(engine, run, snapshot)
            elapsed = time.perf_counter() - started
            print(
                f"{engine.dialect.name}: {label}: {rows} rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s"
            )
    finally:
        engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
