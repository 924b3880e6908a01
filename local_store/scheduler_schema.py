"""Tables of the scheduler: APScheduler's job store and the per-firing run lock.

``apscheduler_jobs`` has exactly the shape APScheduler 3.11's SQLAlchemy job
store declares, so the store's migrations own it and the job store finds it
already there.  ``job_lock`` holds one row per job firing: whoever inserts it
runs that firing, every other scheduler process skips it.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, LargeBinary, String, Table, Unicode

from local_store.metadata import metadata
from local_store.types import UTCDateTime

apscheduler_jobs = Table(
    "apscheduler_jobs",
    metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

job_lock = Table(
    "job_lock",
    metadata,
    # "<job id>@<scheduled fire time>": one firing of one job.
    Column("lock_key", String(300), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("run_id", Integer, nullable=True),
)
