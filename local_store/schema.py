"""The store's tables.

Three core tables record observation: ``sync_run`` (one pull), ``run_scope``
(which scopes a run covered, so "the previous run that looked here" is one
indexed query) and ``entity`` (one row per source record ever seen).  Each
canonical kind then has a version table ``obs_<kind>``: one row per distinct
content of a record, with the run that first saw it, the run that last saw
it, the run before that which covered its scope without seeing it
(``prev_seen_run_id``, the T0 of policy-catalog.md §8) and the run that
superseded it.  The version tables are derived from the canonical models so
the vocabulary has one definition; Alembic migrations freeze each revision.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from enum import Enum
from typing import Any

from pydantic import AwareDatetime
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeEngine

# The area modules declare their tables on the same metadata; importing them here
# gathers every table wherever the schema is imported (``local_store.metadata``).
import local_store.reconcile_schema
import local_store.scheduler_schema
import local_store.smev3_schema
import local_store.violations_schema  # noqa: F401
from canonical.base import Record
from canonical.registry import RECORD_TYPES
from local_store.metadata import metadata
from local_store.types import UTCDateTime

sync_run = Table(
    "sync_run",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    Column("deployment", String(200), nullable=False, server_default=""),
    Column("scope", Text, nullable=False, server_default=""),
    Column("job", String(80), nullable=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("counts", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("host", String(200), nullable=True),
    Column("pid", Integer, nullable=True),
    Index("ix_sync_run_source_observed", "source", "deployment", "observed_at"),
)
"""One pull (or job).  ``observed_at`` is the moment the data reflects: wall-clock
for a real platform, the emulator's clock in a replay.  Evidence uses it."""

run_scope = Table(
    "run_scope",
    metadata,
    Column("run_id", Integer, ForeignKey("sync_run.id"), primary_key=True),
    Column("scope", String(300), primary_key=True),
    Index("ix_run_scope_scope_run", "scope", "run_id"),
)

entity = Table(
    "entity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("deployment", String(200), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("scope", String(300), nullable=False),
    Column("first_seen_run_id", Integer, ForeignKey("sync_run.id"), nullable=False),
    Column("removed_run_id", Integer, ForeignKey("sync_run.id"), nullable=True),
    # The most selective column leads, so key lookups by external id use the
    # index even before PostgreSQL has statistics for a freshly filled table.
    UniqueConstraint("external_id", "deployment", "platform", "kind", name="uq_entity_key"),
    Index("ix_entity_scope", "kind", "scope"),
)

VERSION_PREFIX = "obs_"

_SCALARS: dict[Any, type[TypeEngine[Any]] | TypeEngine[Any]] = {
    str: Text,
    int: Integer,
    float: Float,
    bool: Boolean,
    dt.date: Date,
    dt.time: Time,
}


def _column_type(annotation: Any) -> tuple[TypeEngine[Any] | type[TypeEngine[Any]], bool]:
    """SQL type and nullability for a pydantic field annotation."""
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            inner, _ = _column_type(args[0])
            return inner, nullable
        return JSON, nullable
    if annotation is AwareDatetime or annotation is dt.datetime:
        return UTCDateTime(), nullable
    if typing.get_origin(annotation) is typing.Annotated:
        base = typing.get_args(annotation)[0]
        if base is dt.datetime:
            return UTCDateTime(), nullable
        return _column_type(base)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return String(40), nullable
    if origin is typing.Literal:
        first = typing.get_args(annotation)[0]
        return (Integer if isinstance(first, int) else Text), nullable
    if annotation in _SCALARS:
        return _SCALARS[annotation], nullable
    return JSON, nullable


def _version_table(kind: str, model: type[Record]) -> Table:
    columns: list[Any] = [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("entity_id", Integer, ForeignKey("entity.id"), nullable=False),
        Column("platform", String(20), nullable=False),
        Column("deployment", String(200), nullable=False),
        Column("external_id", String(200), nullable=False),
        Column("content_hash", String(64), nullable=False),
        Column("first_seen_run_id", Integer, ForeignKey("sync_run.id"), nullable=False),
        Column("last_seen_run_id", Integer, ForeignKey("sync_run.id"), nullable=False),
        Column("prev_seen_run_id", Integer, ForeignKey("sync_run.id"), nullable=True),
        Column("superseded_run_id", Integer, ForeignKey("sync_run.id"), nullable=True),
    ]
    for name, field in model.model_fields.items():
        if name == "source":
            continue
        sql_type, _nullable = _column_type(field.annotation)
        # Every field column is nullable: the model, not the table, says what is
        # required, and a later canonical field must not break old versions.
        columns.append(Column(f"f_{name}", sql_type, nullable=True))
    table_name = f"{VERSION_PREFIX}{kind}"
    lookups = [
        Index(f"ix_{table_name}_{name}", *columns)
        for name, columns in FIELD_INDEXES.get(kind, {}).items()
    ]
    return Table(
        table_name,
        metadata,
        *columns,
        Index(f"ix_{table_name}_entity", "entity_id", "superseded_run_id"),
        Index(f"ix_{table_name}_key", "deployment", "external_id"),
        Index(f"ix_{table_name}_window", "first_seen_run_id", "superseded_run_id"),
        # an incremental check's "touched since" lookups (migration 0013); the superseded one
        # partial, so a lookup of current versions (superseded IS NULL) never takes it
        Index(f"ix_{table_name}_last_seen", "last_seen_run_id"),
        Index(
            f"ix_{table_name}_superseded",
            "superseded_run_id",
            sqlite_where=text("superseded_run_id IS NOT NULL"),
            postgresql_where=text("superseded_run_id IS NOT NULL"),
        ),
        *lookups,
    )


FIELD_INDEXES: dict[str, dict[str, tuple[str, ...]]] = {
    "lesson": {"group": ("f_group_id", "f_subject_id", "deployment", "f_date")},
    "enrolment": {
        "group": ("f_group_id", "deployment"),
        "student": ("f_student_id", "deployment"),
    },
    "absence": {"lesson": ("f_lesson_id", "deployment")},
}
"""Lookups (column lists) the policies join on besides the key (migration 0007): without them a rule
joining lessons to a group's students reads every lesson of the deployment per row (an
index led by the deployment does not help: most stores hold one)."""


VERSION_TABLES: dict[str, Table] = {
    kind: _version_table(kind, model) for kind, model in RECORD_TYPES.items()
}
"""``kind`` → its version table.  Field ``x`` of the model is column ``f_x``."""


def version_table(kind: str) -> Table:
    try:
        return VERSION_TABLES[kind]
    except KeyError:
        raise KeyError(f"no version table for kind {kind!r}") from None


def field_column(name: str) -> str:
    """The column holding model field ``name`` in a version table."""
    return f"f_{name}"
