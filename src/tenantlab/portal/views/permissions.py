"""API permissions of an app registration, and "Grant admin consent" for them.

As in Entra, configuring a permission (requiredResourceAccess) grants nothing: only admin consent
creates the app role assignments (application permissions) and the tenant-wide grant (delegated
permissions) that the token service reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from tenantlab.directory import ServicePrincipalNotFound, ValidationFailed
from tenantlab.portal.views.applications import app_context, app_url
from tenantlab.portal.web import (
    Portal,
    admin_page,
    flash,
    form_action,
    render,
    see_other,
    text_field,
)
from tenantlab.storage.schema import Application, ServicePrincipal

KINDS = {"Role": "Application", "Scope": "Delegated"}


@dataclass(frozen=True)
class PermissionRow:
    api_name: str
    api_app_id: str
    kind: str  # "Role" (application permission) or "Scope" (delegated)
    permission_id: str
    value: str
    description: str
    granted: bool
    assignment_id: str | None  # the app role assignment admin consent created

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def token(self) -> str:
        return f"{self.kind}:{self.permission_id}"


@dataclass(frozen=True)
class ApiChoice:
    app_id: str
    display_name: str
    roles: list[dict[str, Any]]
    scopes: list[dict[str, Any]]


def _permissions_url(request: Request) -> str:
    return app_url(request, "api-permissions")


def _principal(portal: Portal, tenant_id: str, key: str) -> ServicePrincipal | None:
    try:
        return portal.platform.directory.get_service_principal(tenant=tenant_id, key=key)
    except ServicePrincipalNotFound:
        return None


def permission_rows(portal: Portal, tenant_id: str, app: Application) -> list[PermissionRow]:
    directory = portal.platform.directory
    client = _principal(portal, tenant_id, app.app_id)
    assignments = (
        {(a.resource_id, a.app_role_id): a.id for a in directory.app_role_assignments(client.id)}
        if client
        else {}
    )
    rows = []
    for entry in app.required_resource_access:
        api_app_id = entry["resourceAppId"]
        resource = _principal(portal, tenant_id, api_app_id)
        roles = {r["id"]: r for r in directory.effective_app_roles(resource)} if resource else {}
        scopes = {s["id"]: s for s in directory.effective_scopes(resource)} if resource else {}
        consented = (
            set(directory.consented_scopes(client.id, resource.id))
            if client and resource
            else set()
        )
        for access in entry["resourceAccess"]:
            pid, kind = access["id"], access["type"]
            found = (roles if kind == "Role" else scopes).get(pid, {})
            value = found.get("value", pid)
            assignment = assignments.get((resource.id, pid)) if resource else None
            rows.append(
                PermissionRow(
                    api_name=resource.display_name if resource else f"{api_app_id} (not found)",
                    api_app_id=api_app_id,
                    kind=kind,
                    permission_id=pid,
                    value=value,
                    description=str(
                        found.get("displayName") or found.get("adminConsentDisplayName") or ""
                    ),
                    granted=assignment is not None if kind == "Role" else value in consented,
                    assignment_id=assignment,
                )
            )
    return rows


def other_granted_rows(
    portal: Portal, tenant_id: str, app: Application, configured: list[PermissionRow]
) -> list[PermissionRow]:
    """Admin-consented application permissions the app does not list in requiredResourceAccess.

    Entra shows them under "Other permissions granted for {tenant}": consent made elsewhere
    (the CLI, Graph, a tenant file) or left behind after a permission was removed. They are in
    the app's tokens all the same, so they are shown, and can be revoked, here.
    """
    directory = portal.platform.directory
    client = _principal(portal, tenant_id, app.app_id)
    if client is None:
        return []
    shown = {r.assignment_id for r in configured if r.assignment_id}
    resources: dict[str, ServicePrincipal | None] = {}
    rows = []
    for assignment in directory.app_role_assignments(client.id):
        if assignment.id in shown:
            continue
        if assignment.resource_id not in resources:
            resources[assignment.resource_id] = _principal(
                portal, tenant_id, assignment.resource_id
            )
        resource = resources[assignment.resource_id]
        roles = {r["id"]: r for r in directory.effective_app_roles(resource)} if resource else {}
        role = roles.get(assignment.app_role_id, {})
        rows.append(
            PermissionRow(
                api_name=resource.display_name if resource else assignment.resource_id,
                api_app_id=resource.app_id if resource else assignment.resource_id,
                kind="Role",
                permission_id=assignment.app_role_id,
                value=str(role.get("value") or assignment.app_role_id),
                description=str(role.get("displayName") or role.get("description") or ""),
                granted=True,
                assignment_id=assignment.id,
            )
        )
    rows.sort(key=lambda r: (r.api_name != "Microsoft Graph", r.api_name.lower(), r.value))
    return rows


def api_choices(portal: Portal, tenant_id: str) -> list[ApiChoice]:
    """APIs of this tenant that expose application or delegated permissions."""
    directory = portal.platform.directory
    choices = []
    for sp in directory.list_service_principals(tenant=tenant_id):
        roles = [
            r
            for r in directory.effective_app_roles(sp)
            if "Application" in r["allowedMemberTypes"] and r.get("isEnabled", True)
        ]
        scopes = [s for s in directory.effective_scopes(sp) if s.get("isEnabled", True)]
        if roles or scopes:
            choices.append(ApiChoice(sp.app_id, sp.display_name, roles, scopes))
    choices.sort(key=lambda c: (c.display_name != "Microsoft Graph", c.display_name.lower()))
    return choices


@admin_page
def permissions_page(request: Request, portal: Portal) -> Response:
    context = app_context(portal, request)
    tenant_id = context["tenant"].id
    choices = api_choices(portal, tenant_id)
    wanted = request.query_params.get("api")
    selected = next((c for c in choices if c.app_id == wanted), None)
    rows = permission_rows(portal, tenant_id, context["app"])
    return render(
        request,
        "app/permissions.html",
        tab="permissions",
        rows=rows,
        others=other_granted_rows(portal, tenant_id, context["app"], rows),
        choices=choices,
        selected=selected,
        configured={(r.api_app_id, r.token) for r in rows},
        all_granted=bool(rows) and all(r.granted for r in rows),
        **context,
    )


@form_action(back=_permissions_url)
def add_permissions(request: Request, portal: Portal, form: FormData) -> Response:
    context = app_context(portal, request)
    app: Application = context["app"]
    api = next(
        (
            c
            for c in api_choices(portal, context["tenant"].id)
            if c.app_id == text_field(form, "api")
        ),
        None,
    )
    if api is None:
        raise ValidationFailed("choose an API of this tenant")
    offered = {f"Role:{r['id']}" for r in api.roles} | {f"Scope:{s['id']}" for s in api.scopes}
    chosen = [p for p in form.getlist("permission") if isinstance(p, str)]
    if not chosen or any(p not in offered for p in chosen):
        raise ValidationFailed(f"choose one or more permissions of {api.display_name}")
    access = [dict(entry) for entry in app.required_resource_access]
    entry = next((e for e in access if e["resourceAppId"] == api.app_id), None)
    if entry is None:
        entry = {"resourceAppId": api.app_id, "resourceAccess": []}
        access.append(entry)
    present = {f"{a['type']}:{a['id']}" for a in entry["resourceAccess"]}
    entry["resourceAccess"] = list(entry["resourceAccess"]) + [
        {"id": token.split(":", 1)[1], "type": token.split(":", 1)[0]}
        for token in dict.fromkeys(chosen)
        if token not in present
    ]
    portal.platform.directory.update_application(
        tenant=app.tenant_id, app=app.id, changes={"requiredResourceAccess": access}
    )
    flash(request, "success", f"Added {len(chosen)} permission(s) of {api.display_name}.")
    return see_other(_permissions_url(request))


@form_action(back=_permissions_url)
def remove_permission(request: Request, portal: Portal, form: FormData) -> Response:
    app: Application = app_context(portal, request)["app"]
    api, token = text_field(form, "api"), text_field(form, "permission")
    access = []
    removed = False
    for entry in app.required_resource_access:
        kept = [
            a
            for a in entry["resourceAccess"]
            if not (entry["resourceAppId"] == api and f"{a['type']}:{a['id']}" == token)
        ]
        removed = removed or len(kept) != len(entry["resourceAccess"])
        if kept:
            access.append({"resourceAppId": entry["resourceAppId"], "resourceAccess": kept})
    if not removed:
        raise ValidationFailed("that permission is not configured on this app")
    portal.platform.directory.update_application(
        tenant=app.tenant_id, app=app.id, changes={"requiredResourceAccess": access}
    )
    flash(
        request, "success", "Removed the permission. Consent already granted stays until revoked."
    )
    return see_other(_permissions_url(request))


@form_action(back=_permissions_url)
def grant_admin_consent(request: Request, portal: Portal, form: FormData) -> Response:
    context = app_context(portal, request)
    app: Application = context["app"]
    directory = portal.platform.directory
    rows = permission_rows(portal, context["tenant"].id, app)
    if not rows:
        raise ValidationFailed("add a permission first; there is nothing to consent to")
    delegated: dict[str, list[str]] = {}
    for row in rows:
        if row.kind == "Role":
            directory.grant_app_role(
                tenant=app.tenant_id,
                client=app.app_id,
                resource=row.api_app_id,
                role=row.permission_id,
            )
        else:
            delegated.setdefault(row.api_app_id, []).append(row.value)
    for api_app_id, values in delegated.items():
        directory.grant_delegated(
            tenant=app.tenant_id, client=app.app_id, resource=api_app_id, scopes=values
        )
    flash(request, "success", f"Granted admin consent for {context['tenant'].display_name}.")
    return see_other(_permissions_url(request))


@form_action(back=_permissions_url)
def revoke_consent(request: Request, portal: Portal, form: FormData) -> Response:
    context = app_context(portal, request)
    assignment_id = text_field(form, "assignment")
    tenant_id = context["tenant"].id
    rows = permission_rows(portal, tenant_id, context["app"])
    rows += other_granted_rows(portal, tenant_id, context["app"], rows)
    if not any(r.assignment_id == assignment_id for r in rows if r.assignment_id):
        raise ValidationFailed("that consent does not belong to this app's permissions")
    portal.platform.directory.revoke_app_role_assignment(
        tenant=context["tenant"].id, assignment_id=assignment_id
    )
    flash(request, "success", "Revoked admin consent for the permission.")
    return see_other(_permissions_url(request))
