"""The institution's own tables (CSV, XLSX) as a pipeline: read → map → guard → ingest → run record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from connectors.local_files.reader import read_table
from local_store.history import records_as_of
from local_store.hold import guarded_ingest, preview
from local_store.ingest import Snapshot
from local_store.runs import RunStatus, finish_run, start_run
from mapping.local_files import map_rows
from pipelines import scopes


def import_local_file(
    engine: Engine,
    path: str | Path,
    kind: str,
    *,
    deployment: str = "local",
    observed_at: dt.datetime | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Import one of the institution's own tables as a complete snapshot of ``kind``.

    Nothing is written when the file itself is unreadable (raises
    ``FileReadError`` or ``LocalTableError``).  Rows whose values cannot be
    read are reported and left out, and what the store knew of them is kept.
    The change goes through the same mass-change hold as a journal's pull: a
    file that would remove or change too much waits for ``sverka runs approve``.
    ``dry_run`` plans the change and returns it (``_changes``) without writing.
    """
    table = read_table(path)
    mapped = map_rows(
        kind,
        ((r.line, r.values) for r in table.rows),
        deployment=deployment,
        where=str(path),
        header=table.header,
    )
    records = list(mapped.records)
    if mapped.skipped_ids:
        # A row we could not read is not a row the institution deleted.
        records += [
            r
            for r in records_as_of(engine, kind)
            if r.source.deployment == deployment and r.source.external_id in mapped.skipped_ids
        ]
    snapshot = Snapshot(scopes.local_file(deployment, kind), frozenset({kind}), records)
    if dry_run:
        planned = preview(engine, "local", snapshot)
        return {
            **planned.summary,
            "_problems": mapped.problems,
            "_held": planned.reasons,
            "_changes": planned.changes,
        }
    run_id = start_run(
        engine,
        "local",
        deployment=deployment,
        scope=scopes.local_file_run(kind),
        observed_at=observed_at,
    )
    try:
        guard = guarded_ingest(engine, run_id, snapshot)
    except Exception as exc:
        finish_run(engine, run_id, RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    if guard.held:
        return {
            **guard.summary,
            "_problems": mapped.problems,
            "_held": guard.reasons,
            "_run": run_id,
        }
    assert guard.result is not None
    counts: dict[str, Any] = {**guard.result.as_dict(), "_problems": mapped.problems}
    finish_run(engine, run_id, RunStatus.SUCCEEDED, counts=counts)
    return {**counts, "_held": [], "_run": run_id}
