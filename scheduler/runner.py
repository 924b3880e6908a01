"""Running one firing of a planned job: lock, record, call, retry on failure.

APScheduler stores a reference to :func:`execute` with the plan's arguments;
:class:`FiringExecutor` adds the scheduled fire time so that the lock is per
firing, not per job.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import traceback
from collections.abc import Mapping
from typing import Any

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.schedulers.base import BaseScheduler

from local_store.engine import make_engine
from local_store.runs import RunStatus, finish_run, start_run
from scheduler import locks
from scheduler.jobs import job_kind

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 4
BACKOFF_BASE_SECONDS = 60.0
BACKOFF_CAP_SECONDS = 3600.0

_scheduler: BaseScheduler | None = None
"""The scheduler of this process, for queueing retries from inside a job."""


def bind_scheduler(scheduler: BaseScheduler | None) -> None:
    global _scheduler
    _scheduler = scheduler


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff_seconds(attempt: int) -> float:
    """1, 2, 4 … minutes, at most an hour: the wait before retry ``attempt`` (1-based)."""
    return float(min(BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), BACKOFF_CAP_SECONDS))


class FiringExecutor(ThreadPoolExecutor):  # type: ignore[misc]
    """A thread pool that tells :func:`execute` which scheduled firing it is running."""

    def _do_submit_job(self, job: Job, run_times: list[dt.datetime]) -> None:
        # Job uses __slots__ and hides its store alias: rebuild a copy from its state.
        state = job.__getstate__()
        state["kwargs"] = {**job.kwargs, "fire_time": run_times[-1].isoformat()}
        firing = Job.__new__(Job)
        firing.__setstate__(state)
        firing._scheduler = job._scheduler
        firing._jobstore_alias = job._jobstore_alias
        super()._do_submit_job(firing, run_times)


def execute(
    job_id: str,
    kind: str,
    params: Mapping[str, Any],
    db_url: str,
    attempt: int = 0,
    fire_time: str | None = None,
) -> None:
    """One firing: take its lock, record a run, call the job, queue a retry if it failed."""
    fired = dt.datetime.fromisoformat(fire_time) if fire_time else dt.datetime.now(dt.UTC)
    engine = make_engine(db_url)
    try:
        key = locks.firing_key(job_id if not attempt else f"{job_id}#retry{attempt}", fired)
        if not locks.acquire(engine, key, holder_name()):
            log.info("firing taken by another process", job=job_id, fire_time=fired.isoformat())
            return
        now = dt.datetime.now(dt.UTC)
        run_id = start_run(
            engine, kind, job=job_id, scope=str(params.get("source", "")), observed_at=now
        )
        locks.attach_run(engine, key, run_id)
        try:
            counts = job_kind(kind).function()(engine, params, now)
        except Exception as exc:
            finish_run(
                engine,
                run_id,
                RunStatus.FAILED,
                error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}",
            )
            log.warning(
                "job failed", job=job_id, kind=kind, attempt=attempt, error=type(exc).__name__
            )
            _queue_retry(job_id, kind, params, db_url, attempt + 1)
            return
        finish_run(engine, run_id, RunStatus.SUCCEEDED, counts=dict(counts))
        log.info("job done", job=job_id, kind=kind, run=run_id)
    finally:
        engine.dispose()


def _queue_retry(
    job_id: str, kind: str, params: Mapping[str, Any], db_url: str, attempt: int
) -> None:
    if attempt >= MAX_ATTEMPTS or _scheduler is None:
        log.error("job gave up", job=job_id, attempts=attempt)
        return
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=backoff_seconds(attempt))
    _scheduler.add_job(
        execute,
        trigger="date",
        run_date=when,
        id=f"{job_id}#retry{attempt}",
        replace_existing=True,
        kwargs={
            "job_id": job_id,
            "kind": kind,
            "params": dict(params),
            "db_url": db_url,
            "attempt": attempt,
        },
    )
