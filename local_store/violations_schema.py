"""Tables of the policy engine: checks, violations, approvals and monitoring figures.

A violation is a record with a stable fingerprint (rule, entity, period), so a
re-run updates it instead of adding a copy; its status moves open →
acknowledged / approved exception → resolved and is never deleted.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
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
)

from local_store.metadata import metadata
from local_store.types import UTCDateTime

policy_check = Table(
    "policy_check",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile_id", String(40), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("full", Boolean, nullable=False),
    Column("rules", JSON, nullable=True),
    Column("since_run_id", Integer, nullable=True),
    # Runs newer than this were re-checked (``NULL``: everything).
    Column("upto_run_id", Integer, nullable=True),
    Column("data_as_of", UTCDateTime(), nullable=True),
    # ``observed_at`` of the newest run the check saw: "now" for the data.
    Column("counts", JSON, nullable=True),
    Index("ix_policy_check_profile", "profile_id", "id"),
)

policy_violation = Table(
    "policy_violation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("rule_id", String(80), nullable=False),
    Column("profile_id", String(40), nullable=False),
    Column("entity_kind", String(40), nullable=False),
    Column("deployment", String(200), nullable=False, server_default=""),
    Column("entity_key", String(300), nullable=False),
    Column("period_key", String(80), nullable=False, server_default=""),
    Column("status", String(20), nullable=False),
    # ``open``, ``acknowledged``, ``approved``, ``resolved``.
    Column("verdict", String(24), nullable=False),
    # ``violated`` or ``possibly_violated`` (policy-catalog.md §8).
    Column("severity", String(12), nullable=False),
    Column("responsible_role", String(40), nullable=True),
    Column("responsible_person", String(200), nullable=True),
    Column("group_key", String(200), nullable=True),
    Column("clause", Text, nullable=False, server_default=""),
    Column("message", Text, nullable=False, server_default=""),
    Column("deadline", UTCDateTime(), nullable=True),
    Column("evidence", JSON, nullable=False),
    Column("first_detected_at", UTCDateTime(), nullable=False),
    Column("first_check_id", Integer, ForeignKey("policy_check.id"), nullable=False),
    Column("last_check_id", Integer, ForeignKey("policy_check.id"), nullable=False),
    Column("acknowledged_at", UTCDateTime(), nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("approval_document", String(120), nullable=True),
    Column("approval_date", Date, nullable=True),
    Column("approved_by", String(200), nullable=True),
    Column("approved_at", UTCDateTime(), nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=True),
    # The data moment (newest run's ``observed_at``) at which the condition no longer held.
    Column("resolved_check_id", Integer, ForeignKey("policy_check.id"), nullable=True),
    Index("ix_policy_violation_rule_status", "rule_id", "status"),
    Index("ix_policy_violation_entity", "rule_id", "entity_key"),
)

policy_violation_event = Table(
    "policy_violation_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("violation_id", Integer, ForeignKey("policy_violation.id"), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("event", String(24), nullable=False),
    # ``opened``, ``changed``, ``acknowledged``, ``approved``, ``resolved``, ``reopened``.
    Column("detail", JSON, nullable=True),
    Index("ix_policy_violation_event_violation", "violation_id"),
)

policy_figure = Table(
    "policy_figure",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_id", String(80), nullable=False),
    Column("profile_id", String(40), nullable=False),
    Column("subject_kind", String(40), nullable=False),
    # ``teacher``, ``group``, ``group_subject``…
    Column("subject_key", String(300), nullable=False),
    Column("period_key", String(80), nullable=False),
    Column("value", Float, nullable=True),
    Column("threshold", Float, nullable=True),
    Column("breached", Boolean, nullable=False),
    Column("detail", JSON, nullable=True),
    Column("check_id", Integer, ForeignKey("policy_check.id"), nullable=False),
    Index("ix_policy_figure_rule", "rule_id", "period_key"),
)

policy_due_day = Table(
    "policy_due_day",
    metadata,
    Column("calendar_key", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("due", BigInteger, nullable=False),
    Column("midnight", BigInteger, nullable=False),
)
# Deadlines tabulated per calendar day (epoch seconds) so rules join them in SQL; the key
# hashes the calendar, the deadline rule and the window, so rows are reusable and never stale.
