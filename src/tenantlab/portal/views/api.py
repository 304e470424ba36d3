"""App roles, "Expose an API" (Application ID URI and scopes) and token configuration.

Every change is a Graph-style update through the directory, which holds Entra's rules (an enabled
role cannot be deleted, values cannot contain spaces, ...); these handlers only shape the request.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from tenantlab.directory import ValidationFailed
from tenantlab.ids import new_guid
from tenantlab.portal.views.applications import app_context, app_url
from tenantlab.portal.web import (
    Portal,
    admin_page,
    flash,
    form_action,
    path_param,
    render,
    see_other,
    text_field,
)

MEMBER_TYPES = {
    "Application": ["Application"],
    "User": ["User"],
    "Both": ["User", "Application"],
}
TOKEN_TYPES = (("accessToken", "Access"), ("idToken", "ID"), ("saml2Token", "SAML"))
# The optional claims the portal offers, with its own one-line descriptions.
OPTIONAL_CLAIMS = (
    ("idtyp", "Token type: 'app' for app-only tokens, 'user' for delegated ones"),
    ("acct", "User's account status in the tenant (0 member, 1 guest)"),
    ("auth_time", "Time when the user last authenticated"),
    ("ctry", "User's country or region"),
    ("email", "The addressable email of the user"),
    ("family_name", "User's last name"),
    ("given_name", "User's first name"),
    ("ipaddr", "The IP address the client signed in from"),
    ("login_hint", "An opaque login hint"),
    ("sid", "Session id"),
    ("tenant_ctry", "Tenant's country or region"),
    ("tenant_region_scope", "Region of the tenant"),
    ("upn", "The user's userPrincipalName"),
    ("verified_primary_email", "The user's primary verified email"),
    ("xms_pdl", "Preferred data location"),
)
TOKEN_VERSIONS = (("", "Default (v1.0 for this API's tokens)"), ("1", "v1.0"), ("2", "v2.0"))


def _update(request: Request, portal: Portal, changes: dict[str, Any]) -> None:
    portal.platform.directory.update_application(
        tenant=path_param(request, "tenant_id"),
        app=path_param(request, "object_id"),
        changes=changes,
    )


def _roles_url(request: Request) -> str:
    return app_url(request, "app-roles")


def _expose_url(request: Request) -> str:
    return app_url(request, "expose-an-api")


def _token_url(request: Request) -> str:
    return app_url(request, "token-configuration")


# -- app roles ---------------------------------------------------------------------------------


@admin_page
def roles_page(request: Request, portal: Portal) -> Response:
    context = app_context(portal, request)
    return render(request, "app/roles.html", tab="roles", **context)


@form_action(back=_roles_url)
def add_role(request: Request, portal: Portal, form: FormData) -> Response:
    members = MEMBER_TYPES.get(text_field(form, "member_types", "Application"))
    if members is None:
        raise ValidationFailed("choose who the role is for: applications, users, or both")
    role = portal.platform.directory.add_app_role(
        tenant=path_param(request, "tenant_id"),
        app=path_param(request, "object_id"),
        value=text_field(form, "value"),
        display_name=text_field(form, "display_name") or None,
        description=text_field(form, "description") or None,
        allowed_member_types=members,
    )
    flash(request, "success", f"Added app role {role['value']}.")
    return see_other(_roles_url(request))


def _with_toggled(items: list[dict[str, Any]], item_id: str, what: str) -> list[dict[str, Any]]:
    if not any(item["id"] == item_id for item in items):
        raise ValidationFailed(f"this app has no {what} with id {item_id}")
    return [
        {**item, "isEnabled": not item.get("isEnabled", True)} if item["id"] == item_id else item
        for item in items
    ]


def _without(items: list[dict[str, Any]], item_id: str, what: str) -> list[dict[str, Any]]:
    kept = [item for item in items if item["id"] != item_id]
    if len(kept) == len(items):
        raise ValidationFailed(f"this app has no {what} with id {item_id}")
    return kept


@form_action(back=_roles_url)
def toggle_role(request: Request, portal: Portal, form: FormData) -> Response:
    app = app_context(portal, request)["app"]
    roles = _with_toggled(app.app_roles, path_param(request, "role_id"), "app role")
    _update(request, portal, {"appRoles": roles})
    return see_other(_roles_url(request))


@form_action(back=_roles_url)
def delete_role(request: Request, portal: Portal, form: FormData) -> Response:
    app = app_context(portal, request)["app"]
    _update(
        request,
        portal,
        {"appRoles": _without(app.app_roles, path_param(request, "role_id"), "app role")},
    )
    flash(request, "success", "Deleted the app role.")
    return see_other(_roles_url(request))


# -- expose an API -------------------------------------------------------------------------------


@admin_page
def expose_page(request: Request, portal: Portal) -> Response:
    context = app_context(portal, request)
    return render(request, "app/expose.html", tab="expose", **context)


@form_action(back=_expose_url)
def set_identifier_uri(request: Request, portal: Portal, form: FormData) -> Response:
    app = app_context(portal, request)["app"]
    uri = text_field(form, "identifier_uri") or f"api://{app.app_id}"
    _update(request, portal, {"identifierUris": [uri, *app.identifier_uris[1:]]})
    flash(request, "success", f"Application ID URI set to {uri}.")
    return see_other(_expose_url(request))


@form_action(back=_expose_url)
def add_scope(request: Request, portal: Portal, form: FormData) -> Response:
    app = app_context(portal, request)["app"]
    if not app.identifier_uris:
        raise ValidationFailed("set the Application ID URI before adding a scope")
    consent = text_field(form, "consent_type", "Admin")
    scope = {
        "id": new_guid(),
        "value": text_field(form, "value"),
        "type": consent,
        "adminConsentDisplayName": text_field(form, "admin_display_name") or None,
        "adminConsentDescription": text_field(form, "admin_description") or None,
        "userConsentDisplayName": text_field(form, "user_display_name") or None,
        "userConsentDescription": text_field(form, "user_description") or None,
        "isEnabled": text_field(form, "state", "enabled") != "disabled",
    }
    _update(
        request, portal, {"api": {"oauth2PermissionScopes": [*app.oauth2_permission_scopes, scope]}}
    )
    flash(request, "success", f"Added scope {app.identifier_uris[0]}/{scope['value']}.")
    return see_other(_expose_url(request))


@form_action(back=_expose_url)
def toggle_scope(request: Request, portal: Portal, form: FormData) -> Response:
    app = app_context(portal, request)["app"]
    scopes = _with_toggled(app.oauth2_permission_scopes, path_param(request, "scope_id"), "scope")
    _update(request, portal, {"api": {"oauth2PermissionScopes": scopes}})
    return see_other(_expose_url(request))


@form_action(back=_expose_url)
def delete_scope(request: Request, portal: Portal, form: FormData) -> Response:
    app = app_context(portal, request)["app"]
    scopes = _without(app.oauth2_permission_scopes, path_param(request, "scope_id"), "scope")
    _update(request, portal, {"api": {"oauth2PermissionScopes": scopes}})
    flash(request, "success", "Deleted the scope.")
    return see_other(_expose_url(request))


# -- token configuration -------------------------------------------------------------------------


@admin_page
def token_configuration_page(request: Request, portal: Portal) -> Response:
    context = app_context(portal, request)
    app = context["app"]
    rows = [
        (kind, label, claim)
        for kind, label in TOKEN_TYPES
        for claim in (app.optional_claims or {}).get(kind, [])
    ]
    return render(
        request,
        "app/token_configuration.html",
        tab="token",
        claim_rows=rows,
        token_types=TOKEN_TYPES,
        optional_claims=OPTIONAL_CLAIMS,
        token_versions=TOKEN_VERSIONS,
        **context,
    )


def _claims_of(app: Any) -> dict[str, list[dict[str, Any]]]:
    current = app.optional_claims or {}
    return {kind: list(current.get(kind, [])) for kind, _ in TOKEN_TYPES}


@form_action(back=_token_url)
def add_optional_claims(request: Request, portal: Portal, form: FormData) -> Response:
    app = app_context(portal, request)["app"]
    kind = text_field(form, "token_type", "accessToken")
    names = [n for n in form.getlist("claim") if isinstance(n, str)]
    offered = dict(OPTIONAL_CLAIMS)
    if kind not in dict(TOKEN_TYPES):
        raise ValidationFailed("choose the token type: ID, access or SAML")
    if not names or any(n not in offered for n in names):
        raise ValidationFailed("choose one or more of the listed optional claims")
    claims = _claims_of(app)
    present = {c["name"] for c in claims[kind]}
    claims[kind] += [{"name": n, "essential": False} for n in names if n not in present]
    _update(request, portal, {"optionalClaims": claims})
    flash(request, "success", "Added optional claims: " + ", ".join(names) + ".")
    return see_other(_token_url(request))


@form_action(back=_token_url)
def remove_optional_claim(request: Request, portal: Portal, form: FormData) -> Response:
    app = app_context(portal, request)["app"]
    kind = text_field(form, "token_type")
    name = text_field(form, "claim")
    claims = _claims_of(app)
    if kind not in claims or not any(c["name"] == name for c in claims[kind]):
        raise ValidationFailed("that optional claim is not configured")
    claims[kind] = [c for c in claims[kind] if c["name"] != name]
    _update(request, portal, {"optionalClaims": claims})
    flash(request, "success", f"Removed optional claim {name}.")
    return see_other(_token_url(request))


@form_action(back=_token_url)
def set_token_version(request: Request, portal: Portal, form: FormData) -> Response:
    choice = text_field(form, "version")
    if choice not in dict(TOKEN_VERSIONS):
        raise ValidationFailed("the access token version must be default, 1 or 2")
    _update(
        request, portal, {"api": {"requestedAccessTokenVersion": int(choice) if choice else None}}
    )
    flash(request, "success", "Saved the access token version.")
    return see_other(_token_url(request))
