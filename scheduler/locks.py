"""A run lock per job firing, in the database every scheduler process shares.

APScheduler 3.x does not coordinate processes that share a job store, so two
schedulers may both decide to fire the same job at the same moment.  Each
firing is keyed by the job id and its scheduled time; inserting the key is
atomic on SQLite and PostgreSQL alike, so exactly one process wins it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, update
from sqlalchemy.exc import IntegrityError

from local_store.scheduler_schema import job_lock


def firing_key(job_id: str, fire_time: dt.datetime) -> str:
    return f"{job_id}@{fire_time.astimezone(dt.UTC).isoformat()}"


def acquire(engine: Engine, key: str, holder: str) -> bool:
    """Take the lock for one firing; ``False`` when another process already has it."""
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(job_lock).values(
                    lock_key=key, holder=holder, acquired_at=dt.datetime.now(dt.UTC)
                )
            )
    except IntegrityError:
        return False
    return True


def attach_run(engine: Engine, key: str, run_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(job_lock).where(job_lock.c.lock_key == key).values(run_id=run_id))
