"""Alembic environment: runs on the engine the caller hands over (``config.attributes``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import local_store.schema  # noqa: F401  (declares every table on the metadata)
from local_store.engine import make_engine, resolve_url
from local_store.metadata import metadata

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    engine = make_engine(resolve_url(None))

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
