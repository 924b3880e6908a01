"""Tables of reconciliation: identity resolutions, discrepancies and their root causes, held runs.

Discrepancies are records, not printouts (architecture.md): a stable text id
derived from what is wrong and about whom, so re-running reconciliation never
duplicates them; a lifecycle (open → acknowledged → resolved); and an optional
root cause that groups the consequences of one missing order.

A held run keeps the snapshots it would have ingested (``held_snapshot``) and
a list of its changes for review (``held_change``) until someone approves or
discards it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from local_store.metadata import metadata
from local_store.types import UTCDateTime

identity_resolution = Table(
    "identity_resolution",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_kind", String(40), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("deployment", String(200), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("person_key", String(40), nullable=False),
    Column("match_key", String(30), nullable=False),
    # match_key: ``snils``, ``fio_birth_document``, ``fio_birth`` or ``unmatched``.
    Column("matched_with", JSON, nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=False),
    Column("run_id", Integer, ForeignKey("sync_run.id"), nullable=True),
    UniqueConstraint(
        "record_kind", "platform", "deployment", "external_id", name="uq_identity_key"
    ),
    Index("ix_identity_resolution_person", "person_key"),
)

root_cause = Table(
    "recon_root_cause",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("cause_kind", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("details", JSON, nullable=True),
    Column("status", String(20), nullable=False),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime(), nullable=True),
)

discrepancy = Table(
    "discrepancy",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("rule", String(60), nullable=False),
    Column("person_key", String(40), nullable=True),
    Column("subject", Text, nullable=False),
    # subject: who or what it is about, in Russian (a student, an order, a request).
    Column("group_name", Text, nullable=True),
    Column("field", String(60), nullable=True),
    Column("side_a", JSON, nullable=True),
    Column("side_b", JSON, nullable=True),
    Column("message", Text, nullable=False),
    Column("root_cause_id", String(40), ForeignKey("recon_root_cause.id"), nullable=True),
    Column("status", String(20), nullable=False),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("acknowledged_at", UTCDateTime(), nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("note", Text, nullable=True),
    Column("first_run_id", Integer, ForeignKey("sync_run.id"), nullable=True),
    Column("last_run_id", Integer, ForeignKey("sync_run.id"), nullable=True),
    Index("ix_discrepancy_status_rule", "status", "rule"),
    Index("ix_discrepancy_root_cause", "root_cause_id"),
)

held_run = Table(
    "held_run",
    metadata,
    Column("run_id", Integer, ForeignKey("sync_run.id"), primary_key=True),
    Column("source", String(40), nullable=False),
    Column("deployment", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    # status: ``held``, ``approved`` or ``discarded``.
    Column("reasons", JSON, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("held_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
)

held_snapshot = Table(
    "held_snapshot",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("held_run.run_id"), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("scope", String(300), nullable=False),
    Column("kinds", JSON, nullable=False),
    Column("records", JSON, nullable=False),
    Index("ix_held_snapshot_run", "run_id", "ordinal"),
)

held_change = Table(
    "held_change",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("held_run.run_id"), nullable=False),
    Column("scope", String(300), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("change", String(20), nullable=False),
    # change: ``added``, ``changed`` or ``removed``.
    Column("external_id", String(200), nullable=False),
    Column("detail", Text, nullable=True),
    Index("ix_held_change_run", "run_id"),
)
