"""groups: security and Microsoft 365 groups, members, owners, app roles assigned to groups;
applications' groupMembershipClaims; Graph's group permissions in existing tenants

Tenants made before groups publish Microsoft Graph without Group.Read.All, GroupMember.Read.All
and Group.ReadWrite.All (app roles and delegated scopes): each Graph service principal gets the
ones it lacks (by id), with the texts a new tenant gets; nothing it has is changed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from tenantlab.ids import MICROSOFT_GRAPH_APP_ID

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# A snapshot of what directory/wellknown.py publishes for groups (storage imports no domain
# package): application permissions, then delegated scopes.
GROUP_APP_ROLES: tuple[dict[str, Any], ...] = (
    {
        "allowedMemberTypes": ["Application"],
        "description": "Allows the app to read all groups without a signed-in user.",
        "displayName": "Read all groups",
        "id": "5b567255-7703-4780-807c-7be8301ae99b",
        "isEnabled": True,
        "origin": "Application",
        "value": "Group.Read.All",
    },
    {
        "allowedMemberTypes": ["Application"],
        "description": "Allows the app to read all group memberships without a signed-in user.",
        "displayName": "Read all group memberships",
        "id": "98830695-27a2-44f7-8c18-0c3ebc9698f6",
        "isEnabled": True,
        "origin": "Application",
        "value": "GroupMember.Read.All",
    },
    {
        "allowedMemberTypes": ["Application"],
        "description": "Allows the app to read and write all groups without a signed-in user.",
        "displayName": "Read and write all groups",
        "id": "62a82d76-70ea-41e2-9197-370581804d09",
        "isEnabled": True,
        "origin": "Application",
        "value": "Group.ReadWrite.All",
    },
)
GROUP_SCOPES: tuple[dict[str, Any], ...] = (
    {
        "adminConsentDescription": "Allows the app to list groups, and to read their properties "
        "and all group memberships on behalf of the signed-in user.",
        "adminConsentDisplayName": "Read all groups",
        "id": "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
        "isEnabled": True,
        "type": "Admin",
        "userConsentDescription": "Allows the app to list groups, and to read their properties "
        "and all group memberships on your behalf.",
        "userConsentDisplayName": "Read all groups",
        "value": "Group.Read.All",
    },
    {
        "adminConsentDescription": "Allows the app to list groups, read basic group properties "
        "and read membership of all groups the signed-in user has access to.",
        "adminConsentDisplayName": "Read group memberships",
        "id": "bc024368-1153-4739-b217-4326f2e966d0",
        "isEnabled": True,
        "type": "Admin",
        "userConsentDescription": "Allows the app to list groups, read basic group properties "
        "and read membership of all groups you have access to.",
        "userConsentDisplayName": "Read group memberships",
        "value": "GroupMember.Read.All",
    },
    {
        "adminConsentDescription": "Allows the app to create groups and read all group "
        "properties and memberships on behalf of the signed-in user.",
        "adminConsentDisplayName": "Read and write all groups",
        "id": "4e46008b-f24c-477d-8fff-7bb4ec7aafe0",
        "isEnabled": True,
        "type": "Admin",
        "userConsentDescription": "Allows the app to create groups and read all group "
        "properties and memberships on your behalf.",
        "userConsentDisplayName": "Read and write all groups",
        "value": "Group.ReadWrite.All",
    },
)

service_principals = sa.table(
    "service_principals",
    sa.column("id", sa.String),
    sa.column("app_id", sa.String),
    sa.column("app_roles", sa.JSON),
    sa.column("oauth2_permission_scopes", sa.JSON),
)


def with_missing(items: list[dict[str, Any]], wanted: tuple[dict[str, Any], ...]) -> list[Any]:
    have = {item.get("id") for item in items}
    return [*items, *(dict(w) for w in wanted if w["id"] not in have)]


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_membership_claims", sa.String(32), nullable=True))
    op.create_table(
        "groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("mail_nickname", sa.String(length=64), nullable=False),
        sa.Column("mail", sa.String(length=256), nullable=True),
        sa.Column("mail_enabled", sa.Boolean(), nullable=False),
        sa.Column("security_enabled", sa.Boolean(), nullable=False),
        sa.Column("group_types", sa.JSON(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_groups_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
    )
    op.create_index("ix_groups_tenant_id_id", "groups", ["tenant_id", "id"], unique=False)
    op.create_index(
        "ix_groups_tenant_id_display_name_id",
        "groups",
        ["tenant_id", "display_name", "id"],
        unique=False,
    )
    _edges("group_members", "member", with_groups=True)
    _edges("group_owners", "owner", with_groups=False)
    op.create_table(
        "group_app_role_assignments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("app_role_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_app_role_assignments_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["service_principals.id"],
            name=op.f("fk_group_app_role_assignments_resource_id_service_principals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_group_app_role_assignments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_app_role_assignments")),
        sa.UniqueConstraint(
            "group_id",
            "resource_id",
            "app_role_id",
            name=op.f("uq_group_app_role_assignments_group_id"),
        ),
    )
    op.create_index(
        op.f("ix_group_app_role_assignments_tenant_id"),
        "group_app_role_assignments",
        ["tenant_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_group_app_role_assignments_resource_id"),
        "group_app_role_assignments",
        ["resource_id"],
        unique=False,
    )
    _publish_group_permissions()


def _edges(table: str, role: str, *, with_groups: bool) -> None:
    """group_members / group_owners: (group, object) with the object's id in a typed column."""
    columns = [
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column(f"{role}_id", sa.String(length=36), nullable=False),
        sa.Column(f"{role}_type", sa.String(length=16), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("service_principal_id", sa.String(length=36), nullable=True),
    ]
    keys = [
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f(f"fk_{table}_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_principal_id"],
            ["service_principals.id"],
            name=op.f(f"fk_{table}_service_principal_id_service_principals"),
            ondelete="CASCADE",
        ),
    ]
    if with_groups:
        columns.append(sa.Column("member_group_id", sa.String(length=36), nullable=True))
        keys.append(
            sa.ForeignKeyConstraint(
                ["member_group_id"],
                ["groups.id"],
                name=op.f(f"fk_{table}_member_group_id_groups"),
                ondelete="CASCADE",
            )
        )
    op.create_table(
        table,
        *columns,
        *keys,
        sa.PrimaryKeyConstraint("group_id", f"{role}_id", name=op.f(f"pk_{table}")),
    )
    op.create_index(f"ix_{table}_{role}_id", table, [f"{role}_id", "group_id"], unique=False)
    op.create_index(op.f(f"ix_{table}_user_id"), table, ["user_id"], unique=False)
    op.create_index(
        op.f(f"ix_{table}_service_principal_id"), table, ["service_principal_id"], unique=False
    )
    if with_groups:
        op.create_index(op.f(f"ix_{table}_member_group_id"), table, ["member_group_id"])


def _publish_group_permissions() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            service_principals.c.id,
            service_principals.c.app_roles,
            service_principals.c.oauth2_permission_scopes,
        ).where(service_principals.c.app_id == MICROSOFT_GRAPH_APP_ID)
    ).all()
    for sp_id, roles, scopes in rows:
        connection.execute(
            service_principals.update()
            .where(service_principals.c.id == sp_id)
            .values(
                app_roles=with_missing(list(roles or []), GROUP_APP_ROLES),
                oauth2_permission_scopes=with_missing(list(scopes or []), GROUP_SCOPES),
            )
        )


def downgrade() -> None:
    op.drop_table("group_app_role_assignments")
    op.drop_table("group_owners")
    op.drop_table("group_members")
    op.drop_table("groups")
    # Not in batch mode: rebuilding `applications` would cascade-delete what references it.
    op.drop_column("applications", "group_membership_claims")
