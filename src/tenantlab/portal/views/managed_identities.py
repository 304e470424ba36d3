"""A tenant's managed identities: the list (ids a deployment needs), creating and deleting them."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from tenantlab.directory.managed_identities import SYSTEM_ASSIGNED, USER_ASSIGNED
from tenantlab.portal import urls
from tenantlab.portal.views.tenants import tenant_context
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

PAGE = "managed-identities"


@admin_page
def managed_identities_page(request: Request, portal: Portal) -> Response:
    context = tenant_context(portal, path_param(request, "tenant_id"))
    identities = portal.platform.directory.list_managed_identities(tenant=context["tenant"].id)
    return render(request, "managed_identities.html", nav=PAGE, identities=identities, **context)


def _page_url(request: Request) -> str:
    return urls.tenant(path_param(request, "tenant_id"), PAGE)


@form_action(back=_page_url)
def create_managed_identity(request: Request, portal: Portal, form: FormData) -> Response:
    kind = (
        SYSTEM_ASSIGNED
        if text_field(form, "kind", USER_ASSIGNED) == SYSTEM_ASSIGNED
        else USER_ASSIGNED
    )
    hosts = tuple(h for h in text_field(form, "hosts", "").replace(",", " ").split() if h)
    view = portal.platform.directory.create_managed_identity(
        tenant=path_param(request, "tenant_id"),
        name=text_field(form, "name"),
        kind=kind,
        hosts=hosts if kind == USER_ASSIGNED else (),
    )
    flash(request, "success", f"Created managed identity {view.name} (client id {view.client_id}).")
    return see_other(_page_url(request))


@form_action(back=_page_url)
def delete_managed_identity(request: Request, portal: Portal, form: FormData) -> Response:
    view = portal.platform.directory.delete_managed_identity(
        tenant=path_param(request, "tenant_id"), key=path_param(request, "principal_id")
    )
    flash(request, "success", f"Deleted managed identity {view.name}.")
    return see_other(_page_url(request))
