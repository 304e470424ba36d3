"""App roles, Expose an API, API permissions with admin consent, token configuration."""

from __future__ import annotations

from portal_client import PortalClient, app_page, notices

from tenantlab.directory.wellknown import GRAPH_APP_ROLES
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.platform import Platform
from tenantlab.storage.schema import Application, Tenant

USER_READ_ALL = next(role_id for value, role_id, _ in GRAPH_APP_ROLES if value == "User.Read.All")


def _api(platform: Platform, tenant: Tenant) -> Application:
    api = platform.directory.create_application(
        tenant=tenant.id, display_name="ToDo API", identifier_uris=["api://{appId}"]
    )
    platform.directory.add_app_role(tenant=tenant.id, app=api.id, value="ToDoList.Read.All")
    return platform.directory.get_application(tenant=tenant.id, app=api.id)


def test_defining_an_app_role(browser: PortalClient, platform: Platform, app: Application) -> None:
    page = app_page(app, "app-roles")
    response = browser.submit(
        page,
        page,
        {
            "display_name": "Read all to-do lists",
            "member_types": "Application",
            "value": "ToDoList.Read.All",
            "description": "Allows the app to read every to-do list",
        },
    )
    [role] = platform.directory.get_application(tenant=app.tenant_id, app=app.id).app_roles
    assert role["value"] == "ToDoList.Read.All"
    assert role["allowedMemberTypes"] == ["Application"]
    assert role["isEnabled"] is True
    assert "ToDoList.Read.All" in response.text


def test_a_role_value_with_a_space_is_refused(browser: PortalClient, app: Application) -> None:
    page = app_page(app, "app-roles")
    response = browser.submit(page, page, {"display_name": "x", "value": "Read All"})
    assert any("cannot contain spaces" in n for n in notices(response.text))


