"""The directory's tables (SQLAlchemy 2 declarative). Alembic migrations own their evolution.

Conventions: GUIDs are 36-character strings; timestamps are epoch seconds (float, UTC); collections
that Graph returns as one value (appRoles, optionalClaims, ...) are JSON in Graph's own shape.
Client secrets are never stored, only `secret_digest` (HMAC-SHA256 keyed by the installation's
pepper; older rows: by the credential's keyId, rewritten on next use).
"""

# No `from __future__ import annotations` here: SQLAlchemy would then evaluate every `Mapped[...]`
# annotation from its text, a tenth of what declaring these tables costs each CLI command.

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

GUID = String(36)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class InstallationSetting(Base):
    """A value every node of one installation must share or agree on: the key-encryption key's id,
    the public origin, secrets sealed under the KEK (`value` in clear, `sealed` never)."""

    __tablename__ = "installation_settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, default=None)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class ManagementAppCredential(Base):
    """A tenant's management-app credentials (client id, secret, ...), sealed under the KEK: any
    node can show them (`tenant show --credentials`), not only the one that made the tenant."""

    __tablename__ = "management_app_credentials"
    tenant_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class DirectoryState(Base):
    """One row: a counter bumped by every directory write, so caches know when to reload."""

    __tablename__ = "directory_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class Tenant(Base):
    __tablename__ = "tenants"
    id: Mapped[str] = mapped_column(GUID, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(256))
    tenant_type: Mapped[str] = mapped_column(String(16), default="workforce")  # or "external"
    created_at: Mapped[float] = mapped_column(Float)
    graph_throttling: Mapped[bool] = mapped_column(Boolean, default=False)
    # Smart lockout of the password grant (Entra's LockoutThreshold / LockoutDurationInSeconds);
    # None means Entra's defaults (10 failures, 60 seconds).
    lockout_threshold: Mapped[int | None] = mapped_column(Integer, default=None)
    lockout_duration_seconds: Mapped[int | None] = mapped_column(Integer, default=None)


class TenantDomain(Base):
    __tablename__ = "tenant_domains"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)  # lower-case
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    is_initial: Mapped[bool] = mapped_column(Boolean, default=False)


class Application(Base):
    __tablename__ = "applications"
    id: Mapped[str] = mapped_column(GUID, primary_key=True)  # object id
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[str] = mapped_column(GUID, unique=True)  # client id
    display_name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    sign_in_audience: Mapped[str] = mapped_column(String(64), default="AzureADMyOrg")
    identifier_uris: Mapped[list[Any]] = mapped_column(default=list)
    requested_access_token_version: Mapped[int | None] = mapped_column(Integer, default=None)
    app_roles: Mapped[list[Any]] = mapped_column(default=list)
    oauth2_permission_scopes: Mapped[list[Any]] = mapped_column(default=list)
    optional_claims: Mapped[dict[str, Any]] = mapped_column(default=dict)
    required_resource_access: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[float] = mapped_column(Float)
    # Which groups its tokens name (None, SecurityGroup, All, ApplicationGroup); migration 0012.
    group_membership_claims: Mapped[str | None] = mapped_column(String(32), default=None)


class IdentifierUri(Base):
    """Index of every application's identifierUris, unique per tenant (case-insensitive)."""

    __tablename__ = "identifier_uris"
    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    uri_key: Mapped[str] = mapped_column(String(512), primary_key=True)  # lower-case
    application_id: Mapped[str] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )


class PasswordCredential(Base):
    __tablename__ = "password_credentials"
    key_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str | None] = mapped_column(String(256), default=None)
    hint: Mapped[str] = mapped_column(String(8))
    secret_digest: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[float] = mapped_column(Float)
    end_at: Mapped[float] = mapped_column(Float)


