"""policies: checks, violations with lifecycle, their events and monitoring figures

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import local_store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = local_store.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "policy_check",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("started_at", UTC(), nullable=False),
        sa.Column("finished_at", UTC(), nullable=True),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=True),
        sa.Column("since_run_id", sa.Integer(), nullable=True),
        sa.Column("upto_run_id", sa.Integer(), nullable=True),
        sa.Column("data_as_of", UTC(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_check")),
    )
    op.create_index("ix_policy_check_profile", "policy_check", ["profile_id", "id"])
    op.create_table(
        "policy_violation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=80), nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("entity_kind", sa.String(length=40), nullable=False),
        sa.Column("deployment", sa.String(length=200), server_default="", nullable=False),
        sa.Column("entity_key", sa.String(length=300), nullable=False),
        sa.Column("period_key", sa.String(length=80), server_default="", nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("verdict", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.String(length=12), nullable=False),
        sa.Column("responsible_role", sa.String(length=40), nullable=True),
        sa.Column("responsible_person", sa.String(length=200), nullable=True),
        sa.Column("group_key", sa.String(length=200), nullable=True),
        sa.Column("clause", sa.Text(), server_default="", nullable=False),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("deadline", UTC(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("first_detected_at", UTC(), nullable=False),
        sa.Column("first_check_id", sa.Integer(), nullable=False),
        sa.Column("last_check_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", UTC(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("approval_document", sa.String(length=120), nullable=True),
        sa.Column("approval_date", sa.Date(), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", UTC(), nullable=True),
        sa.Column("resolved_at", UTC(), nullable=True),
        sa.Column("resolved_check_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_check_id"],
            ["policy_check.id"],
            name=op.f("fk_policy_violation_first_check_id_policy_check"),
        ),
        sa.ForeignKeyConstraint(
            ["last_check_id"],
            ["policy_check.id"],
            name=op.f("fk_policy_violation_last_check_id_policy_check"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_check_id"],
            ["policy_check.id"],
            name=op.f("fk_policy_violation_resolved_check_id_policy_check"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_violation")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_policy_violation_fingerprint")),
    )
    op.create_index("ix_policy_violation_rule_status", "policy_violation", ["rule_id", "status"])
    op.create_index("ix_policy_violation_entity", "policy_violation", ["rule_id", "entity_key"])
    op.create_table(
        "policy_violation_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("violation_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["violation_id"],
            ["policy_violation.id"],
            name=op.f("fk_policy_violation_event_violation_id_policy_violation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_violation_event")),
    )
    op.create_index(
        "ix_policy_violation_event_violation", "policy_violation_event", ["violation_id"]
    )
    op.create_table(
        "policy_figure",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(length=80), nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("subject_kind", sa.String(length=40), nullable=False),
        sa.Column("subject_key", sa.String(length=300), nullable=False),
        sa.Column("period_key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"], ["policy_check.id"], name=op.f("fk_policy_figure_check_id_policy_check")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_figure")),
    )
    op.create_index("ix_policy_figure_rule", "policy_figure", ["rule_id", "period_key"])
    op.create_table(
        "policy_due_day",
        sa.Column("calendar_key", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("due", sa.BigInteger(), nullable=False),
        sa.Column("midnight", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("calendar_key", "day", name=op.f("pk_policy_due_day")),
    )


def downgrade() -> None:
    op.drop_table("policy_due_day")
    op.drop_index("ix_policy_figure_rule", table_name="policy_figure")
    op.drop_table("policy_figure")
    op.drop_index("ix_policy_violation_event_violation", table_name="policy_violation_event")
    op.drop_table("policy_violation_event")
    op.drop_index("ix_policy_violation_entity", table_name="policy_violation")
    op.drop_index("ix_policy_violation_rule_status", table_name="policy_violation")
    op.drop_table("policy_violation")
    op.drop_index("ix_policy_check_profile", table_name="policy_check")
    op.drop_table("policy_check")
