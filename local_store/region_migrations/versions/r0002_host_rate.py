"""region: a requests-per-second budget per host, next to its session budget

Revision ID: r0002
Revises: r0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "r0002"
down_revision: str | None = "r0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("host_budget", sa.Column("requests_per_second", sa.Float(), nullable=True))
    op.add_column("host_budget", sa.Column("next_request_at", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("host_budget", "next_request_at")
    op.drop_column("host_budget", "requests_per_second")