class KeyCredential(Base):
    """A certificate's public part (never a private key)."""

    __tablename__ = "key_credentials"
    key_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str | None] = mapped_column(String(256), default=None)
    type: Mapped[str] = mapped_column(String(32), default="AsymmetricX509Cert")
    usage: Mapped[str] = mapped_column(String(16), default="Verify")
    key: Mapped[bytes] = mapped_column(LargeBinary)  # DER certificate
    thumbprint_sha1: Mapped[str] = mapped_column(String(40), index=True)  # hex upper
    thumbprint_sha256: Mapped[str] = mapped_column(String(64), index=True)  # hex upper
    start_at: Mapped[float] = mapped_column(Float)
    end_at: Mapped[float] = mapped_column(Float)


class FederatedIdentityCredential(Base):
    __tablename__ = "federated_identity_credentials"
    __table_args__ = (
        UniqueConstraint("application_id", "name"),
        # Named: the convention would give it the same name as the one above, which PostgreSQL
        # refuses (constraint names are relation names there).
        UniqueConstraint(
            "application_id",
            "issuer",
            "subject",
            name="uq_federated_identity_credentials_issuer_subject",
        ),
    )
    id: Mapped[str] = mapped_column(GUID, primary_key=True)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    issuer: Mapped[str] = mapped_column(String(600))
    subject: Mapped[str] = mapped_column(String(600))
    audiences: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str | None] = mapped_column(String(600), default=None)


class ServicePrincipal(Base):
    __tablename__ = "service_principals"
    __table_args__ = (UniqueConstraint("tenant_id", "app_id"),)
    id: Mapped[str] = mapped_column(GUID, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[str] = mapped_column(GUID, index=True)
    # The application object in its home tenant; None for Microsoft's first-party apps (Graph).
    application_id: Mapped[str | None] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), default=None, index=True
    )
    display_name: Mapped[str] = mapped_column(String(256))
    app_owner_organization_id: Mapped[str] = mapped_column(GUID)
    app_role_assignment_required: Mapped[bool] = mapped_column(Boolean, default=False)
    account_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    service_principal_type: Mapped[str] = mapped_column(String(32), default="Application")
    # Own copies only for first-party service principals; others read the application's.
    app_roles: Mapped[list[Any]] = mapped_column(default=list)
    oauth2_permission_scopes: Mapped[list[Any]] = mapped_column(default=list)
    service_principal_names: Mapped[list[Any]] = mapped_column(default=list)
    # Graph's alternativeNames: a managed identity's `isExplicit=...` and Azure resource id.
    alternative_names: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[float] = mapped_column(Float)


