"""App registrations: the list with search, "New registration", an app's overview, deletion,
and enabling or disabling the app's service principal (its enterprise application) here."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from tenantlab.directory import ServicePrincipalNotFound
from tenantlab.portal import urls
from tenantlab.portal.views.tenants import endpoints, tenant_context
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

# The portal's wording for each signInAudience, in the order "New registration" offers them.
ACCOUNT_TYPES = (
    ("AzureADMyOrg", "Accounts in this organizational directory only (Single tenant)"),
    ("AzureADMultipleOrgs", "Accounts in any organizational directory (Multitenant)"),
    (
        "AzureADandPersonalMicrosoftAccount",
        "Accounts in any organizational directory and personal Microsoft accounts",
    ),
    ("PersonalMicrosoftAccount", "Personal Microsoft accounts only"),
)
ACCOUNT_TYPE_LABELS = dict(ACCOUNT_TYPES)
# ... and the shorter wording of the registrations list.
ACCOUNT_TYPE_SHORT = {
    "AzureADMyOrg": "My organization only",
    "AzureADMultipleOrgs": "Multiple organizations",
    "AzureADandPersonalMicrosoftAccount": "All Microsoft account users",
    "PersonalMicrosoftAccount": "Personal Microsoft account users",
}


def app_context(portal: Portal, request: Request) -> dict[str, Any]:
    """The tenant and the application a page under .../applications/{object_id} is about."""
    context = tenant_context(portal, path_param(request, "tenant_id"))
    context["app"] = portal.platform.directory.get_application(
        tenant=context["tenant"].id, app=path_param(request, "object_id")
    )
    context["nav"] = "applications"
    context["account_type_labels"] = ACCOUNT_TYPE_LABELS
    return context


def app_url(request: Request, section: str = "") -> str:
    return urls.application(
        path_param(request, "tenant_id"), path_param(request, "object_id"), section
    )


def matches(search: str, *values: str) -> bool:
    needle = search.lower()
    return any(needle in value.lower() for value in values)


@admin_page
def applications_page(request: Request, portal: Portal) -> Response:
    context = tenant_context(portal, path_param(request, "tenant_id"))
    search = (request.query_params.get("search") or "").strip()[:256]
    apps = portal.platform.directory.list_applications(tenant=context["tenant"].id)
    if search:
        apps = [a for a in apps if matches(search, a.display_name, a.app_id, a.id)]
    return render(
        request,
        "applications.html",
        nav="applications",
        apps=apps,
        search=search,
        account_type_short=ACCOUNT_TYPE_SHORT,
        **context,
    )


@admin_page
def register_page(request: Request, portal: Portal) -> Response:
    context = tenant_context(portal, path_param(request, "tenant_id"))
    return render(
        request, "register.html", nav="applications", account_types=ACCOUNT_TYPES, **context
    )


@form_action(back=lambda request: urls.tenant(path_param(request, "tenant_id"), "applications/new"))
def register(request: Request, portal: Portal, form: FormData) -> Response:
    app = portal.platform.directory.create_application(
        tenant=path_param(request, "tenant_id"),
        display_name=text_field(form, "display_name"),
        sign_in_audience=text_field(form, "sign_in_audience", "AzureADMyOrg"),
    )
    flash(request, "success", f"Registered {app.display_name}.")
    return see_other(urls.application(app.tenant_id, app.id))


@admin_page
def overview_page(request: Request, portal: Portal) -> Response:
    context = app_context(portal, request)
    app = context["app"]
    directory = portal.platform.directory
    try:
        principal = directory.get_service_principal(tenant=app.tenant_id, key=app.app_id)
    except ServicePrincipalNotFound:
        principal = None  # registered through Graph, which leaves that to POST /servicePrincipals
    return render(
        request,
        "app/overview.html",
        tab="overview",
        principal=principal,
        secret_count=len(directory.password_credentials(app.id)),
        certificate_count=len(directory.key_credentials(app.id)),
        federated_count=len(directory.federated_credentials(app.id)),
        endpoints=endpoints(portal.platform.settings.origin, app.tenant_id),
        **context,
    )


@form_action(back=app_url)
def set_service_principal_enabled(request: Request, portal: Portal, form: FormData) -> Response:
    """Disable (no tokens: AADSTS7000112; Graph refuses its tokens) or enable the app here."""
    tenant_id = path_param(request, "tenant_id")
    app = portal.platform.directory.get_application(
        tenant=tenant_id, app=path_param(request, "object_id")
    )
    enabled = text_field(form, "enabled") == "true"
    portal.platform.directory.set_account_enabled(tenant=tenant_id, key=app.app_id, enabled=enabled)
    state = "enabled" if enabled else "disabled"
    flash(request, "success", f"{app.display_name} is {state} in this tenant.")
    return see_other(app_url(request))


@form_action(back=app_url)
def delete_application(request: Request, portal: Portal, form: FormData) -> Response:
    tenant_id = path_param(request, "tenant_id")
    app = portal.platform.directory.delete_application(
        tenant=tenant_id, app=path_param(request, "object_id")
    )
    flash(request, "success", f"Deleted {app.display_name}.")
    return see_other(urls.applications(tenant_id))
