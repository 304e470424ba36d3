"""Service principals, admin consent (app role assignments) and delegated consent grants."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenantlab.directory import audits
from tenantlab.directory._base import DirectoryBase
from tenantlab.directory.audits import audited
from tenantlab.directory.errors import (
    AppRoleNotFound,
    Conflict,
    ServicePrincipalNotFound,
    ValidationFailed,
)
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, b64url, is_guid, new_guid, normalize_guid
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import (
    Application,
    AppRoleAssignment,
    IdentifierUri,
    ManagedIdentity,
    OAuth2PermissionGrant,
    ServicePrincipal,
    Tenant,
)

GRAPH_ALIASES = ("https://graph.microsoft.com", "https://graph.microsoft.com/", "graph")


def assignment_id(principal_id: str) -> str:
    """Graph's appRoleAssignment ids are the base64url of the principal id plus random bytes."""
    import uuid

    return b64url(uuid.UUID(principal_id).bytes + uuid.uuid4().bytes[:8])


def roles_of(session: Session, sp: ServicePrincipal) -> list[dict[str, Any]]:
    """A service principal's app roles: its own (first-party) or its application's."""
    if sp.application_id is None:
        return list(sp.app_roles)
    app = session.get(Application, sp.application_id)
    return list(app.app_roles) if app else []


def chosen_role(session: Session, resource_sp: ServicePrincipal, role: str) -> dict[str, Any]:
    """The resource's app role named by `role` (its id, or its value case-insensitively)."""
    roles = roles_of(session, resource_sp)
    chosen = next((r for r in roles if r["id"] == role or r["value"].lower() == role.lower()), None)
    if chosen is None:
        names = ", ".join(r["value"] for r in roles) or "none"
        raise AppRoleNotFound(
            f"'{resource_sp.display_name}' has no app role '{role}' (it has: {names})"
        )
    return chosen


def assignable_role(
    session: Session, resource_sp: ServicePrincipal, role: str, *, member_type: str, to: str
) -> dict[str, Any]:
    """`chosen_role`, checked to be enabled and to allow `member_type` ("Application" or
    "User"); `to` says what the assignment would do, for the message."""
    chosen = chosen_role(session, resource_sp, role)
    if member_type not in chosen["allowedMemberTypes"]:
        only = "users" if member_type == "Application" else "applications"
        raise ValidationFailed(
            f"app role '{chosen['value']}' is for {only} only (allowedMemberTypes lacks "
            f"'{member_type}'); it cannot be {to}"
        )
    if not chosen.get("isEnabled", True):
        raise ValidationFailed(f"app role '{chosen['value']}' is disabled")
    return chosen