class ManagedIdentity(Base):
    """A managed identity: its service principal (type ManagedIdentity) and where it may be used.

    System-assigned: `name` is the host's name and `hosts` is `[name]`. User-assigned: a resource of
    its own, usable on the hosts listed in `hosts` (attached to them, as in Azure).
    """

    __tablename__ = "managed_identities"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    service_principal_id: Mapped[str] = mapped_column(
        ForeignKey("service_principals.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # SystemAssigned | UserAssigned
    resource_id: Mapped[str] = mapped_column(String(512))  # the Azure resource id (xms_mirid)
    hosts: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[float] = mapped_column(Float)


class AppRoleAssignment(Base):
    """Admin consent to an application permission: client SP -> resource SP + appRoleId."""

    __tablename__ = "app_role_assignments"
    __table_args__ = (UniqueConstraint("principal_id", "resource_id", "app_role_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    principal_id: Mapped[str] = mapped_column(
        ForeignKey("service_principals.id", ondelete="CASCADE"), index=True
    )
    principal_type: Mapped[str] = mapped_column(String(32), default="ServicePrincipal")
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("service_principals.id", ondelete="CASCADE"), index=True
    )
    app_role_id: Mapped[str] = mapped_column(GUID)
    created_at: Mapped[float] = mapped_column(Float)


class OAuth2PermissionGrant(Base):
    """Delegated consent for the whole tenant (consentType AllPrincipals)."""

    __tablename__ = "oauth2_permission_grants"
    __table_args__ = (UniqueConstraint("client_id", "resource_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("service_principals.id", ondelete="CASCADE"), index=True
    )
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("service_principals.id", ondelete="CASCADE"), index=True
    )
    consent_type: Mapped[str] = mapped_column(String(32), default="AllPrincipals")
    scope: Mapped[str] = mapped_column(Text, default="")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "upn_key"),
        Index("ix_users_tenant_id_id", "tenant_id", "id"),
        # Keyset paging of Graph's `$orderby` (migration 0002): one page, one index range.
        Index("ix_users_tenant_id_display_name_id", "tenant_id", "display_name", "id"),
        Index("ix_users_tenant_id_upn_key_id", "tenant_id", "upn_key", "id"),
    )
    id: Mapped[str] = mapped_column(GUID, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_principal_name: Mapped[str] = mapped_column(String(256))
    upn_key: Mapped[str] = mapped_column(String(256))  # lower-case
    display_name: Mapped[str] = mapped_column(String(256))
    mail_nickname: Mapped[str | None] = mapped_column(String(64), default=None)
    given_name: Mapped[str | None] = mapped_column(String(64), default=None)
    surname: Mapped[str | None] = mapped_column(String(64), default=None)
    mail: Mapped[str | None] = mapped_column(String(256), default=None)
    job_title: Mapped[str | None] = mapped_column(String(128), default=None)
    mobile_phone: Mapped[str | None] = mapped_column(String(64), default=None)
    office_location: Mapped[str | None] = mapped_column(String(128), default=None)
    preferred_language: Mapped[str | None] = mapped_column(String(16), default=None)
    business_phones: Mapped[list[Any]] = mapped_column(default=list)
    account_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    user_type: Mapped[str] = mapped_column(String(16), default="Member")
    password_hash: Mapped[str | None] = mapped_column(String(256), default=None)
    created_at: Mapped[float] = mapped_column(Float)
    # Declared on microsoft.graph.user and selected by directory-sync daemons (migration 0006).
    department: Mapped[str | None] = mapped_column(String(64), default=None)
    company_name: Mapped[str | None] = mapped_column(String(64), default=None)
    employee_id: Mapped[str | None] = mapped_column(String(16), default=None)
    employee_type: Mapped[str | None] = mapped_column(String(64), default=None)
    usage_location: Mapped[str | None] = mapped_column(String(2), default=None)
    street_address: Mapped[str | None] = mapped_column(String(1024), default=None)
    city: Mapped[str | None] = mapped_column(String(128), default=None)
    state: Mapped[str | None] = mapped_column(String(128), default=None)
    postal_code: Mapped[str | None] = mapped_column(String(40), default=None)
    country: Mapped[str | None] = mapped_column(String(128), default=None)
    fax_number: Mapped[str | None] = mapped_column(String(64), default=None)
    other_mails: Mapped[list[Any]] = mapped_column(default=list)
    proxy_addresses: Mapped[list[Any]] = mapped_column(default=list)
    identities: Mapped[list[Any]] = mapped_column(default=list)
    on_premises_sync_enabled: Mapped[bool | None] = mapped_column(Boolean, default=None)
    on_premises_immutable_id: Mapped[str | None] = mapped_column(String(256), default=None)


class Group(Base):
    """A security group or a Microsoft 365 group (`groupTypes` holds "Unified"); migration 0012."""

    __tablename__ = "groups"
    __table_args__ = (
        Index("ix_groups_tenant_id_id", "tenant_id", "id"),
        Index("ix_groups_tenant_id_display_name_id", "tenant_id", "display_name", "id"),
    )
    id: Mapped[str] = mapped_column(GUID, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(String(1024), default=None)
    mail_nickname: Mapped[str] = mapped_column(String(64))
    mail: Mapped[str | None] = mapped_column(String(256), default=None)
    mail_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    group_types: Mapped[list[Any]] = mapped_column(default=list)
    visibility: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[float] = mapped_column(Float)


class GroupMember(Base):
    """One direct member of a group: a user, a service principal or another group.

    `member_id` is the member's object id whatever its kind; exactly one of the three typed
    columns repeats it, so deleting the member (by any path, cascades included) removes the row.
    """

    __tablename__ = "group_members"
    __table_args__ = (Index("ix_group_members_member_id", "member_id", "group_id"),)
    group_id: Mapped[str] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    member_type: Mapped[str] = mapped_column(String(16))  # user | servicePrincipal | group
    tenant_id: Mapped[str] = mapped_column(GUID)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None, index=True
    )
    service_principal_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_principals.id", ondelete="CASCADE"), default=None, index=True
    )
    member_group_id: Mapped[str | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), default=None, index=True
    )


