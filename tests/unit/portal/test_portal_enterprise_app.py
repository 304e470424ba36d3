"""Disabling and enabling an app's service principal from its overview (issue 11 item 6)."""

from __future__ import annotations

from portal_client import PortalClient, app_page, notices

from tenantlab.platform import Platform
from tenantlab.storage.schema import Application, Tenant


def _enabled(platform: Platform, app: Application) -> bool:
    sp = platform.directory.get_service_principal(tenant=app.tenant_id, key=app.app_id)
    return sp.account_enabled


def test_the_overview_disables_and_enables_the_service_principal(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    action = app_page(app, "service-principal/enabled")
    assert "Enabled for sign-in" in browser.get(app_page(app)).text

    response = browser.submit(app_page(app), action, {"enabled": "false"})
    assert response.url.path == app_page(app)
    assert any("is disabled in this tenant" in n for n in notices(response.text))
    assert _enabled(platform, app) is False
    assert ">Enable</button>" in response.text

    response = browser.submit(app_page(app), action, {"enabled": "true"})
    assert _enabled(platform, app) is True
    assert ">Disable</button>" in response.text


def test_the_toggle_needs_the_pages_csrf_token(
    browser: PortalClient, platform: Platform, app: Application
) -> None:
    action = app_page(app, "service-principal/enabled")
    forged = browser.post(action, data={"enabled": "false", "csrf_token": "forged"})
    assert forged.status_code == 403
    missing = browser.post(action, data={"enabled": "false"})
    assert missing.status_code == 403
    assert _enabled(platform, app) is True


def test_an_app_without_a_service_principal_says_so(
    browser: PortalClient, platform: Platform, tenant: Tenant
) -> None:
    app = platform.directory.create_application(
        tenant=tenant.id, display_name="From Graph", create_service_principal=False
    )
    page = browser.get(app_page(app)).text
    assert "has no service principal in this tenant" in page
    assert "service-principal/enabled" not in page
