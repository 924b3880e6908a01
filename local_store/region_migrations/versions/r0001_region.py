"""region: institutions with their sync plans, and per-host session budgets

Revision ID: r0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from local_store.types import UTCDateTime

revision: str = "r0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "institution",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(length=60), nullable=False),
        sa.Column("profile", sa.String(length=40), server_default="", nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("account", sa.String(length=200), server_default="", nullable=False),
        sa.Column("cron", sa.String(length=100), nullable=False),
        sa.Column("store_schema", sa.String(length=63), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_institution"),
        sa.UniqueConstraint("store_schema", name="uq_institution_store_schema"),
    )
    op.create_table(
        "host_budget",
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("max_sessions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("host", name="pk_host_budget"),
    )


def downgrade() -> None:
    op.drop_table("host_budget")
    op.drop_table("institution")