class GroupOwner(Base):
    """One owner of a group: a user or a service principal (typed columns as in GroupMember)."""

    __tablename__ = "group_owners"
    __table_args__ = (Index("ix_group_owners_owner_id", "owner_id", "group_id"),)
    group_id: Mapped[str] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(16))  # user | servicePrincipal
    tenant_id: Mapped[str] = mapped_column(GUID)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None, index=True
    )
    service_principal_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_principals.id", ondelete="CASCADE"), default=None, index=True
    )


class GroupAppRoleAssignment(Base):
    """An app role of a resource assigned to a group (principalType Group): its direct members
    get the role in their tokens. Kept apart from AppRoleAssignment, whose principal is a
    service principal by foreign key."""

    __tablename__ = "group_app_role_assignments"
    __table_args__ = (UniqueConstraint("group_id", "resource_id", "app_role_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("service_principals.id", ondelete="CASCADE"), index=True
    )
    app_role_id: Mapped[str] = mapped_column(GUID)
    created_at: Mapped[float] = mapped_column(Float)

    @property
    def principal_id(self) -> str:
        """Graph's name for the group, as on every appRoleAssignment."""
        return self.group_id

    @property
    def principal_type(self) -> str:
        return "Group"


class SigningKey(Base):
    """A token-signing key: its certificate in clear (the JWKS needs nothing else) and its private
    key sealed under the installation's key-encryption key (`keys.envelope`), so every node that
    shares the database signs with it. At most one active (unretired) key per tenant: an index
    the database enforces, so two nodes meeting a new tenant at once cannot both make its first.
    """

    __tablename__ = "signing_keys"
    # Migration 0011 makes this index partial on both backends (`WHERE retired_at IS NULL`).
    # Only SQLite's predicate is declared here: a `postgresql_where` would make SQLAlchemy load
    # its PostgreSQL dialect whenever this module is imported, in every CLI command (about 50 ms
    # of a command's start). Alembic compares neither predicate; tests check both indexes.
    __table_args__ = (
        Index(
            "ux_signing_keys_one_active",
            "tenant_id",
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
        ),
    )
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    cert_pem: Mapped[str] = mapped_column(Text)
    sealed_key: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Before keys were sealed in the database: the 0600 file a node wrote, read once at start by
    # the node that holds it, then removed (None afterwards).
    key_file: Mapped[str | None] = mapped_column(String(512), default=None)
    created_at: Mapped[float] = mapped_column(Float)
    activated_at: Mapped[float] = mapped_column(Float)
    # Set when a newer key takes over signing; the key stays published until remove_after.
    retired_at: Mapped[float | None] = mapped_column(Float, default=None)
    remove_after: Mapped[float | None] = mapped_column(Float, default=None)


class SignIn(Base):
    """One token request's outcome, in the fields of Graph's `signIn` (auditLogs/signIns).

    Written in batches by `directory.sign_ins.SignInLog`, never on the request path; listed newest
    first by keyset on (tenant_id, created_at, id). Holds no secret, assertion or token.
    """

    __tablename__ = "sign_ins"
    __table_args__ = (
        Index("ix_sign_ins_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_sign_ins_created_at", "created_at"),
    )
    id: Mapped[str] = mapped_column(GUID, primary_key=True)
    # No foreign key: a record outlives a deleted app and is pruned by age, not by cascade.
    tenant_id: Mapped[str] = mapped_column(GUID)
    created_at: Mapped[float] = mapped_column(Float)
    app_id: Mapped[str | None] = mapped_column(String(128), default=None)
    app_display_name: Mapped[str | None] = mapped_column(String(256), default=None)
    service_principal_id: Mapped[str | None] = mapped_column(GUID, default=None)
    resource_id: Mapped[str | None] = mapped_column(GUID, default=None)
    resource_display_name: Mapped[str | None] = mapped_column(String(256), default=None)
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    client_credential_type: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(32))  # one of signInEventTypes
    grant_type: Mapped[str | None] = mapped_column(String(32), default=None)
    error_code: Mapped[int] = mapped_column(Integer)  # the AADSTS number; 0 on success
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    correlation_id: Mapped[str] = mapped_column(GUID)
    user_id: Mapped[str | None] = mapped_column(GUID, default=None)
    user_principal_name: Mapped[str | None] = mapped_column(String(256), default=None)


