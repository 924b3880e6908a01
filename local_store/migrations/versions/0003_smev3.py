"""СМЭВ 3: the outbox of pushes and the envelope audit

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import local_store.types

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> local_store.types.UTCDateTime:
    return local_store.types.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "smev3_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("deployment", sa.String(length=200), nullable=False),
        sa.Column("event_key", sa.String(length=400), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("operation", sa.String(length=20), nullable=False),
        sa.Column("reply_to", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("rejection", sa.JSON(), nullable=True),
        sa.Column("test", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("subject_kind", sa.String(length=40), nullable=True),
        sa.Column("subject_platform", sa.String(length=20), nullable=True),
        sa.Column("subject_deployment", sa.String(length=200), nullable=True),
        sa.Column("subject_id", sa.String(length=200), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", _utc(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smev3_outbox")),
        sa.UniqueConstraint("channel", "deployment", "event_key", name="uq_smev3_outbox_event"),
        sa.UniqueConstraint("message_id", name="uq_smev3_outbox_message_id"),
    )
    op.create_index("ix_smev3_outbox_due", "smev3_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "smev3_envelope",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deployment", sa.String(length=200), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("operation", sa.String(length=30), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smev3_envelope")),
    )
    op.create_index("ix_smev3_envelope_message", "smev3_envelope", ["message_id"])
    op.create_index("ix_smev3_envelope_at", "smev3_envelope", ["deployment", "at"])


def downgrade() -> None:
    op.drop_index("ix_smev3_envelope_at", table_name="smev3_envelope")
    op.drop_index("ix_smev3_envelope_message", table_name="smev3_envelope")
    op.drop_table("smev3_envelope")
    op.drop_index("ix_smev3_outbox_due", table_name="smev3_outbox")
    op.drop_table("smev3_outbox")
