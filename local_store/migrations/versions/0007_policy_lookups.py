"""policy lookups: indexes on the version-table fields the rules join on

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here as local_store.schema.FIELD_INDEXES stood at this revision.
INDEXES: dict[str, dict[str, tuple[str, ...]]] = {
    "lesson": {"group": ("f_group_id", "f_subject_id", "deployment", "f_date")},
    "enrolment": {
        "group": ("f_group_id", "deployment"),
        "student": ("f_student_id", "deployment"),
    },
    "absence": {"lesson": ("f_lesson_id", "deployment")},
}


def upgrade() -> None:
    for kind, indexes in INDEXES.items():
        table = f"obs_{kind}"
        for name, columns in indexes.items():
            op.create_index(f"ix_{table}_{name}", table, list(columns))


def downgrade() -> None:
    for kind, indexes in INDEXES.items():
        table = f"obs_{kind}"
        for name in indexes:
            op.drop_index(f"ix_{table}_{name}", table_name=table)
