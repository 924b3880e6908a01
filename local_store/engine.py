"""Where the store lives and how it is brought up to date.

SQLite by default (a file in the user's data directory), PostgreSQL when
``SVERKA_DATABASE_URL`` says so: the same schema on both, from the same Alembic
migrations.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_data_dir
from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    column,
    create_engine,
    event,
    func,
    inspect,
    select,
    table,
)

if TYPE_CHECKING:
    from alembic.config import Config

ENV_URL = "SVERKA_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"


def default_url() -> str:
    return f"sqlite:///{Path(user_data_dir('sverka')) / 'sverka.sqlite'}"


def resolve_url(db: str | None = None) -> str:
    """``--db`` (a path or a URL) wins, then ``SVERKA_DATABASE_URL``, then the default file."""
    if db:
        return db if "://" in db else f"sqlite:///{Path(db).expanduser().resolve()}"
    return os.environ.get(ENV_URL) or default_url()


class StoreError(RuntimeError):
    """A store that cannot be opened or repaired as it is; the message is Russian."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite opens transactions only before DML and commits DDL at once, so a kill during
    # the first migrations left tables without a revision.  With its own transaction handling
    # off, SQLAlchemy's "begin" (below) issues BEGIN and DDL is transactional like PostgreSQL's
    # (the SQLAlchemy pysqlite recipe for serializable isolation and transactional DDL).
    dbapi_connection.isolation_level = None
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
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> str:
    """Apply every migration; return the revision(s) the store is at.

    Areas add their tables in migrations of their own that may branch from a
    common base, so the store upgrades to every head.
    """
    from alembic import command

    recover_half_created(engine)
    command.upgrade(alembic_config(engine), "heads")
    return current_revision(engine) or ""


def _schema_tables() -> set[str]:
    """Every table the migrations create (each area's schema module adds to one metadata)."""
    import local_store.schema  # noqa: F401  (gathers every area's tables)
    from local_store.metadata import metadata

    return set(metadata.tables)


def recover_half_created(engine: Engine) -> list[str]:
    """Drop what an interrupted first run left: our tables, all empty, and no revision.

    Stores made before migrations became transactional on SQLite could be left
    so by a kill; nothing in them can be lost, because nothing was ever written
    to them.  A store with data and no revision is not touched: that needs a person.
    """
    if current_revision(engine) is not None:
        return []
    with engine.begin() as conn:
        present = set(inspect(conn).get_table_names()) & _schema_tables()
        if not present:
            return []
        with_rows = sorted(
            name
            for name in present
            if conn.execute(select(func.count()).select_from(table(name))).scalar()
        )
        if with_rows:
            raise StoreError(
                "хранилище создано не до конца (нет версии схемы), но в нём есть данные "
                f"(таблицы: {', '.join(with_rows[:5])}); автоматически восстановить его нельзя — "
                "обратитесь к администратору"
            )
        reflected = MetaData()
        reflected.reflect(conn, only=sorted(present))
        reflected.drop_all(conn)
    return sorted(present)


def current_revision(engine: Engine) -> str | None:
    """The store's revision(s), comma-joined in sorted order; ``None`` for an empty database.

    A plain read of Alembic's ``alembic_version`` table, without importing Alembic: every
    command that opens the store asks this, and ``sverka status`` must answer at once.
    """
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(select(table(VERSION_TABLE, column("version_num")))).scalars()
        heads = [str(v) for v in rows]
    return ",".join(sorted(heads)) if heads else None


_REVISION_LINE = re.compile(r"^revision\b[^=\n]*=\s*(.+)$", re.M)
_DOWN_LINE = re.compile(r"^down_revision\b[^=\n]*=\s*(.+)$", re.M)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


def head_revision(engine: Engine | None = None) -> str | None:
    """The newest revision(s) the code knows, in the form of :func:`current_revision`.

    Read from the migration files' ``revision``/``down_revision`` lines rather than through
    Alembic's script directory, for the same reason; ``tests/test_store_ingest.py`` checks it
    agrees with Alembic.  ``engine`` is unused: every dialect has the same migrations.
    """
    del engine
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        own = _REVISION_LINE.search(source)
        if own is None:
            continue
        revisions.update(_QUOTED.findall(own.group(1)))
        down = _DOWN_LINE.search(source)
        if down is not None:
            parents.update(_QUOTED.findall(down.group(1)))
    heads = revisions - parents
    return ",".join(sorted(heads)) if heads else None


def open_store(db: str | None = None, *, upgrade: bool = True) -> Engine:
    """The engine of a ready store: created or migrated to the newest schema when ``upgrade``."""
    from local_store.runs import mark_interrupted

    engine = make_engine(resolve_url(db))
    revision = current_revision(engine)
    if upgrade and revision != head_revision(engine):
        migrate(engine)
        revision = current_revision(engine)
    if revision == head_revision(engine):
        mark_interrupted(engine)
    return engine
