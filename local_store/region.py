"""A region store: one PostgreSQL database for many institutions.

The region's own tables (:mod:`local_store.region_schema`) sit in the schema
``region``; each institution's store is the ordinary store in a schema of its
own, brought up by the same Alembic migrations.  An engine here is an ordinary
SQLAlchemy engine whose connections start with the right ``search_path``, so
every pipeline, rule and report runs on an institution exactly as on the
single-institution default.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from local_store.region_schema import REGION_SCHEMA, host_budget, institution

REGION_MIGRATIONS = Path(__file__).parent / "region_migrations"
INSTITUTION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
DEFAULT_MAX_SESSIONS = 2
"""A host without a budget row gets this many concurrent sessions (a cautious default)."""


class RegionError(ValueError):
    """A region store request that cannot be carried out; the message is Russian."""


@dataclass(frozen=True)
class Institution:
    id: str
    name: str
    source: str
    config: str
    timezone: str
    profile: str
    host: str
    account: str
    cron: str
    store_schema: str


def _psycopg_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("postgresql+psycopg://"):
        raise RegionError(
            f"хранилище региона должно быть базой PostgreSQL (postgresql://…), а указано «{url}»"
        )
    return url


def schema_engine(url: str, schema: str) -> Engine:
    """An engine whose every connection works in ``schema`` (and sees nothing of the others)."""
    return create_engine(
        _psycopg_url(url),
        future=True,
        pool_pre_ping=True,
        connect_args={"options": f"-c search_path={schema}"},
    )


def region_engine(url: str) -> Engine:
    return schema_engine(url, REGION_SCHEMA)


def store_schema_of(institution_id: str) -> str:
    """The schema of an institution's store: ``inst_`` and the id with ``-`` as ``_``."""
    return "inst_" + institution_id.replace("-", "_")


def _ensure_schema(url: str, schema: str) -> None:
    engine = create_engine(_psycopg_url(url), future=True)
    try:
        with engine.begin() as conn:
            # Two processes creating the same schema at once collide on the catalogue.
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"schema:{schema}"})
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        engine.dispose()


def _upgrade(engine: Engine, script_location: Path, lock_key: str) -> None:
    """Alembic to every head under a database-wide lock, so parallel workers migrate once."""
    from alembic import command
    from alembic.config import Config

    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": lock_key})
        conn.commit()
        try:
            config = Config()
            config.set_main_option("script_location", str(script_location))
            config.attributes["engine"] = engine
            command.upgrade(config, "heads")
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": lock_key})
            conn.commit()


def open_region(url: str) -> Engine:
    """The region's engine, its schema created and migrated to the newest revision."""
    _ensure_schema(url, REGION_SCHEMA)
    engine = region_engine(url)
    _upgrade(engine, REGION_MIGRATIONS, f"migrate:{REGION_SCHEMA}")
    return engine


def open_institution_store(url: str, store_schema: str) -> Engine:
    """One institution's store in the region database, migrated like any store."""
    from local_store.engine import MIGRATIONS, current_revision, head_revision

    _ensure_schema(url, store_schema)
    engine = schema_engine(url, store_schema)
    if current_revision(engine) != head_revision(engine):
        _upgrade(engine, MIGRATIONS, f"migrate:{store_schema}")
    return engine


def add_institution(
    engine: Engine,
    *,
    institution_id: str,
    name: str,
    source: str,
    config: str,
    timezone: str,
    profile: str,
    host: str,
    account: str,
    cron: str,
) -> Institution:
    """Register an institution (or update its settings); its store schema is fixed by its id."""
    if not INSTITUTION_ID.match(institution_id):
        raise RegionError(
            f"код организации «{institution_id}» не подходит: латинские строчные буквы, цифры, "
            "«-» и «_», не длиннее 40 знаков"
        )
    values = {
        "name": name,
        "source": source,
        "config": config,
        "timezone": timezone,
        "profile": profile,
        "host": host,
        "account": account,
        "cron": cron,
    }
    with engine.begin() as conn:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(institution).values(
                        id=institution_id,
                        store_schema=store_schema_of(institution_id),
                        created_at=dt.datetime.now(dt.UTC),
                        **values,
                    )
                )
        except IntegrityError:
            conn.execute(update(institution).where(institution.c.id == institution_id).values(**values))
    return get_institution(engine, institution_id)


