"""Sync runs: one row per pull, opened before and closed after, whatever happens."""

from __future__ import annotations

import datetime as dt
import os
import socket
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
    INTERRUPTED = "interrupted"
    """Left running by a process that died (kill -9, power cut); marked at the next start."""


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
                host=socket.gethostname()[:200],
                pid=os.getpid(),
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


def _process_alive(pid: int, since: dt.datetime) -> bool:
    """Whether process ``pid`` of this host is alive and is the one that started at ``since``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        started = os.stat(f"/proc/{pid}").st_mtime
    except OSError:
        return True
    # A number reused by a process born after the run began is not the run's process.
    return started <= since.timestamp() + 5 or pid == os.getpid()


def mark_interrupted(engine: Engine) -> list[int]:
    """Close runs left ``running`` by a process of this host that is gone, with the reason.

    Runs of another host are left alone (their process cannot be seen from here);
    runs without an owner were opened by a version before owners were recorded,
    so no process of it is still running them.
    """
    host = socket.gethostname()[:200]
    now = _now()
    closed: list[int] = []
    with engine.begin() as conn:
        rows = conn.execute(
            select(sync_run.c.id, sync_run.c.host, sync_run.c.pid, sync_run.c.started_at).where(
                sync_run.c.status == RunStatus.RUNNING.value
            )
        ).all()
        for row in rows:
            if row.pid is None:
                reason = "запуск начат прежней версией программы и не был завершён"
            elif row.host != host or _process_alive(int(row.pid), row.started_at):
                continue
            else:
                reason = (
                    f"процесс {row.pid} завершился, не закончив запуск (аварийно или был "
                    "остановлен)"
                )
            conn.execute(
                update(sync_run)
                .where(sync_run.c.id == row.id, sync_run.c.status == RunStatus.RUNNING.value)
                .values(status=RunStatus.INTERRUPTED.value, finished_at=now, error=reason)
            )
            closed.append(int(row.id))
    return closed


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
