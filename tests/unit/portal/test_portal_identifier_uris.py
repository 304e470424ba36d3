"""Expose an API: the Application ID URI form refuses URIs the tenant does not own."""

from __future__ import annotations

from portal_client import PortalClient, app_page, notices

from tenantlab.ids import new_guid
from tenantlab.platform import Platform
from tenantlab.storage.schema import Application


def test_the_form_refuses_another_apps_guid_and_microsofts_hosts(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    page = app_page(app, "expose-an-api")
    for uri, fragment in (
        (f"api://{new_guid()}", "must be this application's appId or its tenant's id"),
        ("https://graph.microsoft.com", "graph.microsoft.com belongs to Microsoft"),
        ("https://fabrikam.com/api", "must use a verified domain of the organization"),
    ):
        refused = browser.submit(page, f"{page}/uri", {"identifier_uri": uri})
        assert any(fragment in n for n in notices(refused.text)), notices(refused.text)
        current = platform.directory.get_application(tenant=app.tenant_id, app=app.id)
        assert current.identifier_uris == []
    browser.submit(page, f"{page}/uri", {"identifier_uri": f"api://{app.app_id}"})
    current = platform.directory.get_application(tenant=app.tenant_id, app=app.id)
    assert current.identifier_uris == [f"api://{app.app_id}"]
