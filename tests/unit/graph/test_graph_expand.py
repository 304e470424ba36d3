"""`$expand` on users, groups and service principals, with Graph's limits and 400s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

DOMAIN = "contoso.onmicrosoft.com"


@pytest.fixture
def world(platform: Platform, tenant: Tenant) -> dict[str, Any]:
    directory = platform.directory
    adele = directory.create_user(
        tenant=tenant.id, user_principal_name=f"adele@{DOMAIN}", display_name="Adele"
    )
    pilots = directory.create_group(tenant=tenant.id, display_name="Pilots", mail_nickname="p")
    directory.add_group_member(tenant=tenant.id, group=pilots.id, member=adele.id)
    directory.add_group_owner(tenant=tenant.id, group=pilots.id, owner=adele.id)
    return {"adele": adele, "pilots": pilots}


@pytest.fixture
def reader(as_app: Callable[..., Any]) -> Any:
    return as_app("Directory.Read.All")


def test_user_member_of_expands_with_select(reader: Any, world: dict[str, Any]) -> None:
    adele, pilots = world["adele"], world["pilots"]
    one = reader.get(f"/v1.0/users/{adele.id}?$expand=memberOf($select=id,displayName)")
    assert one.status_code == 200, one.text
    assert one.json()["memberOf"] == [
        {"@odata.type": "#microsoft.graph.group", "id": pilots.id, "displayName": "Pilots"}
    ]
    listed = reader.get("/v1.0/users?$select=id,displayName&$expand=memberOf").json()["value"]
    by_id = {u["id"]: u for u in listed}
    assert [g["id"] for g in by_id[adele.id]["memberOf"]] == [pilots.id]


def test_group_members_and_owners_expand(reader: Any, world: dict[str, Any]) -> None:
    adele, pilots = world["adele"], world["pilots"]
    body = reader.get(f"/v1.0/groups/{pilots.id}?$expand=members,owners($select=id)").json()
    assert [(m["@odata.type"], m["id"]) for m in body["members"]] == [
        ("#microsoft.graph.user", adele.id)
    ]
    assert body["members"][0]["userPrincipalName"] == f"adele@{DOMAIN}"
    assert body["owners"] == [{"@odata.type": "#microsoft.graph.user", "id": adele.id}]


def test_expanded_collections_hold_at_most_twenty(
    reader: Any, platform: Platform, tenant: Tenant, world: dict[str, Any]
) -> None:
    pilots = world["pilots"]
    for i in range(25):
        user = platform.directory.create_user(
            tenant=tenant.id, user_principal_name=f"u{i}@{DOMAIN}", display_name=f"U{i}"
        )
        platform.directory.add_group_member(tenant=tenant.id, group=pilots.id, member=user.id)
    body = reader.get(f"/v1.0/groups/{pilots.id}?$expand=members").json()
    assert len(body["members"]) == 20


def test_service_principal_app_role_assignments_expand(
    as_app: Callable[..., Any], platform: Platform, tenant: Tenant
) -> None:
    manager = as_app("Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All")
    app = platform.directory.create_application(tenant=tenant.id, display_name="Daemon")
    platform.directory.grant_app_role(
        tenant=tenant.id,
        client=app.app_id,
        resource="https://graph.microsoft.com",
        role="User.Read.All",
    )
    sp = platform.directory.get_service_principal(tenant=tenant.id, key=app.app_id)
    body = manager.get(f"/v1.0/servicePrincipals/{sp.id}?$expand=appRoleAssignments").json()
    assert [a["principalId"] for a in body["appRoleAssignments"]] == [sp.id]
    assert body["appRoleAssignments"][0]["resourceDisplayName"] == "Microsoft Graph"


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        (
            "/v1.0/users?$expand=nonsense",
            "Request_BadRequest",
            "Could not find a property named 'nonsense' on type 'microsoft.graph.user'.",
        ),
        (
            "/v1.0/users?$expand=displayName",
            "Request_BadRequest",
            "Property 'displayName' on type 'microsoft.graph.user' is not a navigation property "
            "or complex property. Only navigation properties can be expanded.",
        ),
        ("/v1.0/users?$expand=manager", "Request_UnsupportedQuery", "not modelled"),
        (
            "/v1.0/groups?$expand=members($expand=memberOf)",
            "Request_UnsupportedQuery",
            "Nested $expand",
        ),
        ("/v1.0/groups?$expand=members($top=5)", "Request_UnsupportedQuery", "Only $select"),
        ("/v1.0/groups?$expand=members,members", "BadRequest", "expanded twice"),
        ("/v1.0/groups?$expand=members(", "BadRequest", "Invalid $expand"),
        (
            "/v1.0/users?$expand=memberOf($select=nonsense)",
            "Request_BadRequest",
            "Could not find a property named 'nonsense'",
        ),
        ("/v1.0/applications?$expand=owners", "Request_UnsupportedQuery", "$expand"),
    ],
)
def test_what_cannot_expand_is_graphs_400(
    reader: Any, world: dict[str, Any], url: str, code: str, message: str
) -> None:
    response = reader.get(url)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert message in error["message"]


def test_an_expansion_costs_one_resource_unit_more(
    platform: Platform, tenant: Tenant, world: dict[str, Any], reader: Any
) -> None:
    platform.directory.set_graph_throttling(tenant=tenant.id, enabled=True)
    plain = reader.get("/v1.0/users")
    expanded = reader.get("/v1.0/users?$expand=memberOf")
    assert (plain.headers["x-ms-resource-unit"], expanded.headers["x-ms-resource-unit"]) == (
        "2",
        "3",
    )
