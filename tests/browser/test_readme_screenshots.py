"""The documentation's pictures show the quickstart's own tenants (issue 12 item 15).

The cloud is provisioned exactly as `tenantlab quickstart` provisions it (`quickstart.provision`:
the workforce and External ID tenants, the two daemons, the ToDo API and its consented roles);
then each documented page of those tenants is opened, checked for what it must show, and
screenshotted (1280 px; the app overview also at 390 px). `UPDATE_SCREENSHOTS=1` writes them into
docs/screenshots/ (see the `screenshots` fixture); the other browser tests shoot into a temporary
folder only, so no picture of a test tenant reaches the documentation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msal
import pytest

from tenantlab.portal.admin import LocalAdministrator
from tenantlab.quickstart import provision
from tenantlab.quickstart.provision import Provisioned

pytestmark = pytest.mark.browser

PASSWORD = "Quickstart-Passw0rd!"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def quickstart(cloud: Any) -> Provisioned:
    provisioned = provision(cloud.platform)
    ours = {provisioned.workforce.id, provisioned.external.id}
    others = [t.display_name for t in cloud.platform.directory.list_tenants() if t.id not in ours]
    if others and os.environ.get("UPDATE_SCREENSHOTS") == "1":
        pytest.fail(
            f"the shared cloud also holds {others}: regenerate the pictures with this file alone "
            "(UPDATE_SCREENSHOTS=1 scripts/test tests/browser/test_readme_screenshots.py)"
        )
    return provisioned


@pytest.fixture
def page(cloud: Any, chromium: Any) -> Iterator[Any]:
    LocalAdministrator(cloud.home).set_password(PASSWORD)
    context = chromium.new_context(viewport=DESKTOP, ignore_https_errors=True)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def sign_in(page: Any, origin: str, shot: Path | None = None) -> None:
    page.goto(f"{origin}/portal")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    if shot is not None:
        page.screenshot(path=str(shot), full_page=True)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/tenants")


def test_documented_pages_show_the_quickstart_tenants(
    page: Any, cloud: Any, chromium: Any, quickstart: Provisioned, screenshots: Path
) -> None:
    origin = cloud.origin
    external, workforce = quickstart.external, quickstart.workforce
    daemon, api = quickstart.ciam_daemon, quickstart.todo_api
    tenant = f"{origin}/portal/tenants/{external.id}"
    daemon_url = f"{tenant}/applications/{daemon.object_id}"
    api_url = f"{tenant}/applications/{api.object_id}"

    def shot(name: str, *must_show: str) -> None:
        text = page.inner_text("body")
        for wanted in must_show:
            assert wanted in text, f"{name}: {wanted!r} is not on {page.url}"
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)

    sign_in(page, origin, shot=screenshots / "signin.png")
    shot("tenants", external.display_name, workforce.display_name)
    page.goto(tenant)
    shot("tenant-overview", external.display_name, external.domain)
    page.goto(f"{origin}/portal/tenants/{workforce.id}/users")
    shot("users", workforce.domain)
    page.goto(f"{tenant}/applications/new")
    shot("app-register", external.display_name)
    page.goto(daemon_url)
    shot("app-overview", daemon.display_name, daemon.app_id, external.id)
    page.goto(f"{daemon_url}/credentials")
    shot("certificates-and-secrets", daemon.display_name)
    page.goto(f"{daemon_url}/api-permissions")
    shot("api-permissions", "ToDoList.Read.All", f"Granted for {external.display_name}")
    page.goto(f"{daemon_url}/federated-credentials")
    shot("federated-credentials", daemon.display_name)
    page.goto(f"{api_url}/app-roles")
    shot("app-roles", api.display_name, "ToDoList.Read.All", "ToDoList.ReadWrite.All")
    page.goto(f"{api_url}/expose-an-api")
    shot("expose-an-api", api.display_name, "ToDoList.Read")
    page.goto(f"{api_url}/token-configuration")
    shot("token-configuration", api.display_name)
    page.goto(f"{tenant}/signing-keys")
    shot("signing-keys", external.display_name)

    # The daemon's token for the ToDo API, as the quickstart's daemon gets it, decoded.
    app = msal.ConfidentialClientApplication(
        daemon.app_id,
        client_credential=quickstart.ciam_secret,
        authority=cloud.authority(external.id),
        instance_discovery=False,
    )
    result = app.acquire_token_for_client(scopes=[f"api://{api.app_id}/.default"])
    assert "access_token" in result, result.get("error_description")
    page.goto(f"{origin}/portal/decoder")
    page.get_by_label("Token").fill(result["access_token"])
    page.get_by_role("button", name="Decode").click()
    assert "Signature verified" in page.inner_text(".verdicts")
    shot("token-decoder", "ToDoList.Read.All", daemon.app_id)

    phone = chromium.new_context(viewport=PHONE, ignore_https_errors=True, is_mobile=True)
    try:
        small = phone.new_page()
        sign_in(small, origin)
        small.goto(daemon_url)
        small.wait_for_selector("text=Essentials")
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the app overview scrolls sideways ({width} px)"
        small.screenshot(path=str(screenshots / "app-overview-390.png"), full_page=True)
    finally:
        phone.close()
