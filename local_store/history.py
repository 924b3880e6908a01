"""Reading the observation history back.

"What did the store know at run N" is one indexed range test on a version
table: a version is known at N when it was first seen at or before N and not
superseded (changed or removed) at or before N.  Run ids grow with time, so
comparing ids is comparing order of observation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, and_, or_, select

from canonical.base import Platform, Record, SourceRef
from canonical.registry import record_type
from local_store.schema import field_column, version_table


def known_at(kind: str, run_id: int) -> ColumnElement[bool]:
    """The condition "this version was what the store knew at ``run_id``"."""
    table = version_table(kind)
    return and_(
        table.c.first_seen_run_id <= run_id,
        or_(table.c.superseded_run_id.is_(None), table.c.superseded_run_id > run_id),
    )


def current(kind: str) -> ColumnElement[bool]:
    """The condition "this version is the store's latest knowledge" (not superseded or removed)."""
    return version_table(kind).c.superseded_run_id.is_(None)


def select_as_of(kind: str, run_id: int | None = None) -> Select[Any]:
    """All versions of ``kind`` the store knew at ``run_id`` (latest when ``None``)."""
    table = version_table(kind)
    condition = current(kind) if run_id is None else known_at(kind, run_id)
    return select(table).where(condition)


def row_to_record(kind: str, row: Any) -> Record:
    """Rebuild the canonical record from a version row."""
    model = record_type(kind)
    mapping = row._mapping if hasattr(row, "_mapping") else row
    values = {name: mapping[field_column(name)] for name in model.model_fields if name != "source"}
    values["source"] = SourceRef(
        platform=Platform(mapping["platform"]),
        deployment=mapping["deployment"],
        external_id=mapping["external_id"],
    )
    return model.model_validate(values)


def records_as_of(engine: Engine, kind: str, run_id: int | None = None) -> list[Record]:
    """Canonical records of ``kind`` as the store knew them at ``run_id``."""
    with engine.connect() as conn:
        rows = conn.execute(select_as_of(kind, run_id).order_by(version_table(kind).c.id))
        return [row_to_record(kind, row) for row in rows]


def versions_of(
    engine: Engine, kind: str, external_id: str, deployment: str | None = None
) -> list[dict[str, Any]]:
    """Every version of one record, oldest first, with its run columns."""
    table = version_table(kind)
    query = select(table).where(table.c.external_id == external_id).order_by(table.c.id)
    if deployment is not None:
        query = query.where(table.c.deployment == deployment)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def count_as_of(engine: Engine, kinds: Iterable[str], run_id: int | None = None) -> dict[str, int]:
    """How many records of each kind the store knew at ``run_id``."""
    from sqlalchemy import func

    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for kind in kinds:
            table = version_table(kind)
            condition = current(kind) if run_id is None else known_at(kind, run_id)
            counts[kind] = int(
                conn.execute(select(func.count()).select_from(table).where(condition)).scalar_one()
            )
    return counts
