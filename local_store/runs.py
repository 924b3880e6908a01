"""Sync runs: one row per pull, opened before and closed after, whatever happens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from local_store.schema import sync_run


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    HELD = "held"
    """Staged by the mass-change guard, waiting for approval."""
    DISCARDED = "discarded"


@dataclass(frozen=True)
class RunInfo:
    id: int
    source: str
    deployment: str
    scope: str
    job: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    observed_at: dt.datetime
    status: RunStatus
    counts: Mapping[str, Any] | None
    error: str | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def start_run(
    engine: Engine,
    source: str,
    *,
    deployment: str = "",
    scope: str = "",
    job: str | None = None,
    observed_at: dt.datetime | None = None,
) -> int:
    """Open a run; ``observed_at`` is the moment the data will reflect (defaults to now)."""
    started = _now()
    with engine.begin() as conn:
        result = conn.execute(
            insert(sync_run)
            .values(
                source=source,
                deployment=deployment,
                scope=scope,
                job=job,
                started_at=started,
                observed_at=observed_at or started,
                status=RunStatus.RUNNING.value,
            )
            .returning(sync_run.c.id)
        )
        return int(result.scalar_one())


def finish_run(
    engine: Engine,
    run_id: int,
    status: RunStatus,
    *,
    counts: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(sync_run)
            .where(sync_run.c.id == run_id)
            .values(status=status.value, finished_at=_now(), counts=dict(counts or {}), error=error)
        )


def get_run(engine: Engine, run_id: int) -> RunInfo:
    with engine.connect() as conn:
        row = conn.execute(select(sync_run).where(sync_run.c.id == run_id)).mappings().one()
    return _info(row)


def list_runs(engine: Engine, *, source: str | None = None, limit: int = 50) -> list[RunInfo]:
    query = select(sync_run).order_by(sync_run.c.id.desc()).limit(limit)
    if source:
        query = query.where(sync_run.c.source == source)
    with engine.connect() as conn:
        return [_info(row) for row in conn.execute(query).mappings()]


def _info(row: Any) -> RunInfo:
    return RunInfo(
        id=row["id"],
        source=row["source"],
        deployment=row["deployment"],
        scope=row["scope"],
        job=row["job"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        observed_at=row["observed_at"],
        status=RunStatus(row["status"]),
        counts=row["counts"],
        error=row["error"],
    )


def data_time(engine: Engine) -> dt.datetime | None:
    """The newest moment the store's data shows: the latest observation of a successful sync
    (reconciliation runs are dated by the data they read, so they do not move it).  Reports
    and reconciliation are dated by this, never by the wall clock."""
    with engine.connect() as conn:
        moment = conn.execute(
            select(func.max(sync_run.c.observed_at)).where(
                sync_run.c.status == RunStatus.SUCCEEDED.value,
                sync_run.c.source != "reconcile",
            )
        ).scalar()
    if not isinstance(moment, dt.datetime):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
