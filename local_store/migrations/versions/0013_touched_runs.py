"""touched runs: indexes on the version tables' last-seen and superseded runs

An incremental check asks each version table for the rows a run newer than the
last check first saw, saw again or superseded.  Asked as a union of three range
lookups, each has an index (the first-seen one is ``ix_<table>_window``): the
check reads what the last syncs touched, not the whole table.  The superseded index is
partial (superseded rows only): a lookup of current versions never takes it.

Revision ID: 0013
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here as local_store.schema.VERSION_TABLES stood at this revision.
KINDS: tuple[str, ...] = tuple(
    [
        "absence",
        "approval",
        "data_review",
        "diary_opt_out",
        "enrolment",
        "epgu_request",
        "expected_enrolment",
        "group",
        "holiday",
        "homework",
        "institution",
        "invitation_code",
        "journal_outage",
        "lesson",
        "mark",
        "movement_order",
        "paper_report",
        "parent_link",
        "period",
        "person",
        "plan",
        "plan_item",
        "registry_feedback",
        "result_announcement",
        "school_year",
        "subgroup",
        "subgroup_member",
        "subject",
        "teaching_assignment",
        "work_kind",
    ]
)


def upgrade() -> None:
    for kind in KINDS:
        table = f"obs_{kind}"
        op.create_index(f"ix_{table}_last_seen", table, ["last_seen_run_id"])
        op.create_index(
            f"ix_{table}_superseded",
            table,
            ["superseded_run_id"],
            sqlite_where=sa.text("superseded_run_id IS NOT NULL"),
            postgresql_where=sa.text("superseded_run_id IS NOT NULL"),
        )


def downgrade() -> None:
    for kind in KINDS:
        table = f"obs_{kind}"
        op.drop_index(f"ix_{table}_superseded", table_name=table)
        op.drop_index(f"ix_{table}_last_seen", table_name=table)
