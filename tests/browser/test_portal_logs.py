"""The Sign-in logs and Audit logs pages in Chromium: a failed and a successful sign-in of real
MSAL requests, the failure explained with the daemon's text, and the audit record of a change
the administrator made in the portal. The tenant and app come from the pytest plugin."""

from __future__ import annotations

from typing import Any

import pytest
from test_portal_browser import Portal, portal, sign_in  # noqa: F401  (the `portal` fixture)

from tenantlab.aadsts import token_error_fix
from tenantlab.ids import new_guid
from tenantlab.testing import LiveTenant, TokenRefused

pytestmark = pytest.mark.browser


def test_sign_in_and_audit_logs_pages(
    portal: Portal,  # noqa: F811
    cloud: Any,
    tenantlab_tenant: LiveTenant,
    app: Any,
) -> None:
    tenant = tenantlab_tenant  # dogfood: the plugin's tenant and `app` factory
    export = app("Nightly export", secret=True)
    with pytest.raises(TokenRefused) as refused:
        export.token("graph", credential="wrong-" + new_guid())
    assert refused.value.codes == [7000215], refused.value.result
    assert export.token("graph")
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
    fix = token_error_fix(7000215, tenant=tenant.id, client_id=export.app_id)
    assert fix is not None
    assert f"AADSTS7000215: {fix}" in text
    assert refused.value.result["correlation_id"] in text
    assert export.app_id in text
    assert export.secret not in page.content()
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
    assert f"adele@{tenant.domain}" in text or "Adele Vance" in text
    portal.shot("audit-logs")
