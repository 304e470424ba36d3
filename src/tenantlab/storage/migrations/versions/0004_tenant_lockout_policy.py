"""smart lockout settings per tenant (password grant)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lockout_threshold", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lockout_duration_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("lockout_duration_seconds")
        batch_op.drop_column("lockout_threshold")