class DirectoryAudit(Base):
    """One change to a tenant (or one refused change), in the fields of Graph's `directoryAudit`.

    Written by `directory.audits.record` in the transaction of the change itself; listed newest
    first by keyset on (tenant_id, activity_at, id). `initiated_by`, `target_resources` and
    `additional_details` are JSON in Graph's own shape. Holds no secret, password or token.
    """

    __tablename__ = "directory_audits"
    __table_args__ = (
        Index("ix_directory_audits_tenant_time", "tenant_id", "activity_at", "id"),
        Index("ix_directory_audits_activity_at", "activity_at"),
    )
    id: Mapped[str] = mapped_column(GUID, primary_key=True)
    # No foreign key: a record outlives what it describes and is pruned by age.
    tenant_id: Mapped[str] = mapped_column(GUID)
    activity_at: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(64))
    activity_display_name: Mapped[str] = mapped_column(String(128))
    operation_type: Mapped[str] = mapped_column(String(32))
    result: Mapped[str] = mapped_column(String(16))  # success | failure
    result_reason: Mapped[str] = mapped_column(Text, default="")
    correlation_id: Mapped[str] = mapped_column(GUID)
    initiator_app_id: Mapped[str | None] = mapped_column(String(128), default=None)
    initiated_by: Mapped[dict[str, Any]] = mapped_column(JSON)
    target_resources: Mapped[list[Any]] = mapped_column(JSON)
    additional_details: Mapped[list[Any]] = mapped_column(JSON)


class DirectoryAuditTarget(Base):
    """Which objects an audit record names: `targetResources/any(t: t/id eq ...)` is one index
    range, newest first (the record's time is repeated here for that order)."""

    __tablename__ = "directory_audit_targets"
    __table_args__ = (
        Index(
            "ix_directory_audit_targets_target_time",
            "tenant_id",
            "target_id",
            "activity_at",
            "audit_id",
        ),
    )
    audit_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("directory_audits.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(GUID)
    activity_at: Mapped[float] = mapped_column(Float)


class DirectoryChange(Base):
    """One change to a directory object, for Graph's delta queries (`/users/delta`).

    Written in the transaction of the change, after `bump_revision`: `revision` is the directory
    revision that transaction commits, and revisions are handed out under the `directory_state`
    row lock, so a reader that saw revision R will find every change up to R committed and every
    later one above R (a delta round is the window of revisions (previous token, R]). `properties`
    names the Graph properties an update changed (None for a creation or a deletion). Pruned by
    age, past the delta token lifetime; no foreign key, so a deletion outlives its object.
    """

    __tablename__ = "directory_changes"
    __table_args__ = (
        Index("ix_directory_changes_window", "tenant_id", "kind", "revision", "object_id"),
        Index("ix_directory_changes_changed_at", "changed_at"),
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(GUID)
    kind: Mapped[str] = mapped_column(String(32))  # Graph's collection: "users", "groups"
    object_id: Mapped[str] = mapped_column(GUID)
    revision: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(16))  # created | updated | deleted
    properties: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    changed_at: Mapped[float] = mapped_column(Float)
