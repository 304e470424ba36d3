"""directory changes: the change log Graph's delta queries read (tokens outlive restarts)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("changed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_changes")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_directory_changes_window",
        "directory_changes",
        ["tenant_id", "kind", "revision", "object_id"],
        unique=False,
    )
    op.create_index(
        "ix_directory_changes_changed_at", "directory_changes", ["changed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_directory_changes_changed_at", table_name="directory_changes")
    op.drop_index("ix_directory_changes_window", table_name="directory_changes")
    op.drop_table("directory_changes")
