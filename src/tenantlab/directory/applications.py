"""App registrations: create, read, update, delete; app roles, scopes, identifier URIs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tenantlab.directory import audits, validation
from tenantlab.directory._base import DirectoryBase
from tenantlab.directory.audits import audited
from tenantlab.directory.errors import Conflict, ValidationFailed
from tenantlab.ids import new_guid
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import Application, IdentifierUri, ServicePrincipal, TenantDomain

# Graph property names an update may set, mapped to validators and columns.
UPDATABLE = (
    "displayName",
    "description",
    "signInAudience",
    "identifierUris",
    "appRoles",
    "api",
    "optionalClaims",
    "requiredResourceAccess",
    "groupMembershipClaims",
)


def snapshot(app: Application) -> dict[str, Any]:
    """The properties an audit record compares before and after a change (Graph's names)."""
    return {
        "DisplayName": app.display_name,
        "Description": app.description,
        "SignInAudience": app.sign_in_audience,
        "IdentifierUris": list(app.identifier_uris),
        "AppRoles": [r["value"] for r in app.app_roles],
        "Oauth2PermissionScopes": [s["value"] for s in app.oauth2_permission_scopes],
        "RequestedAccessTokenVersion": app.requested_access_token_version,
        "OptionalClaims": app.optional_claims,
        "RequiredResourceAccess": [r["resourceAppId"] for r in app.required_resource_access],
        "GroupMembershipClaims": app.group_membership_claims,
    }


def app_target(app: Application, before: dict[str, Any] | None = None) -> audits.Target:
    """An application as an audit target; with `before`, the properties that changed."""
    changes = audits.modified(before, snapshot(app)) if before is not None else ()
    return audits.Target(app.id, app.display_name, modified=changes)


class ApplicationsMixin(DirectoryBase):
    @audited(audits.ADD_APPLICATION)
    def create_application(
        self,
        *,
        tenant: str,
        display_name: str,
        sign_in_audience: str = "AzureADMyOrg",
        identifier_uris: list[str] | None = None,
        requested_access_token_version: int | None = None,
        app_roles: list[dict[str, Any]] | None = None,
        oauth2_permission_scopes: list[dict[str, Any]] | None = None,
        optional_claims: dict[str, Any] | None = None,
        required_resource_access: list[dict[str, Any]] | None = None,
        description: str | None = None,
        app_id: str | None = None,
        create_service_principal: bool = True,
    ) -> Application:
        """Register an application (and, as the portal does, its service principal).

        `{appId}` inside an identifier URI is replaced by the new appId (`api://{appId}`).
        """
        name = validation.display_name(display_name)
        audience = validation.sign_in_audience(sign_in_audience)
        version = validation.token_version(requested_access_token_version)
        roles = validation.app_roles(app_roles or [])
        scopes = validation.permission_scopes(oauth2_permission_scopes or [])
        claims = validation.optional_claims(optional_claims)
        new_app_id = app_id or new_guid()
        uris = [
            validation.identifier_uri(u.replace("{appId}", new_app_id))
            for u in identifier_uris or []
        ]
        if audience in ("AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount") and (
            version != 2
        ):
            raise ValidationFailed(
                f"signInAudience {audience} requires api.requestedAccessTokenVersion 2"
            )
        now = self.clock.now()
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            if session.scalar(select(Application).where(Application.app_id == new_app_id)):
                raise Conflict(f"an application with appId {new_app_id} already exists")
            app = Application(
                id=new_guid(),
                tenant_id=t.id,
                app_id=new_app_id,
                display_name=name,
                description=description,
                sign_in_audience=audience,
                identifier_uris=[],
                requested_access_token_version=version,
                app_roles=roles,
                oauth2_permission_scopes=scopes,
                optional_claims=claims,
                required_resource_access=_required_resource_access(required_resource_access),
                created_at=now,
            )
            session.add(app)
            session.flush()
            self._set_identifier_uris(session, app, uris)
            self._audit(
                session,
                audits.ADD_APPLICATION,
                t.id,
                app_target(app, {}),
                details={"AppId": app.app_id},
            )
            if create_service_principal:
                sp = ServicePrincipal(
                    id=new_guid(),
                    tenant_id=t.id,
                    app_id=app.app_id,
                    application_id=app.id,
                    display_name=app.display_name,
                    app_owner_organization_id=t.id,
                    service_principal_names=[app.app_id, *uris],
                    created_at=now,
                )
                session.add(sp)
                self._audit(
                    session,
                    audits.ADD_SERVICE_PRINCIPAL,
                    t.id,
                    audits.Target(sp.id, sp.display_name),
                    details={"AppId": app.app_id},
                )
            bump_revision(session)
        return app

    @staticmethod
    def _set_identifier_uris(session: Session, app: Application, uris: list[str]) -> None:
        """Entra's identifier URI rules, the one place every caller (CLI, Graph, seed, portal)
        goes through: ownership (validation.owned_identifier_uri), unique in the tenant, and
        unique on the whole platform when a multi-tenant app is involved."""
        keys = [u.lower() for u in uris]
        if len(set(keys)) != len(keys):
            raise ValidationFailed("identifierUris contains the same value twice")
        domains = session.scalars(
            select(TenantDomain.name).where(TenantDomain.tenant_id == app.tenant_id)
        ).all()
        for uri in uris:
            validation.owned_identifier_uri(
                uri, app_id=app.app_id, tenant_id=app.tenant_id, domains=domains
            )
        session.execute(delete(IdentifierUri).where(IdentifierUri.application_id == app.id))
        session.flush()
        for key, uri in zip(keys, uris, strict=True):
            clash = session.get(IdentifierUri, (app.tenant_id, key))
            if clash is not None and clash.application_id != app.id:
                raise Conflict(
                    f"Another object with the same value for property identifierUris already "
                    f"exists: '{uri}' belongs to another application in this tenant"
                )
            session.add(IdentifierUri(tenant_id=app.tenant_id, uri_key=key, application_id=app.id))
        app.identifier_uris = list(uris)
        _unique_on_the_platform(session, app)

    def get_application(self, *, tenant: str, app: str) -> Application:
        """By object id, appId, or display name (when unique)."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            return self._application(session, t.id, app)

    def find_application_by_app_id(self, app_id: str) -> Application | None:
        """The application object with this appId, in whichever tenant registered it."""
        with self.db.session() as session:
            return session.scalar(select(Application).where(Application.app_id == app_id))

    def list_applications(self, *, tenant: str) -> list[Application]:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            return list(
                session.scalars(
                    select(Application)
                    .where(Application.tenant_id == t.id)
                    .order_by(Application.created_at, Application.id)
                )
            )

    @audited(audits.DELETE_APPLICATION)
    def delete_application(self, *, tenant: str, app: str) -> Application:
        """Delete the registration, its credentials and its service principals (every tenant)."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            session.execute(
                delete(ServicePrincipal).where(ServicePrincipal.application_id == found.id)
            )
            session.delete(found)
            self._audit(
                session,
                audits.DELETE_APPLICATION,
                t.id,
                app_target(found),
                details={"AppId": found.app_id},
            )
            bump_revision(session)
        return found

    @audited(audits.UPDATE_APPLICATION)
    def update_application(self, *, tenant: str, app: str, changes: dict[str, Any]) -> Application:
        """Apply a Graph-style PATCH (camelCase property names) after validating every value."""
        unknown = set(changes) - set(UPDATABLE)
        if unknown:
            raise ValidationFailed(
                f"property '{sorted(unknown)[0]}' cannot be updated here; updatable: "
                + ", ".join(UPDATABLE)
            )
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            before = snapshot(found)
            if "displayName" in changes:
                found.display_name = validation.display_name(changes["displayName"])
            if "description" in changes:
                found.description = changes["description"]
            if "signInAudience" in changes:
                found.sign_in_audience = validation.sign_in_audience(changes["signInAudience"])
            if "identifierUris" in changes:
                uris = changes["identifierUris"] or []
                if not isinstance(uris, list):
                    raise ValidationFailed("identifierUris must be a list")
                self._set_identifier_uris(
                    session,
                    found,
                    [
                        validation.identifier_uri(str(u).replace("{appId}", found.app_id))
                        for u in uris
                    ],
                )
            if "signInAudience" in changes:
                _unique_on_the_platform(session, found)
            if "appRoles" in changes:
                found.app_roles = _replace_roles(found.app_roles, changes["appRoles"])
            if "api" in changes:
                api = changes["api"] or {}
                if not isinstance(api, dict):
                    raise ValidationFailed("api must be an object")
                if "requestedAccessTokenVersion" in api:
                    found.requested_access_token_version = validation.token_version(
                        api["requestedAccessTokenVersion"]
                    )
                if "oauth2PermissionScopes" in api:
                    found.oauth2_permission_scopes = validation.permission_scopes(
                        api["oauth2PermissionScopes"]
                    )
            if "optionalClaims" in changes:
                found.optional_claims = validation.optional_claims(changes["optionalClaims"])
            if "groupMembershipClaims" in changes:
                found.group_membership_claims = validation.group_membership_claims(
                    changes["groupMembershipClaims"]
                )
            if "requiredResourceAccess" in changes:
                found.required_resource_access = _required_resource_access(
                    changes["requiredResourceAccess"]
                )
            if found.sign_in_audience.endswith("MicrosoftAccount") and (
                found.requested_access_token_version != 2
            ):
                raise ValidationFailed(
                    f"signInAudience {found.sign_in_audience} requires "
                    "api.requestedAccessTokenVersion 2"
                )
            for sp in session.scalars(
                select(ServicePrincipal).where(ServicePrincipal.application_id == found.id)
            ):
                sp.display_name = found.display_name
                sp.service_principal_names = [found.app_id, *found.identifier_uris]
            self._audit(session, audits.UPDATE_APPLICATION, t.id, app_target(found, before))
            bump_revision(session)
        return found

    @audited(audits.UPDATE_APPLICATION)
    def add_app_role(
        self,
        *,
        tenant: str,
        app: str,
        value: str,
        display_name: str | None = None,
        description: str | None = None,
        allowed_member_types: list[str] | None = None,
        role_id: str | None = None,
    ) -> dict[str, Any]:
        """Add one app role (default: an application permission)."""
        role = {
            "allowedMemberTypes": allowed_member_types or ["Application"],
            "description": description,
            "displayName": display_name or value,
            "id": role_id or new_guid(),
            "isEnabled": True,
            "value": value,
        }
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            before = snapshot(found)
            found.app_roles = validation.app_roles([*found.app_roles, role])
            self._audit(session, audits.UPDATE_APPLICATION, t.id, app_target(found, before))
            bump_revision(session)
        return found.app_roles[-1]

    @audited(audits.UPDATE_APPLICATION)
    def add_permission_scope(
        self,
        *,
        tenant: str,
        app: str,
        value: str,
        display_name: str | None = None,
        consent_type: str = "User",
        scope_id: str | None = None,
    ) -> dict[str, Any]:
        """Expose one delegated permission (scope); sets api://{appId} if the app has no URI."""
        scope = {
            "adminConsentDisplayName": display_name or value,
            "id": scope_id or new_guid(),
            "isEnabled": True,
            "type": consent_type,
            "value": value,
        }
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            before = snapshot(found)
            found.oauth2_permission_scopes = validation.permission_scopes(
                [*found.oauth2_permission_scopes, scope]
            )
            if not found.identifier_uris:
                self._set_identifier_uris(session, found, [f"api://{found.app_id}"])
            self._audit(session, audits.UPDATE_APPLICATION, t.id, app_target(found, before))
            bump_revision(session)
        return found.oauth2_permission_scopes[-1]


