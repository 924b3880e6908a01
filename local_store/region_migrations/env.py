"""Alembic environment of the region's own tables: runs on the engine the caller hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from local_store.region_schema import region_metadata

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("region migrations need an engine (local_store.region.open_region)")

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=region_metadata, compare_type=True)
    context.run_migrations()
