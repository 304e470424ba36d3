"""the first schema: tenants, applications, credentials, service principals, users, signing keys

Revision ID: 0001
Revises:
Create Date: 2026-11-25 13:24:32.487132
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
        "directory_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_state")),
    )
    op.bulk_insert(
        sa.table("directory_state", sa.column("id", sa.Integer), sa.column("revision", sa.Integer)),
        [{"id": 1, "revision": 0}],
    )
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("tenant_type", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("graph_throttling", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("app_id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("sign_in_audience", sa.String(length=64), nullable=False),
        sa.Column("identifier_uris", sa.JSON(), nullable=False),
        sa.Column("requested_access_token_version", sa.Integer(), nullable=True),
        sa.Column("app_roles", sa.JSON(), nullable=False),
        sa.Column("oauth2_permission_scopes", sa.JSON(), nullable=False),
        sa.Column("optional_claims", sa.JSON(), nullable=False),
        sa.Column("required_resource_access", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_applications_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("app_id", name=op.f("uq_applications_app_id")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("cert_pem", sa.Text(), nullable=False),
        sa.Column("key_file", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("activated_at", sa.Float(), nullable=False),
        sa.Column("retired_at", sa.Float(), nullable=True),
        sa.Column("remove_after", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_signing_keys_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_keys_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tenant_domains",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("is_initial", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_domains_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_tenant_domains")),
    )
    with op.batch_alter_table("tenant_domains", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tenant_domains_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("user_principal_name", sa.String(length=256), nullable=False),
        sa.Column("upn_key", sa.String(length=256), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("mail_nickname", sa.String(length=64), nullable=True),
        sa.Column("given_name", sa.String(length=64), nullable=True),
        sa.Column("surname", sa.String(length=64), nullable=True),
        sa.Column("mail", sa.String(length=256), nullable=True),
        sa.Column("job_title", sa.String(length=128), nullable=True),
        sa.Column("mobile_phone", sa.String(length=64), nullable=True),
        sa.Column("office_location", sa.String(length=128), nullable=True),
        sa.Column("preferred_language", sa.String(length=16), nullable=True),
        sa.Column("business_phones", sa.JSON(), nullable=False),
        sa.Column("account_enabled", sa.Boolean(), nullable=False),
        sa.Column("user_type", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_users_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("tenant_id", "upn_key", name=op.f("uq_users_tenant_id")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_tenant_id_id", ["tenant_id", "id"], unique=False)

    op.create_table(
        "federated_identity_credentials",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("issuer", sa.String(length=600), nullable=False),
        sa.Column("subject", sa.String(length=600), nullable=False),
        sa.Column("audiences", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=600), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_federated_identity_credentials_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federated_identity_credentials")),
        sa.UniqueConstraint(
            "application_id",
            "issuer",
            "subject",
            name=op.f("uq_federated_identity_credentials_issuer_subject"),
        ),
        sa.UniqueConstraint(
            "application_id", "name", name=op.f("uq_federated_identity_credentials_application_id")
        ),
    )
    with op.batch_alter_table("federated_identity_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_federated_identity_credentials_application_id"),
            ["application_id"],
            unique=False,
        )

    op.create_table(
        "identifier_uris",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("uri_key", sa.String(length=512), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_identifier_uris_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_identifier_uris_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "uri_key", name=op.f("pk_identifier_uris")),
    )
    with op.batch_alter_table("identifier_uris", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identifier_uris_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "key_credentials",
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("usage", sa.String(length=16), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("thumbprint_sha1", sa.String(length=40), nullable=False),
        sa.Column("thumbprint_sha256", sa.String(length=64), nullable=False),
        sa.Column("start_at", sa.Float(), nullable=False),
        sa.Column("end_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_key_credentials_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_key_credentials")),
    )
    with op.batch_alter_table("key_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_credentials_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_key_credentials_thumbprint_sha1"), ["thumbprint_sha1"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_key_credentials_thumbprint_sha256"), ["thumbprint_sha256"], unique=False
        )

    op.create_table(
        "password_credentials",
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=True),
        sa.Column("hint", sa.String(length=8), nullable=False),
        sa.Column("secret_digest", sa.String(length=64), nullable=False),
        sa.Column("start_at", sa.Float(), nullable=False),
        sa.Column("end_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_password_credentials_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_password_credentials")),
    )
    with op.batch_alter_table("password_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_credentials_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "service_principals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("app_id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=True),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("app_owner_organization_id", sa.String(length=36), nullable=False),
        sa.Column("app_role_assignment_required", sa.Boolean(), nullable=False),
        sa.Column("account_enabled", sa.Boolean(), nullable=False),
        sa.Column("service_principal_type", sa.String(length=32), nullable=False),
        sa.Column("app_roles", sa.JSON(), nullable=False),
        sa.Column("oauth2_permission_scopes", sa.JSON(), nullable=False),
        sa.Column("service_principal_names", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_service_principals_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_service_principals_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_principals")),
        sa.UniqueConstraint("tenant_id", "app_id", name=op.f("uq_service_principals_tenant_id")),
    )
    with op.batch_alter_table("service_principals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_principals_app_id"), ["app_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_service_principals_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_principals_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "app_role_assignments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("principal_id", sa.String(length=36), nullable=False),
        sa.Column("principal_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("app_role_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["service_principals.id"],
            name=op.f("fk_app_role_assignments_principal_id_service_principals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["service_principals.id"],
            name=op.f("fk_app_role_assignments_resource_id_service_principals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_app_role_assignments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_role_assignments")),
        sa.UniqueConstraint(
            "principal_id",
            "resource_id",
            "app_role_id",
            name=op.f("uq_app_role_assignments_principal_id"),
        ),
    )
    with op.batch_alter_table("app_role_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_app_role_assignments_principal_id"), ["principal_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_app_role_assignments_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_app_role_assignments_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "oauth2_permission_grants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("consent_type", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["service_principals.id"],
            name=op.f("fk_oauth2_permission_grants_client_id_service_principals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["service_principals.id"],
            name=op.f("fk_oauth2_permission_grants_resource_id_service_principals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_oauth2_permission_grants_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth2_permission_grants")),
        sa.UniqueConstraint(
            "client_id", "resource_id", name=op.f("uq_oauth2_permission_grants_client_id")
        ),
    )
    with op.batch_alter_table("oauth2_permission_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth2_permission_grants_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_oauth2_permission_grants_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_oauth2_permission_grants_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("oauth2_permission_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth2_permission_grants_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_oauth2_permission_grants_resource_id"))
        batch_op.drop_index(batch_op.f("ix_oauth2_permission_grants_client_id"))

    op.drop_table("oauth2_permission_grants")
    with op.batch_alter_table("app_role_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_role_assignments_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_app_role_assignments_resource_id"))
        batch_op.drop_index(batch_op.f("ix_app_role_assignments_principal_id"))

    op.drop_table("app_role_assignments")
    with op.batch_alter_table("service_principals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_principals_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_service_principals_application_id"))
        batch_op.drop_index(batch_op.f("ix_service_principals_app_id"))

    op.drop_table("service_principals")
    with op.batch_alter_table("password_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_credentials_application_id"))

    op.drop_table("password_credentials")
    with op.batch_alter_table("key_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_credentials_thumbprint_sha256"))
        batch_op.drop_index(batch_op.f("ix_key_credentials_thumbprint_sha1"))
        batch_op.drop_index(batch_op.f("ix_key_credentials_application_id"))

    op.drop_table("key_credentials")
    with op.batch_alter_table("identifier_uris", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identifier_uris_application_id"))

    op.drop_table("identifier_uris")
    with op.batch_alter_table("federated_identity_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_federated_identity_credentials_application_id"))

    op.drop_table("federated_identity_credentials")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_tenant_id_id")

    op.drop_table("users")
    with op.batch_alter_table("tenant_domains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenant_domains_tenant_id"))

    op.drop_table("tenant_domains")
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_keys_tenant_id"))

    op.drop_table("signing_keys")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_tenant_id"))

    op.drop_table("applications")
    op.drop_table("tenants")
    op.drop_table("directory_state")
