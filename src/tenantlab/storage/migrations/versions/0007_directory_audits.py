"""directory audits: one row per change to a tenant, and the objects each names

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 21:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_audits",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("activity_at", sa.Float(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("activity_display_name", sa.String(length=128), nullable=False),
        sa.Column("operation_type", sa.String(length=32), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("result_reason", sa.Text(), nullable=False),
        sa.Column("correlation_id", sa.String(length=36), nullable=False),
        sa.Column("initiator_app_id", sa.String(length=128), nullable=True),
        sa.Column("initiated_by", sa.JSON(), nullable=False),
        sa.Column("target_resources", sa.JSON(), nullable=False),
        sa.Column("additional_details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_audits")),
    )
    op.create_index(
        "ix_directory_audits_tenant_time",
        "directory_audits",
        ["tenant_id", "activity_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_directory_audits_activity_at", "directory_audits", ["activity_at"], unique=False
    )
    op.create_table(
        "directory_audit_targets",
        sa.Column("audit_id", sa.String(length=36), nullable=False),
        sa.Column("target_id", sa.String(length=128), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["directory_audits.id"],
            name=op.f("fk_directory_audit_targets_audit_id_directory_audits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("audit_id", "target_id", name=op.f("pk_directory_audit_targets")),
    )
    op.create_index(
        "ix_directory_audit_targets_target",
        "directory_audit_targets",
        ["tenant_id", "target_id"],
        unique=False,
    )
    # Retention prunes sign-ins by age across tenants: by index, not by a scan of every row.
    op.create_index("ix_sign_ins_created_at", "sign_ins", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sign_ins_created_at", table_name="sign_ins")
    op.drop_index("ix_directory_audit_targets_target", table_name="directory_audit_targets")
    op.drop_table("directory_audit_targets")
    op.drop_index("ix_directory_audits_activity_at", table_name="directory_audits")
    op.drop_index("ix_directory_audits_tenant_time", table_name="directory_audits")
    op.drop_table("directory_audits")
