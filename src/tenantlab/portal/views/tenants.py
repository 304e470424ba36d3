"""Tenants, a tenant's overview (the ids and endpoints a sample needs), users and signing keys."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from tenantlab.directory.tenants import TENANT_TYPES
from tenantlab.portal import urls
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


def tenant_context(portal: Portal, tenant_id: str) -> dict[str, Any]:
    """What every tenant page shows in its header: the tenant and its domains."""
    tenant = portal.platform.directory.get_tenant(tenant_id)
    domains = portal.platform.directory.tenant_domains(tenant.id)
    return {"tenant": tenant, "domains": domains, "primary_domain": domains[0] if domains else ""}


def endpoints(origin: str, tenant_id: str) -> list[tuple[str, str]]:
    """The URLs the quickstart's samples are configured with, for this tenant."""
    authority = f"{origin}/{tenant_id}"
    return [
        ("Authority", authority),
        ("OpenID Connect metadata document", f"{authority}/v2.0/.well-known/openid-configuration"),
        ("OAuth 2.0 token endpoint (v2)", f"{authority}/oauth2/v2.0/token"),
        ("OAuth 2.0 token endpoint (v1)", f"{authority}/oauth2/token"),
        ("Signing keys (JWKS)", f"{authority}/discovery/v2.0/keys"),
        ("Microsoft Graph API endpoint", f"{origin}/v1.0"),
    ]


@admin_page
def tenants_page(request: Request, portal: Portal) -> Response:
    directory = portal.platform.directory
    rows = [
        {
            "tenant": tenant,
            "domain": (directory.tenant_domains(tenant.id) or [""])[0],
            "applications": len(directory.list_applications(tenant=tenant.id)),
        }
        for tenant in directory.list_tenants()
    ]
    return render(request, "tenants.html", nav="tenants", rows=rows, tenant_types=TENANT_TYPES)


@form_action(back=lambda request: urls.tenants())
def create_tenant(request: Request, portal: Portal, form: FormData) -> Response:
    tenant = portal.platform.directory.create_tenant(
        display_name=text_field(form, "display_name"),
        domain=text_field(form, "domain"),
        tenant_type=text_field(form, "tenant_type", "workforce"),
    )
    flash(request, "success", f"Created tenant {tenant.display_name}.")
    return see_other(urls.tenant(tenant.id))


@admin_page
def tenant_overview(request: Request, portal: Portal) -> Response:
    context = tenant_context(portal, path_param(request, "tenant_id"))
    tenant = context["tenant"]
    directory = portal.platform.directory
    return render(
        request,
        "tenant.html",
        nav="overview",
        endpoints=endpoints(portal.platform.settings.origin, tenant.id),
        application_count=len(directory.list_applications(tenant=tenant.id)),
        user_count=len(directory.list_users(tenant=tenant.id)),
        **context,
    )


@admin_page
def users_page(request: Request, portal: Portal) -> Response:
    context = tenant_context(portal, path_param(request, "tenant_id"))
    users = portal.platform.directory.list_users(tenant=context["tenant"].id)
    users.sort(key=lambda user: user.display_name.lower())
    return render(request, "users.html", nav="users", users=users, **context)


def _users_url(request: Request) -> str:
    return urls.tenant(path_param(request, "tenant_id"), "users")


@form_action(back=_users_url)
def create_user(request: Request, portal: Portal, form: FormData) -> Response:
    name = text_field(form, "user_name")
    domain = text_field(form, "domain")
    upn = name if "@" in name else f"{name}@{domain}"
    password_value = form.get("password")
    user = portal.platform.directory.create_user(
        tenant=path_param(request, "tenant_id"),
        user_principal_name=upn,
        display_name=text_field(form, "display_name"),
        password=password_value if isinstance(password_value, str) and password_value else None,
    )
    flash(request, "success", f"Created user {user.user_principal_name}.")
    return see_other(_users_url(request))


@form_action(back=_users_url)
def delete_user(request: Request, portal: Portal, form: FormData) -> Response:
    portal.platform.directory.delete_user(
        tenant=path_param(request, "tenant_id"), key=path_param(request, "user_id")
    )
    flash(request, "success", "Deleted the user.")
    return see_other(_users_url(request))


@admin_page
def signing_keys_page(request: Request, portal: Portal) -> Response:
    context = tenant_context(portal, path_param(request, "tenant_id"))
    tenant_id = context["tenant"].id
    keys = portal.platform.keys.published(tenant_id)
    return render(
        request,
        "signing_keys.html",
        nav="keys",
        keys=keys,
        jwks_uri=f"{portal.platform.settings.origin}/{tenant_id}/discovery/v2.0/keys",
        **context,
    )


def _keys_url(request: Request) -> str:
    return urls.tenant(path_param(request, "tenant_id"), "signing-keys")


@form_action(back=_keys_url)
def rotate_signing_key(request: Request, portal: Portal, form: FormData) -> Response:
    tenant = portal.platform.directory.get_tenant(path_param(request, "tenant_id"))
    material = portal.platform.rotate_signing_key(tenant.id)
    flash(
        request,
        "success",
        f"Key {material.kid} now signs new tokens; the previous key stays published until the "
        "tokens it signed have expired.",
    )
    return see_other(_keys_url(request))
