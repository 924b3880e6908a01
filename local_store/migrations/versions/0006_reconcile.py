"""reconciliation: identity resolutions, discrepancies, root causes, held runs

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import local_store.types

revision: str = "0006"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> local_store.types.UTCDateTime:
    return local_store.types.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "identity_resolution",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_kind", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("deployment", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("person_key", sa.String(length=40), nullable=False),
        sa.Column("match_key", sa.String(length=30), nullable=False),
        sa.Column("matched_with", sa.JSON(), nullable=True),
        sa.Column("resolved_at", _utc(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_run.id"], name=op.f("fk_identity_resolution_run_id_sync_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_resolution")),
        sa.UniqueConstraint(
            "record_kind", "platform", "deployment", "external_id", name="uq_identity_key"
        ),
    )
    op.create_index("ix_identity_resolution_person", "identity_resolution", ["person_key"])

    op.create_table(
        "recon_root_cause",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("cause_kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("first_seen_at", _utc(), nullable=False),
        sa.Column("last_seen_at", _utc(), nullable=False),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_root_cause")),
    )

    op.create_table(
        "discrepancy",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=60), nullable=False),
        sa.Column("person_key", sa.String(length=40), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("group_name", sa.Text(), nullable=True),
        sa.Column("field", sa.String(length=60), nullable=True),
        sa.Column("side_a", sa.JSON(), nullable=True),
        sa.Column("side_b", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("root_cause_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("first_seen_at", _utc(), nullable=False),
        sa.Column("last_seen_at", _utc(), nullable=False),
        sa.Column("acknowledged_at", _utc(), nullable=True),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["root_cause_id"],
            ["recon_root_cause.id"],
            name=op.f("fk_discrepancy_root_cause_id_recon_root_cause"),
        ),
        sa.ForeignKeyConstraint(
            ["first_run_id"], ["sync_run.id"], name=op.f("fk_discrepancy_first_run_id_sync_run")
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"], ["sync_run.id"], name=op.f("fk_discrepancy_last_run_id_sync_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discrepancy")),
    )
    op.create_index("ix_discrepancy_status_rule", "discrepancy", ["status", "rule"])
    op.create_index("ix_discrepancy_root_cause", "discrepancy", ["root_cause_id"])

    op.create_table(
        "held_run",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("deployment", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("held_at", _utc(), nullable=False),
        sa.Column("decided_at", _utc(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_run.id"], name=op.f("fk_held_run_run_id_sync_run")
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_held_run")),
    )
    op.create_table(
        "held_snapshot",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["held_run.run_id"], name=op.f("fk_held_snapshot_run_id_held_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_snapshot")),
    )
    op.create_index("ix_held_snapshot_run", "held_snapshot", ["run_id", "ordinal"])
    op.create_table(
        "held_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["held_run.run_id"], name=op.f("fk_held_change_run_id_held_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_change")),
    )
    op.create_index("ix_held_change_run", "held_change", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_held_change_run", table_name="held_change")
    op.drop_table("held_change")
    op.drop_index("ix_held_snapshot_run", table_name="held_snapshot")
    op.drop_table("held_snapshot")
    op.drop_table("held_run")
    op.drop_index("ix_discrepancy_root_cause", table_name="discrepancy")
    op.drop_index("ix_discrepancy_status_rule", table_name="discrepancy")
    op.drop_table("discrepancy")
    op.drop_table("recon_root_cause")
    op.drop_index("ix_identity_resolution_person", table_name="identity_resolution")
    op.drop_table("identity_resolution")
