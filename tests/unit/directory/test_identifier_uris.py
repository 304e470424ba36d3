"""Identifier URIs no tenant can squat: Entra's ownership, verified-domain and uniqueness rules."""

from __future__ import annotations

import pytest

from tenantlab.directory import Directory, HostNameNotOnVerifiedDomain
from tenantlab.directory.errors import Conflict, ValidationFailed
from tenantlab.directory.validation import may_name_resource
from tenantlab.ids import new_guid
from tenantlab.storage.schema import Tenant


@pytest.fixture
def woodgrove_api(directory: Directory) -> str:
    """The appId of a multi-tenant API registered in another tenant."""
    woodgrove = directory.create_tenant(display_name="Woodgrove", domain="woodgrove")
    api = directory.create_application(
        tenant=woodgrove.id,
        display_name="ToDo API",
        sign_in_audience="AzureADMultipleOrgs",
        identifier_uris=["api://{appId}"],
    )
    return api.app_id


def test_api_guid_must_be_the_apps_own_app_id_or_its_tenant_id(
    directory: Directory, contoso: Tenant, woodgrove_api: str
) -> None:
    with pytest.raises(ValidationFailed, match="appId or its tenant's id") as refused:
        directory.create_application(
            tenant=contoso.id, display_name="Squatter", identifier_uris=[f"api://{woodgrove_api}"]
        )
    assert refused.value.code == "Request_BadRequest"
    app = directory.create_application(tenant=contoso.id, display_name="Mine")
    with pytest.raises(ValidationFailed, match="appId or its tenant's id"):
        directory.update_application(
            tenant=contoso.id, app=app.id, changes={"identifierUris": [f"api://{new_guid()}"]}
        )
    allowed = [
        f"api://{app.app_id}",
        f"api://{contoso.id}/{app.app_id}",
        f"api://{contoso.id}/reports",
        f"api://reports/{app.app_id}",
        "api://reports",
    ]
    updated = directory.update_application(
        tenant=contoso.id, app=app.id, changes={"identifierUris": allowed}
    )
    assert updated.identifier_uris == allowed


@pytest.mark.parametrize(
    "uri",
    [
        "https://graph.microsoft.com",
        "https://graph.microsoft.com/v1.0",
        "https://login.microsoftonline.com/x",
        "https://vault.azure.net",
        "api://graph.microsoft.com",
        "https://onmicrosoft.com/api",
    ],
)
def test_microsofts_hosts_are_refused(directory: Directory, contoso: Tenant, uri: str) -> None:
    with pytest.raises(HostNameNotOnVerifiedDomain, match="belongs to Microsoft") as refused:
        directory.create_application(tenant=contoso.id, display_name="A", identifier_uris=[uri])
    assert refused.value.code == "HostNameNotOnVerifiedDomain"
    assert refused.value.message.startswith(
        "Values of identifierUris property must use a verified domain of the organization "
        f"or its subdomain: '{uri}'"
    )


def test_http_hosts_must_be_on_a_verified_domain_of_the_tenant(
    directory: Directory, contoso: Tenant
) -> None:
    directory.create_tenant(display_name="Fabrikam", domain="fabrikam", extra_domains=["fab.com"])
    for uri in (
        "https://fab.com/api",
        "https://api.fabrikam.onmicrosoft.com",
        "https://localhost/api",
        "http://todo",
        "api://todo.fab.com/api",
    ):
        with pytest.raises(HostNameNotOnVerifiedDomain, match=r"contoso\.onmicrosoft\.com"):
            directory.create_application(tenant=contoso.id, display_name="A", identifier_uris=[uri])
    directory.add_domain(tenant=contoso.id, domain="contoso.com")
    allowed = [
        "https://contoso.onmicrosoft.com/todo",
        "https://contoso.com/todo",
        "https://api.contoso.com",
        "https://api.contoso.com/todo",
        "api://contoso.com/todo",
        "urn:contoso:todo",
    ]
    app = directory.create_application(tenant=contoso.id, display_name="A", identifier_uris=allowed)
    assert app.identifier_uris == allowed


def test_a_trailing_slash_is_refused(directory: Directory, contoso: Tenant) -> None:
    with pytest.raises(ValidationFailed, match="must not end with a slash"):
        directory.create_application(
            tenant=contoso.id, display_name="A", identifier_uris=["api://todo/"]
        )


def test_multi_tenant_identifier_uris_are_unique_across_all_tenants(
    directory: Directory, contoso: Tenant
) -> None:
    woodgrove = directory.create_tenant(display_name="Woodgrove", domain="woodgrove")
    directory.create_application(
        tenant=woodgrove.id,
        display_name="ToDo API",
        sign_in_audience="AzureADMultipleOrgs",
        identifier_uris=["api://todo"],
    )
    with pytest.raises(Conflict, match="unique across all tenants"):
        directory.create_application(
            tenant=contoso.id, display_name="Squatter", identifier_uris=["API://ToDo"]
        )
    # Single-tenant apps of two tenants may share one (each tenant resolves its own) ...
    directory.create_application(tenant=contoso.id, display_name="A", identifier_uris=["api://x"])
    fabrikam = directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    b = directory.create_application(
        tenant=fabrikam.id, display_name="B", identifier_uris=["api://x"]
    )
    # ... until one of them becomes multi-tenant.
    with pytest.raises(Conflict, match="unique across all tenants"):
        directory.update_application(
            tenant=fabrikam.id, app=b.id, changes={"signInAudience": "AzureADMultipleOrgs"}
        )
    assert directory.get_application(tenant=fabrikam.id, app=b.id).sign_in_audience == (
        "AzureADMyOrg"
    )


def test_names_the_token_service_will_not_resolve_to_a_squatter() -> None:
    app_id, tenant_id, other = new_guid(), new_guid(), new_guid()
    assert may_name_resource(f"api://{app_id}", app_id=app_id, tenant_id=tenant_id)
    assert may_name_resource(f"api://{tenant_id}/x", app_id=app_id, tenant_id=tenant_id)
    assert may_name_resource("api://todo", app_id=app_id, tenant_id=tenant_id)
    assert not may_name_resource(f"api://{other}", app_id=app_id, tenant_id=tenant_id)
    assert not may_name_resource(f"API://{other.upper()}/x", app_id=app_id, tenant_id=tenant_id)
    assert not may_name_resource("https://graph.microsoft.com", app_id=app_id, tenant_id=tenant_id)
