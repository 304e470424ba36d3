"""The Groups pages: the tenant's groups (created and deleted), one group's members (added by
name, removed), refusals shown on the page, names escaped."""

from __future__ import annotations

from portal_client import PortalClient, notices

from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

XSS = "<script>alert(1)</script>"


def test_groups_and_members(browser: PortalClient, platform: Platform, tenant: Tenant) -> None:
    d = platform.directory
    d.create_user(
        tenant=tenant.id, user_principal_name="adele@contoso.onmicrosoft.com", display_name=XSS
    )
    groups = f"/portal/tenants/{tenant.id}/groups"
    response = browser.submit(
        groups, groups, {"kind": "microsoft365", "display_name": "Sales", "description": "Deals"}
    )
    sales = d.get_group(tenant=tenant.id, key="Sales")
    assert sales.group_types == ["Unified"]
    members = f"{groups}/{sales.id}"
    assert response.url.path == members
    assert "Sales@contoso.onmicrosoft.com" in response.text
    response = browser.submit(members, f"{members}/members", {"member": "adele"})
    assert response.url.path == members
    assert XSS not in response.text
    assert "&lt;script&gt;" in response.text
    [member] = d.group_members(tenant=tenant.id, group=sales.id)

    browser.submit(groups, groups, {"kind": "security", "display_name": "Ops"})
    ops = d.get_group(tenant=tenant.id, key="Ops")
    refused = browser.submit(members, f"{members}/members", {"member": ops.id})
    assert any("Microsoft 365 group" in n for n in notices(refused.text))
    listing = browser.get(groups).text
    assert "Microsoft 365" in listing
    assert "Security" in listing

    browser.submit(members, f"{members}/members/{member.id}/delete")
    assert d.group_members(tenant=tenant.id, group=sales.id) == []
    browser.submit(groups, f"{groups}/{ops.id}/delete")
    assert [g.display_name for g in d.list_groups(tenant=tenant.id)] == ["Sales"]
