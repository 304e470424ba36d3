"""managed identities: their table and the service principals' alternativeNames

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_principals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alternative_names", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("service_principals", schema=None) as batch_op:
        batch_op.alter_column("alternative_names", server_default=None)
    op.create_table(
        "managed_identities",
        sa.Column("service_principal_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("resource_id", sa.String(length=512), nullable=False),
        sa.Column("hosts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_principal_id"],
            ["service_principals.id"],
            name=op.f("fk_managed_identities_service_principal_id_service_principals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_managed_identities_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_principal_id", name=op.f("pk_managed_identities")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_managed_identities_tenant_id")),
    )
    with op.batch_alter_table("managed_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_managed_identities_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("managed_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_managed_identities_tenant_id"))
    op.drop_table("managed_identities")
    with op.batch_alter_table("service_principals", schema=None) as batch_op:
        batch_op.drop_column("alternative_names")
