"""Tables of a region store: the institutions and the per-host budgets.

A region is one PostgreSQL database.  Its own schema (``region``) holds these
tables and Procrastinate's job tables; every institution keeps the ordinary
single-institution store in a schema of its own (``inst_<id>``), created by the
same Alembic migrations as an SQLite store.  A schema per institution is the
partition: every row of an institution is keyed by it (the schema), its big
observation tables are its own, and the read side (policies, reports, the
reconciliation) works on one institution's schema unchanged.

These tables live on their own ``MetaData`` so that an institution's store (and
the embedded SQLite default) never carries them.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

from local_store.metadata import NAMING
from local_store.types import UTCDateTime

REGION_SCHEMA = "region"
"""The schema of the region's own tables and of Procrastinate's."""

region_metadata = MetaData(naming_convention=NAMING)

institution = Table(
    "institution",
    region_metadata,
    Column("id", String(40), primary_key=True),
    Column("name", Text, nullable=False, server_default=""),
    Column("source", String(20), nullable=False),
    # The source's settings file (TOML), read by the pipeline as for one institution.
    Column("config", Text, nullable=False),
    Column("timezone", String(60), nullable=False),
    Column("profile", String(40), nullable=False, server_default=""),
    # The platform host (``host`` or ``host:port``) the budget is kept for.
    Column("host", String(200), nullable=False),
    Column("account", String(200), nullable=False, server_default=""),
    # The sync plan: a cron expression (Procrastinate's, UTC) the region plan turns into a
    # periodic task.
    Column("cron", String(100), nullable=False),
    Column("store_schema", String(63), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

host_budget = Table(
    "host_budget",
    region_metadata,
    Column("host", String(200), primary_key=True),
    # How many sessions (concurrent syncs) the host may see at once, from all workers.
    Column("max_sessions", Integer, nullable=False),
    # How many requests a second the host may see from all workers together (NULL: no limit).
    Column("requests_per_second", Float, nullable=True),
    # The rate limit's next free moment (epoch seconds by the database's clock): each request
    # reserves the moment and pushes it on by 1/rate (scheduler.region.rate).
    Column("next_request_at", Float, nullable=True),
)
