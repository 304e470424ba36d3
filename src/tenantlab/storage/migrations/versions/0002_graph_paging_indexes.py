"""indexes for Graph's keyset paging of users by displayName and userPrincipalName

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            "ix_users_tenant_id_display_name_id", ["tenant_id", "display_name", "id"], unique=False
        )
        batch_op.create_index(
            "ix_users_tenant_id_upn_key_id", ["tenant_id", "upn_key", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_tenant_id_upn_key_id")
        batch_op.drop_index("ix_users_tenant_id_display_name_id")