class PrincipalsMixin(DirectoryBase):
    # -- service principals ------------------------------------------------------------------

    def effective_app_roles(self, sp: ServicePrincipal) -> list[dict[str, Any]]:
        """A service principal's roles: its own for first-party apps, else its application's."""
        if sp.application_id is None:
            return list(sp.app_roles)
        with self.db.session() as session:
            app = session.get(Application, sp.application_id)
            return list(app.app_roles) if app else []

    def effective_scopes(self, sp: ServicePrincipal) -> list[dict[str, Any]]:
        if sp.application_id is None:
            return list(sp.oauth2_permission_scopes)
        with self.db.session() as session:
            app = session.get(Application, sp.application_id)
            return list(app.oauth2_permission_scopes) if app else []

    @audited(audits.ADD_SERVICE_PRINCIPAL)
    def create_service_principal(self, *, tenant: str, app_id: str) -> ServicePrincipal:
        """Instantiate an application in a tenant (its home tenant, or any if multi-tenant)."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            return self._ensure_service_principal(session, t, app_id, create=True)

    def _ensure_service_principal(
        self, session: Session, tenant: Tenant, app_id: str, *, create: bool
    ) -> ServicePrincipal:
        key = normalize_guid(app_id) if is_guid(app_id) else app_id
        sp = session.scalar(
            select(ServicePrincipal).where(
                ServicePrincipal.tenant_id == tenant.id, ServicePrincipal.app_id == key
            )
        )
        if sp is not None:
            if create:
                raise Conflict(f"the application {key} already has a service principal here")
            return sp
        app = session.scalar(select(Application).where(Application.app_id == key))
        if app is None:
            raise ServicePrincipalNotFound(f"no application with appId {key} exists")
        if app.tenant_id != tenant.id and app.sign_in_audience == "AzureADMyOrg":
            raise ValidationFailed(
                f"application {key} is single-tenant (AzureADMyOrg) and cannot be added to "
                "another tenant; set signInAudience to AzureADMultipleOrgs"
            )
        sp = ServicePrincipal(
            id=new_guid(),
            tenant_id=tenant.id,
            app_id=app.app_id,
            application_id=app.id,
            display_name=app.display_name,
            app_owner_organization_id=app.tenant_id,
            service_principal_names=[app.app_id, *app.identifier_uris],
            created_at=self.clock.now(),
        )
        session.add(sp)
        session.flush()
        self._audit(
            session,
            audits.ADD_SERVICE_PRINCIPAL,
            tenant.id,
            audits.Target(sp.id, sp.display_name),
            details={"AppId": sp.app_id},
        )
        bump_revision(session)
        return sp

    def get_service_principal(self, *, tenant: str, key: str) -> ServicePrincipal:
        """By object id, appId, or resource identifier (identifierUri, Graph's URL)."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            sp = self._resource_principal(session, t.id, key)
            if sp is None:
                raise ServicePrincipalNotFound(f"no service principal '{key}' in this tenant")
            return sp

    def list_service_principals(self, *, tenant: str) -> list[ServicePrincipal]:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            return list(
                session.scalars(
                    select(ServicePrincipal)
                    .where(ServicePrincipal.tenant_id == t.id)
                    .order_by(ServicePrincipal.created_at, ServicePrincipal.id)
                )
            )

    @audited(audits.UPDATE_SERVICE_PRINCIPAL)
    def set_assignment_required(self, *, tenant: str, key: str, required: bool) -> None:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            sp = self._resource_principal(session, t.id, key)
            if sp is None:
                raise ServicePrincipalNotFound(f"no service principal '{key}' in this tenant")
            self._audit_principal_change(
                session, sp, "AppRoleAssignmentRequired", sp.app_role_assignment_required, required
            )
            sp.app_role_assignment_required = required
            bump_revision(session)

    @audited(audits.UPDATE_SERVICE_PRINCIPAL)
    def set_account_enabled(self, *, tenant: str, key: str, enabled: bool) -> None:
        """Enable or disable an app in a tenant: a disabled service principal gets no tokens
        (AADSTS7000112) and the revision bump tells every cache, Graph's included."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            sp = self._resource_principal(session, t.id, key)
            if sp is None:
                raise ServicePrincipalNotFound(f"no service principal '{key}' in this tenant")
            self._audit_principal_change(session, sp, "AccountEnabled", sp.account_enabled, enabled)
            sp.account_enabled = enabled
            bump_revision(session)

    def _audit_principal_change(
        self, session: Session, sp: ServicePrincipal, name: str, old: Any, new: Any
    ) -> None:
        self._audit(
            session,
            audits.UPDATE_SERVICE_PRINCIPAL,
            sp.tenant_id,
            audits.Target(sp.id, sp.display_name, modified=((name, old, new),)),
            details={"AppId": sp.app_id},
        )

    @staticmethod
    def _resource_principal(session: Session, tenant_id: str, key: str) -> ServicePrincipal | None:
        """The service principal a resource identifier names in this tenant, or None."""
        if key.lower() in GRAPH_ALIASES:
            key = MICROSOFT_GRAPH_APP_ID
        if is_guid(key):
            guid = normalize_guid(key)
            sp = session.get(ServicePrincipal, guid)
            if sp is not None and sp.tenant_id == tenant_id:
                return sp
            return session.scalar(
                select(ServicePrincipal).where(
                    ServicePrincipal.tenant_id == tenant_id, ServicePrincipal.app_id == guid
                )
            )
        index = session.get(IdentifierUri, (tenant_id, key.lower()))
        if index is not None:
            app = session.get(Application, index.application_id)
            if app is not None:
                return session.scalar(
                    select(ServicePrincipal).where(
                        ServicePrincipal.tenant_id == tenant_id,
                        ServicePrincipal.app_id == app.app_id,
                    )
                )
        # A multi-tenant resource registered elsewhere: match its service principal names.
        for sp in session.scalars(
            select(ServicePrincipal).where(ServicePrincipal.tenant_id == tenant_id)
        ):
            if any(str(n).lower() == key.lower() for n in sp.service_principal_names):
                return sp
        # Fall back to a unique display name (CLI convenience).
        matches = list(
            session.scalars(
                select(ServicePrincipal).where(
                    ServicePrincipal.tenant_id == tenant_id,
                    func.lower(ServicePrincipal.display_name) == key.lower(),
                )
            )
        )
        return matches[0] if len(matches) == 1 else None

    # -- admin consent: app role assignments ---------------------------------------------------

    @audited(audits.ADD_APP_ROLE_ASSIGNMENT)
    def grant_app_role(
        self, *, tenant: str, client: str, resource: str, role: str
    ) -> AppRoleAssignment:
        """Admin consent of one application permission of `resource` to the `client` app.

        `client`: appId, object id or display name of the client application; its service
        principal is created in this tenant if needed (as consent does). `resource`: appId,
        identifierUri or display name (Graph: `https://graph.microsoft.com`). `role`: value or id.
        Idempotent: granting twice returns the existing assignment.
        """
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            client_sp = self._client_principal(session, t, client)
            resource_sp = self._resource_principal(session, t.id, resource)
            if resource_sp is None:
                raise ServicePrincipalNotFound(
                    f"no resource '{resource}' in this tenant (use its appId or identifierUri)"
                )
            chosen = assignable_role(
                session,
                resource_sp,
                role,
                member_type="Application",
                to="granted to an application",
            )
            existing = session.scalar(
                select(AppRoleAssignment).where(
                    AppRoleAssignment.principal_id == client_sp.id,
                    AppRoleAssignment.resource_id == resource_sp.id,
                    AppRoleAssignment.app_role_id == chosen["id"],
                )
            )
            if existing is not None:
                return existing
            assignment = AppRoleAssignment(
                id=assignment_id(client_sp.id),
                tenant_id=t.id,
                principal_id=client_sp.id,
                resource_id=resource_sp.id,
                app_role_id=chosen["id"],
                created_at=self.clock.now(),
            )
            session.add(assignment)
            self._audit_assignment(
                session, audits.ADD_APP_ROLE_ASSIGNMENT, client_sp, resource_sp, chosen
            )
            bump_revision(session)
            return assignment

    def _audit_assignment(
        self,
        session: Session,
        activity: audits.Activity,
        client_sp: ServicePrincipal,
        resource_sp: ServicePrincipal,
        role: dict[str, Any],
    ) -> None:
        """Entra names the resource's service principal (whose role it is) and the client's."""
        assigned = activity.operation_type == "Assign"

        def change(value: Any) -> tuple[Any, Any]:
            return (None, value) if assigned else (value, None)

        self._audit(
            session,
            activity,
            client_sp.tenant_id,
            audits.Target(
                resource_sp.id,
                resource_sp.display_name,
                modified=(
                    ("AppRole.Id", *change(role.get("id"))),
                    ("AppRole.Value", *change(role.get("value"))),
                ),
            ),
            audits.Target(client_sp.id, client_sp.display_name),
            details={"AppId": client_sp.app_id, "ResourceAppId": resource_sp.app_id},
        )

    def _client_principal(self, session: Session, tenant: Tenant, client: str) -> ServicePrincipal:
        if is_guid(client):
            sp = session.get(ServicePrincipal, normalize_guid(client))
            if sp is not None and sp.tenant_id == tenant.id:
                return sp
            app_id = normalize_guid(client)
            app = session.get(Application, app_id)
            if app is not None:
                app_id = app.app_id
            return self._ensure_service_principal(session, tenant, app_id, create=False)
        identity = session.scalar(
            select(ManagedIdentity).where(
                ManagedIdentity.tenant_id == tenant.id, ManagedIdentity.name == client
            )
        )
        if identity is not None:  # a managed identity, by name
            sp = session.get(ServicePrincipal, identity.service_principal_id)
            if sp is not None:
                return sp
        app = self._application(session, tenant.id, client)
        return self._ensure_service_principal(session, tenant, app.app_id, create=False)

    def _roles_of(self, session: Session, sp: ServicePrincipal) -> list[dict[str, Any]]:
        return roles_of(session, sp)

    @audited(audits.REMOVE_APP_ROLE_ASSIGNMENT)
    def revoke_app_role_assignment(self, *, tenant: str, assignment_id: str) -> None:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            row = session.get(AppRoleAssignment, assignment_id)
            if row is None or row.tenant_id != t.id:
                raise ServicePrincipalNotFound(f"no app role assignment {assignment_id}")
            client_sp = session.get(ServicePrincipal, row.principal_id)
            resource_sp = session.get(ServicePrincipal, row.resource_id)
            if client_sp is not None and resource_sp is not None:
                role = next(
                    (r for r in self._roles_of(session, resource_sp) if r["id"] == row.app_role_id),
                    {"id": row.app_role_id},
                )
                self._audit_assignment(
                    session, audits.REMOVE_APP_ROLE_ASSIGNMENT, client_sp, resource_sp, role
                )
            session.delete(row)
            bump_revision(session)

    def app_role_assignments(self, principal_id: str) -> list[AppRoleAssignment]:
        """Assignments held by a (client) service principal."""
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(AppRoleAssignment)
                    .where(AppRoleAssignment.principal_id == principal_id)
                    .order_by(AppRoleAssignment.created_at)
                )
            )

    def assigned_role_values(self, client_sp_id: str, resource_sp_id: str) -> list[str]:
        """Values for the `roles` claim: enabled roles assigned to the client for the resource."""
        with self.db.session() as session:
            resource = session.get(ServicePrincipal, resource_sp_id)
            if resource is None:
                return []
            roles = {r["id"]: r for r in self._roles_of(session, resource)}
            ids = session.scalars(
                select(AppRoleAssignment.app_role_id).where(
                    AppRoleAssignment.principal_id == client_sp_id,
                    AppRoleAssignment.resource_id == resource_sp_id,
                )
            )
            values = [
                roles[i]["value"] for i in ids if i in roles and roles[i].get("isEnabled", True)
            ]
            return sorted(set(values))

    # -- delegated consent -------------------------------------------------------------------

    @audited(audits.CONSENT)
    def grant_delegated(
        self, *, tenant: str, client: str, resource: str, scopes: list[str]
    ) -> OAuth2PermissionGrant:
        """Admin consent, for all users, to delegated scopes of `resource` for the `client` app."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            client_sp = self._client_principal(session, t, client)
            resource_sp = self._resource_principal(session, t.id, resource)
            if resource_sp is None:
                raise ServicePrincipalNotFound(f"no resource '{resource}' in this tenant")
            if resource_sp.application_id is None:
                offered = {
                    s["value"].lower(): s["value"] for s in resource_sp.oauth2_permission_scopes
                }
            else:
                app = session.get(Application, resource_sp.application_id)
                offered = {
                    s["value"].lower(): s["value"]
                    for s in (app.oauth2_permission_scopes if app else [])
                }
            wanted = []
            for scope in scopes:
                if scope.lower() not in offered:
                    raise ValidationFailed(
                        f"'{resource_sp.display_name}' exposes no scope '{scope}' "
                        f"(it has: {', '.join(offered.values()) or 'none'})"
                    )
                wanted.append(offered[scope.lower()])
            grant = session.scalar(
                select(OAuth2PermissionGrant).where(
                    OAuth2PermissionGrant.client_id == client_sp.id,
                    OAuth2PermissionGrant.resource_id == resource_sp.id,
                )
            )
            if grant is None:
                grant = OAuth2PermissionGrant(
                    id=assignment_id(client_sp.id),
                    tenant_id=t.id,
                    client_id=client_sp.id,
                    resource_id=resource_sp.id,
                    scope="",
                )
                session.add(grant)
            merged = " ".join(dict.fromkeys([*grant.scope.split(), *wanted]))
            if merged != grant.scope:  # consenting again to the same scopes changes nothing
                self._audit(
                    session,
                    audits.CONSENT,
                    t.id,
                    audits.Target(client_sp.id, client_sp.display_name),
                    audits.Target(
                        resource_sp.id,
                        resource_sp.display_name,
                        modified=(("DelegatedPermissionGrant.Scope", grant.scope, merged),),
                    ),
                    details={
                        "AppId": client_sp.app_id,
                        "ResourceAppId": resource_sp.app_id,
                        "ConsentType": "AllPrincipals",
                    },
                )
                grant.scope = merged
                bump_revision(session)
            return grant

    def consented_scopes(self, client_sp_id: str, resource_sp_id: str) -> list[str]:
        with self.db.session() as session:
            grant = session.scalar(
                select(OAuth2PermissionGrant).where(
                    OAuth2PermissionGrant.client_id == client_sp_id,
                    OAuth2PermissionGrant.resource_id == resource_sp_id,
                )
            )
            return grant.scope.split() if grant else []