def remove_institution(engine: Engine, institution_id: str) -> None:
    """Forget an institution's plan; its store schema and data stay (a person drops them)."""
    with engine.begin() as conn:
        conn.execute(delete(institution).where(institution.c.id == institution_id))


def get_institution(engine: Engine, institution_id: str) -> Institution:
    with engine.connect() as conn:
        row = conn.execute(select(institution).where(institution.c.id == institution_id)).first()
    if row is None:
        raise RegionError(f"организация «{institution_id}» не зарегистрирована в регионе")
    return _institution(row)


def list_institutions(engine: Engine) -> list[Institution]:
    with engine.connect() as conn:
        rows = conn.execute(select(institution).order_by(institution.c.id)).all()
    return [_institution(row) for row in rows]


def _institution(row: object) -> Institution:
    return Institution(
        id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        source=row.source,  # type: ignore[attr-defined]
        config=row.config,  # type: ignore[attr-defined]
        timezone=row.timezone,  # type: ignore[attr-defined]
        profile=row.profile,  # type: ignore[attr-defined]
        host=row.host,  # type: ignore[attr-defined]
        account=row.account,  # type: ignore[attr-defined]
        cron=row.cron,  # type: ignore[attr-defined]
        store_schema=row.store_schema,  # type: ignore[attr-defined]
    )


def set_budget(
    engine: Engine, host: str, max_sessions: int, requests_per_second: float | None = None
) -> None:
    """How many sessions ``host`` may see at once from the whole region, and how many requests a second.

    ``requests_per_second`` ``None`` keeps the host's rate as it is; ``0`` lifts it.
    """
    if max_sessions < 1:
        raise RegionError(f"бюджет узла {host}: число сеансов должно быть не меньше 1")
    if requests_per_second is not None and requests_per_second < 0:
        raise RegionError(f"бюджет узла {host}: число запросов в секунду не может быть меньше 0")
    values: dict[str, object] = {"max_sessions": max_sessions}
    if requests_per_second is not None:
        values["requests_per_second"] = requests_per_second or None
    with engine.begin() as conn:
        changed = conn.execute(
            update(host_budget).where(host_budget.c.host == host).values(**values)
        ).rowcount
        if not changed:
            conn.execute(insert(host_budget).values(host=host, **values))


def rate_of(engine: Engine, host: str) -> float | None:
    """The host's requests-per-second budget, ``None`` when it has none."""
    with engine.connect() as conn:
        value = conn.execute(
            select(host_budget.c.requests_per_second).where(host_budget.c.host == host)
        ).scalar()
    return float(value) if value is not None else None


def budget_of(engine: Engine, host: str) -> int:
    with engine.connect() as conn:
        value = conn.execute(
            select(host_budget.c.max_sessions).where(host_budget.c.host == host)
        ).scalar()
    return int(value) if value is not None else DEFAULT_MAX_SESSIONS


def budgets(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {str(h): int(n) for h, n in conn.execute(select(host_budget.c.host, host_budget.c.max_sessions))}


def rates(engine: Engine) -> dict[str, float]:
    """Every host's requests-per-second budget (hosts without one are left out)."""
    column = host_budget.c.requests_per_second
    with engine.connect() as conn:
        rows = conn.execute(select(host_budget.c.host, column).where(column.is_not(None)))
        return {str(h): float(r) for h, r in rows}


def update_plan(engine: Engine, institution_id: str, cron: str) -> None:
    """Replace an institution's sync plan (its cron line in local time)."""
    get_institution(engine, institution_id)
    with engine.begin() as conn:
        conn.execute(update(institution).where(institution.c.id == institution_id).values(cron=cron))
