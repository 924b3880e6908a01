"""The institution's own tables (CSV, XLSX) as a pipeline: read → map → ingest → run record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from connectors.local_files.reader import read_table
from local_store.history import records_as_of
from local_store.ingest import Snapshot, ingest
from local_store.runs import RunStatus, finish_run, start_run
from mapping.local_files import map_rows


def import_local_file(
    engine: Engine,
    path: str | Path,
    kind: str,
    *,
    deployment: str = "local",
    observed_at: dt.datetime | None = None,
) -> Mapping[str, Any]:
    """Import one of the institution's own tables as a complete snapshot of ``kind``.

    Rows that cannot be read are reported and left out; the others are kept,
    and the run records both.  Nothing is written when the file itself is unreadable.
    """
    rows = read_table(path)
    mapped = map_rows(
        kind, ((r.line, r.values) for r in rows), deployment=deployment, where=str(path)
    )
    records = list(mapped.records)
    if mapped.skipped_ids:
        # A row we could not read is not a row the institution deleted.
        records += [
            r
            for r in records_as_of(engine, kind)
            if r.source.deployment == deployment and r.source.external_id in mapped.skipped_ids
        ]
    run_id = start_run(
        engine, "local", deployment=deployment, scope=f"file:{kind}", observed_at=observed_at
    )
    try:
        result = ingest(
            engine, run_id, Snapshot(f"local:{deployment}:{kind}", frozenset({kind}), records)
        )
    except Exception as exc:
        finish_run(engine, run_id, RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    counts: dict[str, Any] = {**result.as_dict(), "_problems": mapped.problems}
    finish_run(engine, run_id, RunStatus.SUCCEEDED, counts=counts)
    return counts
