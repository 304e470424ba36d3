"""directory audit targets carry the record's time: one object's audits are an index range

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("directory_audit_targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activity_at", sa.Float(), nullable=True))
    op.execute(
        "UPDATE directory_audit_targets SET activity_at = (SELECT directory_audits.activity_at "
        "FROM directory_audits WHERE directory_audits.id = directory_audit_targets.audit_id)"
    )
    with op.batch_alter_table("directory_audit_targets", schema=None) as batch_op:
        batch_op.alter_column("activity_at", existing_type=sa.Float(), nullable=False)
        batch_op.drop_index("ix_directory_audit_targets_target")
        batch_op.create_index(
            "ix_directory_audit_targets_target_time",
            ["tenant_id", "target_id", "activity_at", "audit_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("directory_audit_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_directory_audit_targets_target_time")
        batch_op.create_index(
            "ix_directory_audit_targets_target", ["tenant_id", "target_id"], unique=False
        )
        batch_op.drop_column("activity_at")
