"""Tenants, app registrations, users and signing keys pages, and escaping everywhere."""

from __future__ import annotations

from portal_client import PortalClient, app_page, notices

from tenantlab.platform import Platform
from tenantlab.storage.schema import Application, Tenant

XSS = "<script>alert(1)</script>"


def test_the_portal_root_leads_to_the_tenants(browser: PortalClient, tenant: Tenant) -> None:
    response = browser.get("/portal")
    assert response.url.path == "/portal/tenants"
    assert "Contoso" in response.text
    assert tenant.id in response.text


def test_creating_a_tenant_shows_its_overview(browser: PortalClient, platform: Platform) -> None:
    response = browser.submit(
        "/portal/tenants",
        "/portal/tenants",
        {"display_name": "Fabrikam", "domain": "fabrikam", "tenant_type": "external"},
    )
    tenant = platform.directory.get_tenant("fabrikam.onmicrosoft.com")
    assert tenant.tenant_type == "external"
    assert response.url.path == f"/portal/tenants/{tenant.id}"
    assert "fabrikam.onmicrosoft.com" in response.text
    assert f"{platform.settings.origin}/{tenant.id}/oauth2/v2.0/token" in response.text


def test_a_refused_tenant_explains_why_on_the_same_page(
    browser: PortalClient, tenant: Tenant
) -> None:
    response = browser.submit(
        "/portal/tenants", "/portal/tenants", {"display_name": "Again", "domain": "contoso"}
    )
    assert response.status_code == 200
    assert response.url.path == "/portal/tenants"
    assert any("already belongs to a tenant" in n for n in notices(response.text))


def test_register_an_application_and_see_the_ids_to_record(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    new = f"/portal/tenants/{tenant.id}/applications/new"
    response = browser.submit(
        new,
        f"/portal/tenants/{tenant.id}/applications",
        {"display_name": "ciam-daemon-app", "sign_in_audience": "AzureADMyOrg"},
    )
    app = platform.directory.get_application(tenant=tenant.id, app="ciam-daemon-app")
    assert response.url.path == app_page(app)
    for value in (app.app_id, app.id, tenant.id):
        assert f'data-copy="{value}"' in response.text
    assert "Accounts in this organizational directory only" in response.text


def test_registration_errors_are_shown_not_raised(browser: PortalClient, tenant: Tenant) -> None:
    new = f"/portal/tenants/{tenant.id}/applications/new"
    response = browser.submit(
        new,
        f"/portal/tenants/{tenant.id}/applications",
        {"display_name": "x", "sign_in_audience": "Everyone"},
    )
    assert response.url.path == new
    assert any("signInAudience 'Everyone' is not valid" in n for n in notices(response.text))


def test_the_registrations_list_searches_names_and_client_ids(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    todo = platform.directory.create_application(tenant=tenant.id, display_name="ToDo API")
    platform.directory.create_application(tenant=tenant.id, display_name="Daemon")
    listing = f"/portal/tenants/{tenant.id}/applications"
    by_name = browser.get(listing, params={"search": "todo"}).text
    assert "ToDo API" in by_name
    assert "Daemon" not in by_name
    by_id = browser.get(listing, params={"search": todo.app_id[:8]}).text
    assert "ToDo API" in by_id
    nothing = browser.get(listing, params={"search": "zzz"}).text
    assert "No applications match" in nothing


def test_display_names_and_role_values_are_escaped(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    app = platform.directory.create_application(tenant=tenant.id, display_name=XSS)
    platform.directory.add_app_role(
        tenant=tenant.id, app=app.id, value=XSS.replace(" ", ""), display_name=XSS
    )
    platform.directory.create_user(
        tenant=tenant.id, user_principal_name="x@contoso.onmicrosoft.com", display_name=XSS
    )
    pages = [
        f"/portal/tenants/{tenant.id}/applications",
        app_page(app),
        app_page(app, "app-roles"),
        f"/portal/tenants/{tenant.id}/users",
    ]
    for page in pages:
        html = browser.get(page).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
        assert "<script>alert" not in html, page


def test_search_terms_are_escaped(browser: PortalClient, tenant: Tenant) -> None:
    html = browser.get(
        f"/portal/tenants/{tenant.id}/applications", params={"search": '"><img src=x>'}
    ).text
    assert "<img src=x>" not in html
    assert "&#34;&gt;&lt;img src=x&gt;" in html


def test_unknown_tenants_and_apps_get_a_404_page(
    browser: PortalClient, tenant: Tenant, app: Application
) -> None:
    assert browser.get("/portal/tenants/00000000-0000-0000-0000-00000000beef").status_code == 404
    missing = f"/portal/tenants/{tenant.id}/applications/00000000-0000-0000-0000-00000000beef"
    response = browser.get(missing)
    assert response.status_code == 404
    assert "no application" in response.text


def test_deleting_an_application(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    response = browser.submit(app_page(app), app_page(app, "delete"))
    assert response.url.path == f"/portal/tenants/{app.tenant_id}/applications"
    assert platform.directory.find_application_by_app_id(app.app_id) is None


def test_users_are_listed_created_and_deleted(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    page = f"/portal/tenants/{tenant.id}/users"
    response = browser.submit(
        page,
        page,
        {
            "display_name": "Adele Vance",
            "user_name": "adele",
            "domain": "contoso.onmicrosoft.com",
            "password": "",
        },
    )
    assert "adele@contoso.onmicrosoft.com" in response.text
    user = platform.directory.get_user(tenant=tenant.id, key="adele@contoso.onmicrosoft.com")
    browser.submit(page, f"{page}/{user.id}/delete")
    assert platform.directory.list_users(tenant=tenant.id) == []


def test_a_user_outside_the_tenants_domains_is_refused(
    browser: PortalClient, tenant: Tenant
) -> None:
    page = f"/portal/tenants/{tenant.id}/users"
    response = browser.submit(
        page,
        page,
        {"display_name": "Eve", "user_name": "eve", "domain": "example.com"},
    )
    assert any("domain portion" in n for n in notices(response.text))


def test_signing_keys_are_listed_and_rotated(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    page = f"/portal/tenants/{tenant.id}/signing-keys"
    first = platform.keys.active(tenant.id).kid
    assert first in browser.get(page).text
    response = browser.submit(page, f"{page}/rotate")
    second = platform.keys.active(tenant.id).kid
    assert second != first
    assert second in response.text
    assert "Retired" in response.text
    assert f"{tenant.id}/discovery/v2.0/keys" in response.text


def test_managed_identities_are_listed_created_and_deleted(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    page = f"/portal/tenants/{tenant.id}/managed-identities"
    browser.submit(page, page, {"name": "vm1", "kind": "SystemAssigned", "hosts": ""})
    response = browser.submit(
        page, page, {"name": "worker", "kind": "UserAssigned", "hosts": "vm1 vm2"}
    )
    worker = platform.directory.get_managed_identity(tenant=tenant.id, key="worker")
    assert worker.hosts == ("vm1", "vm2")
    assert worker.client_id in response.text
    assert worker.principal_id in response.text
    assert "System-assigned" in response.text
    again = browser.submit(page, page, {"name": "worker", "kind": "UserAssigned", "hosts": ""})
    assert any("already exists" in n for n in notices(again.text))
    browser.submit(page, f"{page}/{worker.principal_id}/delete")
    assert [v.name for v in platform.directory.list_managed_identities(tenant=tenant.id)] == ["vm1"]
