"""Shared fixtures: a migrated store on SQLite and on PostgreSQL.

PostgreSQL tests get a database of their own (created from the ``test``
database and dropped afterwards) so that parallel runs never see each other.
``SVERKA_TEST_PG_URL`` points elsewhere; ``SVERKA_TEST_BACKENDS=sqlite`` limits a
local run to SQLite (CI runs both).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from local_store.engine import make_engine, migrate

PG_ADMIN_URL = os.environ.get(
    "SVERKA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = [b for b in os.environ.get("SVERKA_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


@contextmanager
def scratch_pg_database(prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own, named ``<prefix>_<random>``, dropped on leaving
    (its connections closed first, so a test's leftover pool cannot block the drop)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    with scratch_pg_database("sverka_test") as url:
        yield url


def _fresh_pg(server_url: str) -> Engine:
    """Each test gets an empty schema in the session's database."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = make_engine(server_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return make_engine(f"{server_url}?options=-csearch_path%3D{schema}")


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    else:
        eng = _fresh_pg(request.getfixturevalue("pg_server_url"))
    migrate(eng)
    try:
        yield eng
    finally:
        eng.dispose()
