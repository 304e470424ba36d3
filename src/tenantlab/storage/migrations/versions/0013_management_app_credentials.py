"""Management-app credentials sealed in the database

A tenant's management-app credentials were only a 0600 file in the data folder of the node that
made the tenant (`tenants/{id}/management-app.json`); they are now also stored sealed under the
key-encryption key, so every node can show them. Tenants made before keep their file (read first).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "management_app_credentials",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_management_app_credentials_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_management_app_credentials")),
    )


def downgrade() -> None:
    op.drop_table("management_app_credentials")
