"""Where the store lives and how it is brought up to date.

SQLite by default (a file in the user's data directory), PostgreSQL when
``SVERKA_DATABASE_URL`` says so: the same schema on both, from the same Alembic
migrations.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event

ENV_URL = "SVERKA_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"


def default_url() -> str:
    return f"sqlite:///{Path(user_data_dir('sverka')) / 'sverka.sqlite'}"


def resolve_url(db: str | None = None) -> str:
    """``--db`` (a path or a URL) wins, then ``SVERKA_DATABASE_URL``, then the default file."""
    if db:
        return db if "://" in db else f"sqlite:///{Path(db).expanduser().resolve()}"
    return os.environ.get(ENV_URL) or default_url()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created on first use."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> str:
    """Apply every migration; return the revision(s) the store is at.

    Areas add their tables in migrations of their own that may branch from a
    common base, so the store upgrades to every head.
    """
    command.upgrade(alembic_config(engine), "heads")
    return current_revision(engine) or ""


def current_revision(engine: Engine) -> str | None:
    """The store's revision(s), comma-joined in sorted order; ``None`` for an empty database."""
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) if heads else None


def head_revision(engine: Engine) -> str | None:
    """The newest revision(s) the code knows, in the form of :func:`current_revision`."""
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    return ",".join(sorted(heads)) if heads else None


def open_store(db: str | None = None, *, upgrade: bool = True) -> Engine:
    """The engine of a ready store: created or migrated to the newest schema when ``upgrade``."""
    engine = make_engine(resolve_url(db))
    if upgrade and current_revision(engine) != head_revision(engine):
        migrate(engine)
    return engine
