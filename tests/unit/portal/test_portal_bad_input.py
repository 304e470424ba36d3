"""Every form of the admin center, posted empty or with junk: a message or a 404, never a 500."""

from __future__ import annotations

import pytest
from portal_client import PortalClient, app_page
from starlette.routing import Route

from tenantlab.portal.app import portal_routes
from tenantlab.storage.schema import Application

JUNK = {
    "display_name": "",
    "domain": "-",
    "tenant_type": "galaxy",
    "value": "a b",
    "days": "-1",
    "months": "13",
    "version": "x",
    "token_type": "x",
    "claim": "x",
    "api": "not-a-guid",
    "permission": "Role:zzz",
    "assignment": "nope",
    "user_name": "@",
    "issuer": "ftp://x",
    "identifier_uri": "not a uri",
    "member_types": "Robots",
    "consent_type": "Everyone",
    "subject": "x" * 100,
    "password": "x",
}


def post_routes() -> list[str]:
    routes = [r for r in portal_routes() if isinstance(r, Route) and "POST" in (r.methods or ())]
    return [r.path for r in routes if r.path not in ("/signin", "/signout")]


def fill(path: str, app: Application) -> str:
    return "/portal" + (
        path.replace("{tenant_id}", app.tenant_id)
        .replace("{object_id}", app.id)
        .replace("{key_id}", "00000000-0000-0000-0000-000000000001")
        .replace("{credential_id}", "missing")
        .replace("{role_id}", "not-a-role")
        .replace("{scope_id}", "not-a-scope")
        .replace("{user_id}", "nobody@contoso.onmicrosoft.com")
        .replace("{group_id}", "not-a-group")
        .replace("{member_id}", "00000000-0000-0000-0000-000000000002")
    )


@pytest.mark.parametrize("junk", [False, True], ids=["empty", "junk"])
def test_no_form_post_ends_in_a_server_error(
    browser: PortalClient, app: Application, junk: bool
) -> None:
    token = browser.csrf(app_page(app))
    paths = post_routes()
    assert len(paths) >= 25
    for path in paths:
        url = fill(path, app)
        data = {"csrf_token": token, **(JUNK if junk else {})}
        response = browser.post(url, data=data)
        assert response.status_code < 500, (url, response.status_code)
        if path != "/decoder":
            assert response.status_code in (200, 404), (url, response.status_code)


def test_unknown_ids_in_page_addresses_are_404_pages(
    browser: PortalClient, app: Application
) -> None:
    for url in (
        "/portal/tenants/not-a-tenant",
        "/portal/tenants/not-a-tenant/users",
        f"/portal/tenants/{app.tenant_id}/applications/not-an-app/credentials",
        f"/portal/tenants/{app.tenant_id}/applications/{'x' * 3000}",
    ):
        response = browser.get(url)
        assert response.status_code == 404, url
        assert "Not found" in response.text
