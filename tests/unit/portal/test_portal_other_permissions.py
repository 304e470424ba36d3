"""Issue 12 #13: API permissions shows consent that requiredResourceAccess does not list.

`ciam-daemon-app` held four admin-consented roles (granted by the CLI) while the page said "No
permissions configured". Entra lists such consent under "Other permissions granted for {tenant}",
with a way to revoke it.
"""

from __future__ import annotations

import re

from portal_client import PortalClient, app_page, notices

from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.platform import Platform
from tenantlab.storage.schema import Application, Tenant


def _section(html: str) -> str:
    found = re.search(r'<section class="card" id="other-permissions">(.*?)</section>', html, re.S)
    assert found is not None, "no 'Other permissions granted' section"
    return found.group(1)


def test_consent_granted_elsewhere_is_listed_and_can_be_revoked(
    browser: PortalClient, platform: Platform, tenant: Tenant, app: Application
) -> None:
    directory = platform.directory
    api = directory.create_application(tenant=tenant.id, display_name="ToDo API")
    directory.add_app_role(tenant=tenant.id, app=api.id, value="ToDoList.Read.All")
    for resource, role in ((api.app_id, "ToDoList.Read.All"), ("graph", "User.Read.All")):
        directory.grant_app_role(tenant=tenant.id, client=app.app_id, resource=resource, role=role)

    page = app_page(app, "api-permissions")
    html = browser.get(page).text
    others = _section(html)
    assert "Other permissions granted for Contoso" in others
    assert "ToDoList.Read.All" in others
    assert "User.Read.All" in others
    assert others.index("Microsoft Graph") < others.index("ToDo API")  # Graph first, as Entra
    assert "No permissions configured (other granted permissions are listed below)" in html

    client = directory.get_service_principal(tenant=tenant.id, key=app.app_id)
    graph = directory.get_service_principal(tenant=tenant.id, key=MICROSOFT_GRAPH_APP_ID)
    [graph_assignment] = [
        a for a in directory.app_role_assignments(client.id) if a.resource_id == graph.id
    ]
    revoked = browser.submit(page, f"{page}/revoke", {"assignment": graph_assignment.id})
    assert any("Revoked admin consent" in n for n in notices(revoked.text))
    assert directory.assigned_role_values(client.id, graph.id) == []
    assert "User.Read.All" not in _section(browser.get(page).text)


def test_configured_and_consented_permissions_are_not_listed_twice(
    browser: PortalClient, platform: Platform, tenant: Tenant, app: Application
) -> None:
    api = platform.directory.create_application(tenant=tenant.id, display_name="ToDo API")
    role = platform.directory.add_app_role(tenant=tenant.id, app=api.id, value="ToDoList.Read.All")
    page = app_page(app, "api-permissions")
    browser.submit(page, page, {"api": api.app_id, "permission": f"Role:{role['id']}"})
    browser.submit(page, f"{page}/consent")
    html = browser.get(page).text
    assert 'id="other-permissions"' not in html
    assert html.count("Granted for Contoso") == 1


def test_an_assignment_of_another_app_cannot_be_revoked_from_this_page(
    browser: PortalClient, platform: Platform, tenant: Tenant, app: Application
) -> None:
    directory = platform.directory
    other = directory.create_application(tenant=tenant.id, display_name="Other daemon")
    directory.grant_app_role(
        tenant=tenant.id, client=other.app_id, resource="graph", role="User.Read.All"
    )
    other_sp = directory.get_service_principal(tenant=tenant.id, key=other.app_id)
    [assignment] = directory.app_role_assignments(other_sp.id)
    page = app_page(app, "api-permissions")
    refused = browser.submit(page, f"{page}/revoke", {"assignment": assignment.id})
    assert any("does not belong to this app" in n for n in notices(refused.text))
    assert len(directory.app_role_assignments(other_sp.id)) == 1