def test_an_enabled_role_must_be_disabled_before_deletion(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    role = platform.directory.add_app_role(tenant=app.tenant_id, app=app.id, value="Jobs.Run")
    page = app_page(app, "app-roles")
    refused = browser.submit(page, f"{page}/{role['id']}/delete")
    assert any("set isEnabled to false" in n for n in notices(refused.text))
    browser.submit(page, f"{page}/{role['id']}/toggle")
    [disabled] = platform.directory.get_application(tenant=app.tenant_id, app=app.id).app_roles
    assert disabled["isEnabled"] is False
    browser.submit(page, f"{page}/{role['id']}/delete")
    assert platform.directory.get_application(tenant=app.tenant_id, app=app.id).app_roles == []


def test_exposing_an_api_with_a_scope(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    page = app_page(app, "expose-an-api")
    refused = browser.submit(page, f"{page}/scopes", {"value": "ToDoList.Read"})
    assert any("Application ID URI" in n for n in notices(refused.text))
    browser.submit(page, f"{page}/uri", {"identifier_uri": ""})
    response = browser.submit(
        page,
        f"{page}/scopes",
        {"value": "ToDoList.Read", "consent_type": "User", "admin_display_name": "Read lists"},
    )
    current = platform.directory.get_application(tenant=app.tenant_id, app=app.id)
    assert current.identifier_uris == [f"api://{app.app_id}"]
    [scope] = current.oauth2_permission_scopes
    assert (scope["value"], scope["type"], scope["isEnabled"]) == ("ToDoList.Read", "User", True)
    assert f"api://{app.app_id}/ToDoList.Read" in response.text
    browser.submit(page, f"{page}/scopes/{scope['id']}/toggle")
    browser.submit(page, f"{page}/scopes/{scope['id']}/delete")
    current = platform.directory.get_application(tenant=app.tenant_id, app=app.id)
    assert current.oauth2_permission_scopes == []


def test_permissions_are_configured_then_granted_by_admin_consent(
    browser: PortalClient, platform: Platform, tenant: Tenant, app: Application
) -> None:
    api = _api(platform, tenant)
    [todo_role] = api.app_roles
    page = app_page(app, "api-permissions")
    picker = browser.get(page, params={"api": api.app_id}).text
    assert "ToDoList.Read.All" in picker
    browser.submit(page, page, {"api": api.app_id, "permission": f"Role:{todo_role['id']}"})
    response = browser.submit(
        page, page, {"api": MICROSOFT_GRAPH_APP_ID, "permission": f"Role:{USER_READ_ALL}"}
    )
    assert response.text.count("Not granted for Contoso") == 2
    directory = platform.directory
    client = directory.get_service_principal(tenant=tenant.id, key=app.app_id)
    resource = directory.get_service_principal(tenant=tenant.id, key=api.app_id)
    assert directory.assigned_role_values(client.id, resource.id) == []

    consented = browser.submit(page, f"{page}/consent")
    assert consented.text.count("Granted for Contoso") == 2
    assert directory.assigned_role_values(client.id, resource.id) == ["ToDoList.Read.All"]
    graph = directory.get_service_principal(tenant=tenant.id, key=MICROSOFT_GRAPH_APP_ID)
    assert directory.assigned_role_values(client.id, graph.id) == ["User.Read.All"]


def test_revoking_and_removing_a_permission(
    browser: PortalClient, platform: Platform, tenant: Tenant, app: Application
) -> None:
    api = _api(platform, tenant)
    [role] = api.app_roles
    page = app_page(app, "api-permissions")
    browser.submit(page, page, {"api": api.app_id, "permission": f"Role:{role['id']}"})
    browser.submit(page, f"{page}/consent")
    directory = platform.directory
    client = directory.get_service_principal(tenant=tenant.id, key=app.app_id)
    [assignment] = directory.app_role_assignments(client.id)
    browser.submit(page, f"{page}/revoke", {"assignment": assignment.id})
    assert directory.app_role_assignments(client.id) == []
    browser.submit(page, f"{page}/remove", {"api": api.app_id, "permission": f"Role:{role['id']}"})
    assert directory.get_application(tenant=tenant.id, app=app.id).required_resource_access == []


def test_delegated_permissions_get_a_tenant_wide_grant(
    browser: PortalClient, platform: Platform, tenant: Tenant, app: Application
) -> None:
    api = platform.directory.create_application(tenant=tenant.id, display_name="Scoped API")
    scope = platform.directory.add_permission_scope(
        tenant=tenant.id, app=api.id, value="ToDoList.Read"
    )
    page = app_page(app, "api-permissions")
    browser.submit(page, page, {"api": api.app_id, "permission": f"Scope:{scope['id']}"})
    response = browser.submit(page, f"{page}/consent")
    assert "Granted for Contoso" in response.text
    directory = platform.directory
    client = directory.get_service_principal(tenant=tenant.id, key=app.app_id)
    resource = directory.get_service_principal(tenant=tenant.id, key=api.app_id)
    assert directory.consented_scopes(client.id, resource.id) == ["ToDoList.Read"]


def test_permissions_the_api_does_not_offer_are_refused(
    browser: PortalClient, platform: Platform, tenant: Tenant, app: Application
) -> None:
    api = _api(platform, tenant)
    page = app_page(app, "api-permissions")
    for data in (
        {"api": api.app_id, "permission": f"Role:{USER_READ_ALL}"},
        {"api": "00000000-0000-0000-0000-000000000001", "permission": "Role:x"},
        {"api": api.app_id},
    ):
        response = browser.submit(page, page, data)
        assert notices(response.text)
    assert (
        platform.directory.get_application(tenant=tenant.id, app=app.id).required_resource_access
        == []
    )


def test_consent_with_nothing_configured_says_so(browser: PortalClient, app: Application) -> None:
    page = app_page(app, "api-permissions")
    response = browser.submit(page, f"{page}/consent")
    assert any("add a permission first" in n for n in notices(response.text))


def test_token_configuration_sets_optional_claims_and_version(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    page = app_page(app, "token-configuration")
    browser.submit(
        page, f"{page}/claims", {"token_type": "accessToken", "claim": ["idtyp", "acct"]}
    )
    response = browser.submit(page, f"{page}/version", {"version": "2"})
    current = platform.directory.get_application(tenant=app.tenant_id, app=app.id)
    assert [c["name"] for c in current.optional_claims["accessToken"]] == ["idtyp", "acct"]
    assert current.requested_access_token_version == 2
    assert "idtyp" in response.text
    browser.submit(page, f"{page}/claims/remove", {"token_type": "accessToken", "claim": "acct"})
    browser.submit(page, f"{page}/version", {"version": ""})
    current = platform.directory.get_application(tenant=app.tenant_id, app=app.id)
    assert [c["name"] for c in current.optional_claims["accessToken"]] == ["idtyp"]
    assert current.requested_access_token_version is None


def test_token_configuration_refuses_what_it_does_not_offer(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    page = app_page(app, "token-configuration")
    for action, data in (
        ("claims", {"token_type": "accessToken", "claim": "<b>"}),
        ("claims", {"token_type": "refreshToken", "claim": "idtyp"}),
        ("version", {"version": "3"}),
        ("claims/remove", {"token_type": "accessToken", "claim": "idtyp"}),
    ):
        assert notices(browser.submit(page, f"{page}/{action}", data).text), action
    current = platform.directory.get_application(tenant=app.tenant_id, app=app.id)
    assert current.optional_claims["accessToken"] == []
