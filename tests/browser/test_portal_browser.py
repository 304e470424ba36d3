"""The quickstart clicked through in Chromium: register apps, add a secret, define a role on the
API, grant admin consent; then MSAL gets a token with that secret and the decoder shows the role.

Each page visited is screenshotted into a temporary folder (1280 px wide, one at 390 px); the
documentation's pictures come from test_readme_screenshots.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msal
import pytest

from tenantlab.ids import new_guid
from tenantlab.portal.admin import LocalAdministrator

pytestmark = pytest.mark.browser

PASSWORD = "Browser-Passw0rd!"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


class Portal:
    """One signed-in browser tab on the admin center, with screenshot and form helpers."""

    def __init__(self, page: Any, origin: str, screenshots: Path) -> None:
        self.page = page
        self.origin = origin
        self.screenshots = screenshots

    def open(self, path: str) -> None:
        self.page.goto(self.origin + path)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.screenshots / f"{name}.png"), full_page=True)

    def tab(self, label: str) -> None:
        self.page.locator("nav.tabs").get_by_role("link", name=label, exact=True).click()

    def copied(self, label: str) -> str:
        """The value behind a copy button (what a person would paste into their sample)."""
        value: str = self.page.get_by_label(f"Copy {label}", exact=True).get_attribute("data-copy")
        return value

    def notice(self) -> str:
        text: str = self.page.locator(".notice").first.inner_text()
        return text


@pytest.fixture
def portal(cloud: Any, chromium: Any, tmp_path: Path) -> Iterator[Portal]:
    # Pictures of this test's own tenants stay in a temporary folder: the documented ones come
    # from the quickstart's tenants (test_readme_screenshots.py).
    LocalAdministrator(cloud.home).set_password(PASSWORD)
    context = chromium.new_context(viewport=DESKTOP, ignore_https_errors=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        yield Portal(page, cloud.origin, tmp_path)
    finally:
        context.close()


def sign_in(portal: Portal, shot: bool = False) -> None:
    portal.open("/portal")
    page = portal.page
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    if shot:
        portal.shot("signin")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/tenants")


def create_tenant(portal: Portal, name: str) -> str:
    page = portal.page
    page.get_by_label("Organization name").fill(name)
    page.get_by_label("Initial domain name").fill(f"t{new_guid()[:8]}")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/portal/tenants/*")
    return portal.copied("tenant ID")


def register(portal: Portal, tenant_id: str, name: str, shot: bool = False) -> str:
    """Register an app the way the quickstart says; returns its client id."""
    page = portal.page
    portal.open(f"/portal/tenants/{tenant_id}/applications")
    page.get_by_role("link", name="+ New registration").click()
    page.get_by_label("Name *").fill(name)
    if shot:
        portal.shot("app-register")
    page.get_by_role("button", name="Register").click()
    page.wait_for_selector("text=Essentials")
    return portal.copied("application (client) ID")


def test_quickstart_in_the_admin_center_then_msal_and_the_decoder(
    portal: Portal, cloud: Any
) -> None:
    page = portal.page
    sign_in(portal, shot=True)
    tenant_id = create_tenant(portal, "Contoso Browser")
    portal.shot("tenant-overview")
    portal.page.locator("nav.sidenav").get_by_role("link", name="Tenants").click()
    portal.shot("tenants")

    # The ToDo API: an app role, an Application ID URI, token version 2 and idtyp.
    api_client_id = register(portal, tenant_id, "ciam-ToDoList-api", shot=True)
    portal.tab("App roles")
    page.get_by_label("Display name").fill("Read all to-do lists")
    page.get_by_label("Value").fill("ToDoList.Read.All")
    page.get_by_label("Description").fill("Allows the app to read every to-do list")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_selector("code.role-value:text-is('ToDoList.Read.All')")
    portal.shot("app-roles")
    portal.tab("Expose an API")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_selector(f"text=Application ID URI set to api://{api_client_id}")
    portal.shot("expose-an-api")
    portal.tab("Token configuration")
    page.locator("input[name=claim][value=idtyp]").check()
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_label("Access token version").select_option("2")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Saved the access token version")
    portal.shot("token-configuration")

    # The daemon: overview ids, a client secret, the API's role with admin consent.
    client_id = register(portal, tenant_id, "ciam-daemon-app")
    assert portal.copied("directory (tenant) ID") == tenant_id
    portal.shot("app-overview")
    portal.tab("Certificates & secrets")
    page.get_by_label("Description", exact=True).last.fill("daemon-secret")
    page.get_by_role("button", name="Add", exact=True).click()
    secret = portal.copied("secret value")
    assert len(secret) == 40
    portal.shot("certificates-and-secrets")
    portal.tab("API permissions")
    page.get_by_label("API").select_option(api_client_id)
    page.get_by_role("button", name="Select API").click()
    page.get_by_label("ToDoList.Read.All").check()
    page.get_by_role("button", name="Add permissions").click()
    assert "Not granted for Contoso Browser" in page.inner_text("table")
    page.get_by_role("button", name="Grant admin consent for Contoso Browser").click()
    page.wait_for_selector("text=Granted admin consent")
    assert "Granted for Contoso Browser" in page.inner_text("table")
    portal.shot("api-permissions")

    # The daemon's side: MSAL with the secret the page showed.
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=cloud.authority(tenant_id),
        instance_discovery=False,
    )
    result = app.acquire_token_for_client(scopes=[f"api://{api_client_id}/.default"])
    assert "access_token" in result, result.get("error_description")

    portal.open("/portal/decoder")
    page.get_by_label("Token").fill(result["access_token"])
    page.get_by_role("button", name="Decode").click()
    assert "Signature verified" in page.inner_text(".verdicts")
    assert "Not expired" in page.inner_text(".verdicts")
    roles = page.inner_text("#claim-roles")
    assert "ToDoList.Read.All" in roles
    assert "app" in page.inner_text("#claim-idtyp")
    assert "2.0" in page.inner_text("#claim-ver")
    portal.shot("token-decoder")


def test_users_keys_federation_and_a_phone_sized_screen(
    portal: Portal, cloud: Any, chromium: Any
) -> None:
    page = portal.page
    sign_in(portal)
    tenant_id = create_tenant(portal, "Fabrikam Browser")
    domain = cloud.directory.tenant_domains(tenant_id)[0]
    portal.open(f"/portal/tenants/{tenant_id}/users")
    for name, alias in (
        ("Adele Vance", "adele"),
        ("Alex Wilber", "alex"),
        ("Megan Bowen", "megan"),
    ):
        page.get_by_label("Display name").fill(name)
        page.locator("input[name=user_name]").fill(alias)
        page.get_by_role("button", name="Create").click()
        page.wait_for_selector(f"text=Created user {alias}@{domain}")
    portal.shot("users")

    portal.open(f"/portal/tenants/{tenant_id}/signing-keys")
    before = page.locator("tbody code").first.inner_text()
    page.get_by_role("button", name="Rotate key").click()
    page.wait_for_selector("text=now signs new tokens")
    assert page.locator("tbody code").first.inner_text() != before
    portal.shot("signing-keys")

    register(portal, tenant_id, "github-deployer")
    portal.tab("Federated credentials")
    page.get_by_label("Name").fill("github-main")
    page.get_by_label("Issuer").fill("https://token.actions.githubusercontent.com")
    page.get_by_label("Subject identifier").fill("repo:fabrikam/deployer:ref:refs/heads/main")
    page.get_by_role("button", name="Add").click()
    page.wait_for_selector("text=Added federated credential github-main")
    portal.shot("federated-credentials")
    overview = page.url.rsplit("/", 1)[0]

    phone = chromium.new_context(viewport=PHONE, ignore_https_errors=True, is_mobile=True)
    try:
        small = phone.new_page()
        mobile = Portal(small, cloud.origin, portal.screenshots)
        sign_in(mobile)
        for url in (
            f"{cloud.origin}/portal/tenants",
            f"{cloud.origin}/portal/tenants/{tenant_id}/users",
            f"{overview}/credentials",
            f"{overview}/api-permissions",
            f"{overview}/federated-credentials",
            f"{cloud.origin}/portal/decoder",
            overview,
        ):
            small.goto(url)
            width = small.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{url} scrolls sideways at 390 px ({width} px wide)"
        small.wait_for_selector("text=Essentials")
        mobile.shot("app-overview-390")
    finally:
        phone.close()


def test_groups_and_a_groups_members(portal: Portal, cloud: Any, chromium: Any) -> None:
    page = portal.page
    sign_in(portal)
    tenant_id = create_tenant(portal, "Groups Browser")
    domain = cloud.directory.tenant_domains(tenant_id)[0]
    cloud.directory.create_user(
        tenant=tenant_id, user_principal_name=f"adele@{domain}", display_name="Adele Vance"
    )
    portal.open(f"/portal/tenants/{tenant_id}/groups")
    page.get_by_label("Group type").select_option("microsoft365")
    page.get_by_label("Group name").fill("Sales")
    page.get_by_role("button", name="Create").click()
    page.wait_for_selector("text=Created group Sales")
    page.get_by_label("User, group or app").fill("adele")
    page.get_by_role("button", name="Add").click()
    page.wait_for_selector("text=Added Adele Vance")
    assert "Adele Vance" in page.locator("table").inner_text()
    portal.shot("group-members")
    portal.open(f"/portal/tenants/{tenant_id}/groups")
    assert "Microsoft 365" in page.locator("table").inner_text()
    portal.shot("groups")
