"""Issue 12 #14: every admin center page fits at 1280 px and at 390 px.

Nothing scrolls the page sideways, nothing spills out of its card (tables scroll inside their
own `.table-wrap`, by design), dates do not break inside, and the 404 page keeps the navigation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import msal
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from tenantlab.directory.audits import AuditQuery, list_audits
from tenantlab.directory.sign_ins import SignInQuery, list_sign_ins
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, new_guid
from tenantlab.keys.client_certificates import self_signed_certificate
from tenantlab.portal.admin import LocalAdministrator

pytestmark = pytest.mark.browser

PASSWORD = "Layout-Passw0rd!"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# Elements that stick out of the viewport or of their card; `.table-wrap` scrolls on purpose.
OVERFLOW = """
() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    problems.push(`the page is ${root.scrollWidth} px wide in a ${root.clientWidth} px window`);
  }
  const name = (el) => {
    const classes = typeof el.className === 'string' ? el.className.trim() : '';
    const text = (el.innerText || '').trim().slice(0, 40);
    return `${el.tagName.toLowerCase()}${classes ? '.' + classes.split(/\\s+/).join('.') : ''}`
      + ` "${text}"`;
  };
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('.table-wrap') || el.closest('.tabs')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const card = el.parentElement && el.parentElement.closest('.card');
    if (card) {
      const c = card.getBoundingClientRect();
      if (box.right > c.right + 1 || box.left < c.left - 1) {
        const at = (b) => `${Math.round(b.left)}-${Math.round(b.right)}`;
        problems.push(`${name(el)} spills out of its card (${at(box)} vs ${at(c)})`);
      }
    }
  }
  for (const el of document.querySelectorAll('time, .date')) {
    if (el.getClientRects().length > 1) problems.push(`date ${name(el)} breaks over lines`);
  }
  return problems;
}
"""


@pytest.fixture(scope="module")
def tenant_pages(cloud: Any) -> list[str]:
    """A tenant with something on every page: apps, roles, scopes, secrets, a certificate,
    federated credentials, consent (configured and not), users."""
    d = cloud.directory
    tenant = d.create_tenant(display_name="Layout Contoso", domain=f"layout{new_guid()[:8]}")
    api = d.create_application(
        tenant=tenant.id,
        display_name="ciam-ToDoList-api with a long display name",
        identifier_uris=["api://{appId}"],
    )
    for value in ("ToDoList.Read.All", "ToDoList.ReadWrite.All"):
        d.add_app_role(
            tenant=tenant.id,
            app=api.id,
            value=value,
            description="Allow the app to read and write every to-do list of every user",
        )
    d.add_permission_scope(tenant=tenant.id, app=api.id, value="ToDoList.Read")
    app = d.create_application(tenant=tenant.id, display_name="ciam-daemon-app")
    d.add_password(tenant=tenant.id, app=app.app_id, display_name="daemon-secret")
    _key, cert = self_signed_certificate(
        "ciam-daemon-app-certificate-with-a-long-subject", start=dt.datetime.now(dt.UTC), days=365
    )
    d.add_certificate(
        tenant=tenant.id, app=app.app_id, certificate_pem_or_der=cert.public_bytes(Encoding.PEM)
    )
    d.add_federated_credential(
        tenant=tenant.id,
        app=app.app_id,
        name="github-main",
        issuer="https://token.actions.githubusercontent.com",
        subject="repo:contoso/a-rather-long-repository-name:ref:refs/heads/main",
        audiences=["api://AzureADTokenExchange"],
    )
    for resource, role in (
        (api.app_id, "ToDoList.Read.All"),
        (MICROSOFT_GRAPH_APP_ID, "User.Read.All"),
    ):
        d.grant_app_role(tenant=tenant.id, client=app.app_id, resource=resource, role=role)
    domain = d.tenant_domains(tenant.id)[0]
    d.create_user(
        tenant=tenant.id,
        user_principal_name=f"adele@{domain}",
        display_name="Adele Vance",
        password="Adele-Passw0rd!",
    )
    # A failed sign-in (its detail pane explains the code) and the newest change's audit record.
    msal.ConfidentialClientApplication(
        app.app_id,
        client_credential="not-the-secret",
        authority=cloud.authority(tenant.id),
        instance_discovery=False,
    ).acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    cloud.platform.sign_ins.flush()
    (sign_in,) = list_sign_ins(cloud.platform.database, SignInQuery(tenant_id=tenant.id, top=1))
    audit = list_audits(cloud.platform.database, AuditQuery(tenant_id=tenant.id, top=1))[0]
    t = f"/portal/tenants/{tenant.id}"
    a = f"{t}/applications/{app.id}"
    return [
        "/portal/tenants",
        t,
        f"{t}/users",
        f"{t}/managed-identities",
        f"{t}/signing-keys",
        f"{t}/sign-in-logs?id={sign_in.id}",
        f"{t}/audit-logs",
        f"{t}/audit-logs?id={audit.id}",
        f"{t}/applications",
        f"{t}/applications/new",
        a,
        f"{a}/credentials",
        f"{a}/federated-credentials",
        f"{a}/app-roles",
        f"{a}/expose-an-api",
        f"{a}/api-permissions",
        f"{a}/api-permissions?api={MICROSOFT_GRAPH_APP_ID}",
        f"{a}/api-permissions?api={api.app_id}",
        f"{a}/token-configuration",
        f"{t}/applications/{api.id}/app-roles",
        f"{t}/applications/{api.id}/expose-an-api",
        "/portal/decoder",
        "/portal/no-such-page",
    ]


@pytest.fixture(params=sorted(WIDTHS))
def signed_in(request: pytest.FixtureRequest, cloud: Any, chromium: Any) -> Iterator[Any]:
    LocalAdministrator(cloud.home).set_password(PASSWORD)
    context = chromium.new_context(
        viewport=WIDTHS[request.param], ignore_https_errors=True, is_mobile=request.param == "phone"
    )
    page = context.new_page()
    try:
        page.goto(cloud.origin + "/portal/signin")
        page.get_by_label("User name").fill("admin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/portal/tenants")
        yield page
    finally:
        context.close()


def test_no_page_overflows(signed_in: Any, cloud: Any, tenant_pages: list[str]) -> None:
    page = signed_in
    found = {}
    for path in tenant_pages:
        page.goto(cloud.origin + path)
        problems = page.evaluate(OVERFLOW)
        if problems:
            found[path] = problems
    assert found == {}, "\n".join(f"{path}: {p}" for path, ps in found.items() for p in ps)


def test_the_404_page_keeps_the_navigation(signed_in: Any, cloud: Any) -> None:
    page = signed_in
    response = page.goto(cloud.origin + "/portal/no-such-page")
    assert response is not None
    assert response.status == 404
    assert page.locator("nav.sidenav").get_by_role("link", name="Tenants").count() == 1