def _multi_tenant(app: Application) -> bool:
    return app.sign_in_audience != "AzureADMyOrg"


def _unique_on_the_platform(session: Session, app: Application) -> None:
    """A multi-tenant resource is found by its identifier URI from every tenant, so no other
    tenant may hold the same URI while either of the two apps is multi-tenant."""
    for uri in app.identifier_uris:
        for other in session.scalars(
            select(Application)
            .join(IdentifierUri, IdentifierUri.application_id == Application.id)
            .where(IdentifierUri.uri_key == uri.lower(), IdentifierUri.tenant_id != app.tenant_id)
        ):
            if _multi_tenant(app) or _multi_tenant(other):
                raise Conflict(
                    "Another object with the same value for property identifierUris already "
                    f"exists: '{uri}' is used by an application in another tenant, and the "
                    "identifierUris of multi-tenant applications are unique across all tenants"
                )


def _replace_roles(current: list[dict[str, Any]], new: Any) -> list[dict[str, Any]]:
    """Entra refuses to drop or change an app role that is still enabled: disable it first."""
    roles = validation.app_roles(new)
    by_id = {r["id"]: r for r in roles}
    for old in current:
        kept = by_id.get(old["id"])
        if old.get("isEnabled") and (kept is None or kept["value"] != old["value"]):
            raise ValidationFailed(
                f"app role '{old['value']}' is enabled: set isEnabled to false before removing "
                "or changing its value"
            )
    return roles


def _required_resource_access(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationFailed("requiredResourceAccess must be a list")
    result = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("resourceAppId"), str):
            raise ValidationFailed("each requiredResourceAccess entry needs a resourceAppId")
        access = []
        for item in entry.get("resourceAccess") or []:
            if item.get("type") not in ("Role", "Scope"):
                raise ValidationFailed("resourceAccess type must be 'Role' or 'Scope'")
            access.append({"id": str(item.get("id")), "type": item["type"]})
        result.append({"resourceAppId": entry["resourceAppId"], "resourceAccess": access})
    return result
