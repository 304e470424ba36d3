"""the ToDo API's items

Revision ID: 0001
Revises:
Create Date: 2026-11-25 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "todo_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=36), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_todo_items")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_todo_items_tenant_owner", "todo_items", ["tenant_id", "owner"])


def downgrade() -> None:
    op.drop_index("ix_todo_items_tenant_owner", table_name="todo_items")
    op.drop_table("todo_items")
