"""The Sign-in logs and Audit logs pages in Chromium: a failed and a successful sign-in of real
MSAL requests, the failure explained with the daemon's text, and the audit record of a change
the administrator made in the portal."""

from __future__ import annotations

from typing import Any

import msal
import pytest
from test_portal_browser import Portal, portal, sign_in  # noqa: F401  (the `portal` fixture)

from tenantlab.aadsts import token_error_fix
from tenantlab.ids import new_guid

pytestmark = pytest.mark.browser


def _client(cloud: Any, tenant_id: str, app_id: str, secret: str) -> Any:
    return msal.ConfidentialClientApplication(
        app_id,
        client_credential=secret,
        authority=cloud.authority(tenant_id),
        instance_discovery=False,
    )


def test_sign_in_and_audit_logs_pages(portal: Portal, cloud: Any) -> None:  # noqa: F811
    directory = cloud.directory
    suffix = new_guid()[:8]
    tenant = directory.create_tenant(display_name=f"Logs {suffix}", domain=f"logs{suffix}")
    app = directory.create_application(tenant=tenant.id, display_name="Nightly export")
    secret = directory.add_password(tenant=tenant.id, app=app.app_id).secret_text
    scope = ["https://graph.microsoft.com/.default"]
    refused = _client(cloud, tenant.id, app.app_id, "wrong-" + new_guid()).acquire_token_for_client(
        scopes=scope
    )
    assert refused.get("error_codes") == [7000215], refused
    issued = _client(cloud, tenant.id, app.app_id, secret).acquire_token_for_client(scopes=scope)
    assert "access_token" in issued, issued
    cloud.platform.sign_ins.flush()

    sign_in(portal)
    page = portal.page
    portal.open(f"/portal/tenants/{tenant.id}")
    page.locator("nav.sidenav").get_by_role("link", name="Sign-in logs").click()
    page.wait_for_url("**/sign-in-logs")
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    assert "Success" in rows.nth(0).inner_text()  # the newest first
    assert "Failure 7000215" in rows.nth(1).inner_text()
    for index in (0, 1):
        assert "Nightly export" in rows.nth(index).inner_text()
        assert "clientSecret" in rows.nth(index).inner_text()

    # Only failures, then the failure's detail pane: the daemon's explanation of the code.
    page.get_by_label("Status").select_option("failure")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**result=failure**")
    assert page.locator("table tbody tr").count() == 1
    page.locator("table tbody tr").first.get_by_role("link").click()
    pane = page.get_by_role("region", name="Sign-in details")
    pane.wait_for()
    text = pane.inner_text()
    fix = token_error_fix(7000215, tenant=tenant.id, client_id=app.app_id)
    assert fix is not None
    assert f"AADSTS7000215: {fix}" in text
    assert refused["correlation_id"] in text
    assert app.app_id in text
    assert secret not in page.content()
    portal.shot("sign-in-logs")

    # A change made here is an audit record naming the administrator.
    portal.open(f"/portal/tenants/{tenant.id}/users")
    page.get_by_label("Display name").fill("Adele Vance")
    page.get_by_label("User principal name").fill("adele")
    page.get_by_role("button", name="Create").click()
    page.wait_for_selector(".notice")
    page.locator("nav.sidenav").get_by_role("link", name="Audit logs").click()
    page.wait_for_url("**/audit-logs")
    page.get_by_label("Activity").select_option("Add user")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**activity=Add+user**")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "Adele Vance" in rows.first.inner_text()
    assert "admin" in rows.first.inner_text()
    rows.first.get_by_role("link").click()
    pane = page.get_by_role("region", name="Audit details")
    pane.wait_for()
    text = pane.inner_text()
    assert "Add user" in text
    assert "UserManagement" in text
    assert "tenantlab portal administrator" in text
    assert f"adele@logs{suffix}.onmicrosoft.com" in text or "Adele Vance" in text
    portal.shot("audit-logs")
