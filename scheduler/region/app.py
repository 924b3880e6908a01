"""The region's Procrastinate application: its tasks, its periodic plans, its workers.

The job tables live in the region database's ``region`` schema, next to the
institutions.  Each institution's plan becomes one periodic task whose jobs
carry the queueing lock ``sync:<institution>`` (one waiting sync per
institution, however many firings or manual runs pile up) and the lock
``<host>:<account>`` (work that shares a login never overlaps).  Procrastinate
defers each periodic firing once, whichever worker sees it first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import procrastinate
import structlog
from procrastinate import exceptions as procrastinate_errors
from procrastinate.jobs import Status

from local_store.region import Institution, list_institutions, region_engine
from local_store.region_schema import REGION_SCHEMA
from scheduler.region.cron import utc_cron
from scheduler.region.errors import ErrorTableRetry
from scheduler.region.jobs import sync_institution

log = structlog.get_logger(__name__)

SYNC_QUEUE = "sync"
SYNC_TASK = "sverka:sync_institution"
RETRY = ErrorTableRetry()
"""A failed sync is retried, failed or held by the error table (scheduler.region.errors)."""

def sync_task(
    context: procrastinate.JobContext, institution: str, timestamp: int | None = None
) -> Mapping[str, Any]:
    """One institution's pipeline run (``timestamp``: the periodic firing, when planned)."""
    region_url = str(context.additional_context["region_url"])
    return sync_institution(region_url, institution, context.job.id)


def connector(url: str) -> procrastinate.PsycopgConnector:
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return procrastinate.PsycopgConnector(
        conninfo=plain, kwargs={"options": f"-c search_path={REGION_SCHEMA}"}
    )


def make_app(url: str) -> procrastinate.App:
    """A fresh app for ``url`` with the region's task (a task belongs to one app only)."""
    app = procrastinate.App(connector=connector(url))
    app.task(name=SYNC_TASK, queue=SYNC_QUEUE, pass_context=True, retry=RETRY)(sync_task)
    return app


def apply_schema(url: str) -> bool:
    """Create Procrastinate's tables in the region schema once; ``False`` when already there."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, options=f"-c search_path={REGION_SCHEMA}") as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('procrastinate-schema'))")
        exists = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if exists and exists[0]:
            return False
        app = make_app(url)
        with app.open():
            app.schema_manager.apply_schema()
    return True


def sync_lock(inst: Institution) -> str:
    return f"{inst.host}:{inst.account}"


def queueing_lock(institution_id: str) -> str:
    return f"sync:{institution_id}"


def register_plans(app: procrastinate.App, institutions: list[Institution]) -> list[tuple[str, str]]:
    """One periodic task per institution; returns (institution, UTC cron) as registered."""
    task = app.tasks[SYNC_TASK]
    planned: list[tuple[str, str]] = []
    for inst in institutions:
        cron = utc_cron(inst.cron, inst.timezone)
        app.periodic_registry.register_task(
            task=task,
            cron=cron,
            periodic_id=inst.id,
            configure_kwargs={
                "queueing_lock": queueing_lock(inst.id),
                "lock": sync_lock(inst),
                "task_kwargs": {"institution": inst.id},
            },
        )
        planned.append((inst.id, cron))
    return planned


def defer_sync(app: procrastinate.App, inst: Institution) -> int | None:
    """A sync now (outside the plan); ``None`` when one is already waiting for the institution."""
    try:
        return app.tasks[SYNC_TASK].configure(
            queueing_lock=queueing_lock(inst.id), lock=sync_lock(inst)
        ).defer(institution=inst.id)
    except procrastinate_errors.AlreadyEnqueued:
        return None


async def rescue_stalled(app: procrastinate.App, stalled_after: float) -> dict[int, str]:
    """Give back the jobs of workers that stopped beating (killed mid-sync): at least once.

    A stalled job goes back to the queue.  When a newer sync of the same institution is
    already waiting (a later firing took the queueing lock while the killed job still
    counted as running), the waiting one will do the work: the stalled job is closed as
    failed, or its ``lock`` would hold the waiting one back for ever.  Returns job id →
    ``retried`` / ``superseded`` for what this call did (another worker may do the rest).
    """
    done: dict[int, str] = {}
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        assert job.id is not None
        try:
            await app.job_manager.retry_job(job)
        except procrastinate_errors.UniqueViolation:
            try:
                await app.job_manager.finish_job(job, Status.FAILED, delete_job=False)
            except procrastinate_errors.ConnectorException as exc:  # another worker did
                log.info("stalled job already closed", job=job.id, error=repr(exc))
                continue
            log.warning("stalled job superseded by a waiting one", job=job.id, task=job.task_name)
            done[job.id] = "superseded"
        except procrastinate_errors.ConnectorException as exc:  # another worker retried it
            log.info("stalled job not retried", job=job.id, error=repr(exc))
        else:
            log.warning("stalled job retried", job=job.id, task=job.task_name)
            done[job.id] = "retried"
    return done


async def retry_stalled(app: procrastinate.App, *, every: float, stalled_after: float) -> None:
    """:func:`rescue_stalled` every ``every`` seconds, for as long as the worker runs."""
    while True:
        await asyncio.sleep(every)
        try:
            await rescue_stalled(app, stalled_after)
        except Exception as exc:  # a passing database trouble must not end the rescue for good
            log.warning("stalled jobs not read", error=repr(exc))


async def run_worker(
    url: str,
    *,
    concurrency: int = 1,
    heartbeat: float = 10.0,
    stalled_after: float = 30.0,
    name: str = "sverka-region",
) -> None:
    """A worker: the plans of every registered institution, the sync queue, stalled-job rescue."""
    app = make_app(url)
    engine = region_engine(url)
    try:
        register_plans(app, list_institutions(engine))
    finally:
        engine.dispose()
    async with app.open_async():
        rescue = asyncio.create_task(
            retry_stalled(app, every=max(heartbeat, 1.0), stalled_after=stalled_after)
        )
        try:
            await app.run_worker_async(
                queues=[SYNC_QUEUE],
                concurrency=concurrency,
                name=name,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=stalled_after,
                additional_context={"region_url": url},
                install_signal_handlers=True,
            )
        finally:
            rescue.cancel()
