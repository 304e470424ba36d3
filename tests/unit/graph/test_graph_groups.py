"""Graph `/groups`, members and owners by `$ref`, memberOf, and the membership actions, in
process: shapes, permissions, paging, `$filter` on groupTypes, and Graph's 400/404 envelopes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

AsApp = Callable[..., Any]
GraphClient = Any
WRITE = "Group.ReadWrite.All"
READ = "Group.Read.All"
REF = "https://graph.microsoft.com/v1.0/directoryObjects/"


def _group(client: GraphClient, name: str, **extra: Any) -> dict[str, Any]:
    body = {
        "displayName": name,
        "mailEnabled": False,
        "mailNickname": name.lower().replace(" ", ""),
        "securityEnabled": True,
        **extra,
    }
    response = client.post("/v1.0/groups", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _user(platform: Platform, tenant: Tenant, alias: str) -> str:
    return platform.directory.create_user(
        tenant=tenant.id, user_principal_name=f"{alias}@contoso.onmicrosoft.com", display_name=alias
    ).id


def test_create_list_get_update_delete(as_app: AsApp) -> None:
    client = as_app(WRITE)
    created = _group(client, "Ops Team", description="On call")
    assert created["@odata.context"].endswith("$metadata#groups/$entity")
    assert created["securityEnabled"] is True
    assert created["groupTypes"] == []
    assert created["securityIdentifier"].startswith("S-1-12-1-")
    assert list(created)[1:3] == ["id", "deletedDateTime"]
    m365 = _group(
        client,
        "Sales",
        groupTypes=["Unified"],
        mailEnabled=True,
        securityEnabled=False,
    )
    assert m365["mail"] == "sales@contoso.onmicrosoft.com"
    assert m365["proxyAddresses"] == ["SMTP:sales@contoso.onmicrosoft.com"]

    listed = client.get("/v1.0/groups", params={"$select": "displayName,groupTypes"}).json()
    assert listed["@odata.context"].endswith("#groups(displayName,groupTypes)")
    assert sorted(g["displayName"] for g in listed["value"]) == ["Ops Team", "Sales"]
    assert set(listed["value"][0]) == {"displayName", "groupTypes", "id"}

    unified = client.get(
        "/v1.0/groups", params={"$filter": "groupTypes/any(c:c eq 'Unified')"}
    ).json()
    assert [g["id"] for g in unified["value"]] == [m365["id"]]
    security = client.get(
        "/v1.0/groups", params={"$filter": "not(groupTypes/any(c:c eq 'unified'))"}
    ).json()
    assert [g["id"] for g in security["value"]] == [created["id"]]

    assert (
        client.patch(f"/v1.0/groups/{created['id']}", json={"description": "x"}).status_code == 204
    )
    got = client.get(f"/v1.0/groups/{created['id']}", params={"$select": "description"}).json()
    assert got == {
        "@odata.context": got["@odata.context"],
        "description": "x",
        "id": created["id"],
    }
    assert got["@odata.context"].endswith("#groups(description)/$entity")
    assert client.delete(f"/v1.0/groups/{created['id']}").status_code == 204
    assert client.get(f"/v1.0/groups/{created['id']}").status_code == 404


def test_members_by_ref_transitive_members_and_member_of(
    as_app: AsApp, platform: Platform, tenant: Tenant
) -> None:
    client = as_app(WRITE)
    adele = _user(platform, tenant, "adele")
    outer = _group(client, "Outer")["id"]
    inner = _group(client, "Inner", **{"members@odata.bind": [REF + adele]})["id"]
    added = client.post(f"/v1.0/groups/{outer}/members/$ref", json={"@odata.id": REF + inner})
    assert added.status_code == 204, added.text

    members = client.get(f"/v1.0/groups/{outer}/members").json()
    assert members["@odata.context"].endswith("$metadata#directoryObjects")
    assert [(m["@odata.type"], m["id"]) for m in members["value"]] == [
        ("#microsoft.graph.group", inner)
    ]
    transitive = client.get(
        f"/v1.0/groups/{outer}/transitiveMembers",
        params={"$select": "displayName,userPrincipalName"},
    ).json()["value"]
    by_id = {m["id"]: m for m in transitive}
    assert by_id[adele] == {
        "@odata.type": "#microsoft.graph.user",
        "displayName": "adele",
        "userPrincipalName": "adele@contoso.onmicrosoft.com",
        "id": adele,
    }
    assert by_id[inner] == {
        "@odata.type": "#microsoft.graph.group",
        "displayName": "Inner",
        "id": inner,
    }

    direct = client.get("/v1.0/users/adele@contoso.onmicrosoft.com/memberOf").json()["value"]
    assert [g["id"] for g in direct] == [inner]
    everything = client.get(f"/v1.0/users/{adele}/transitiveMemberOf").json()["value"]
    assert {g["id"] for g in everything} == {inner, outer}

    groups = client.post(f"/v1.0/users/{adele}/getMemberGroups", json={"securityEnabledOnly": True})
    assert groups.json()["@odata.context"].endswith("$metadata#Collection(Edm.String)")
    assert sorted(groups.json()["value"]) == sorted([inner, outer])
    objects = client.post(
        f"/v1.0/directoryObjects/{adele}/getMemberObjects", json={"securityEnabledOnly": False}
    )
    assert sorted(objects.json()["value"]) == sorted([inner, outer])
    checked = client.post(
        f"/v1.0/users/{adele}/checkMemberGroups",
        json={"groupIds": [outer.upper(), "0f6a2b5e-1d7c-4a55-9a0e-111111111111"]},
    )
    assert checked.json()["value"] == [outer]

    removed = client.delete(f"/v1.0/groups/{outer}/members/{inner}/$ref")
    assert removed.status_code == 204
    assert client.get(f"/v1.0/users/{adele}/transitiveMemberOf").json()["value"][0]["id"] == inner


def test_service_principal_members_and_owners(
    as_app: AsApp, platform: Platform, tenant: Tenant
) -> None:
    client = as_app(WRITE)
    app = platform.directory.create_application(tenant=tenant.id, display_name="Daemon")
    sp = platform.directory.get_service_principal(tenant=tenant.id, key=app.app_id)
    adele = _user(platform, tenant, "adele")
    group = _group(client, "Apps")["id"]
    assert (
        client.post(
            f"/v1.0/groups/{group}/members/$ref", json={"@odata.id": REF + sp.id}
        ).status_code
        == 204
    )
    assert (
        client.post(
            f"/v1.0/groups/{group}/owners/$ref", json={"@odata.id": REF + adele}
        ).status_code
        == 204
    )
    owners = client.get(f"/v1.0/groups/{group}/owners").json()["value"]
    assert [(o["@odata.type"], o["id"]) for o in owners] == [("#microsoft.graph.user", adele)]
    member_of = client.get(f"/v1.0/servicePrincipals/{sp.id}/memberOf").json()["value"]
    assert [g["id"] for g in member_of] == [group]
    by_app_id = client.get(f"/v1.0/servicePrincipals(appId='{app.app_id}')/memberOf").json()
    assert [g["id"] for g in by_app_id["value"]] == [group]
    assert client.delete(f"/v1.0/groups/{group}/owners/{adele}/$ref").status_code == 204


def test_relationship_pages(as_app: AsApp, platform: Platform, tenant: Tenant) -> None:
    client = as_app(WRITE)
    ids = sorted(_user(platform, tenant, f"user{i}") for i in range(5))
    group = _group(client, "Many")["id"]
    for user_id in ids:
        platform.directory.add_group_member(tenant=tenant.id, group=group, member=user_id)
    seen: list[str] = []
    url: str | None = f"/v1.0/groups/{group}/members?$top=2&$select=id"
    while url:
        page = client.get(url).json()
        seen += [m["id"] for m in page["value"]]
        url = page.get("@odata.nextLink")
        if url:
            assert "$top=2" in url
            url = url.split("/v1.0", 1)[1]
            url = "/v1.0" + url
    assert seen == ids


@pytest.mark.parametrize(
    ("roles", "method", "path", "status"),
    [
        ((), "GET", "/v1.0/groups", 403),
        (("User.Read.All",), "GET", "/v1.0/groups", 403),
        (("GroupMember.Read.All",), "GET", "/v1.0/groups", 200),
        (("Group.Read.All",), "GET", "/v1.0/groups", 200),
        (("Directory.Read.All",), "GET", "/v1.0/groups", 200),
        ((READ,), "POST", "/v1.0/groups", 403),
        (("GroupMember.ReadWrite.All",), "POST", "/v1.0/groups", 403),
    ],
)
def test_permissions(
    as_app: AsApp, roles: tuple[str, ...], method: str, path: str, status: int
) -> None:
    client = as_app(*roles)
    body = {"displayName": "G", "mailEnabled": False, "mailNickname": "g", "securityEnabled": True}
    response = client.request(method, path, json=body if method == "POST" else None)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["error"]["code"] == "Authorization_RequestDenied"


def test_group_member_read_write_may_add_members_but_not_create_groups(
    as_app: AsApp, platform: Platform, tenant: Tenant
) -> None:
    group = platform.directory.create_group(tenant=tenant.id, display_name="G", mail_nickname="g")
    adele = _user(platform, tenant, "adele")
    client = as_app("GroupMember.ReadWrite.All")
    response = client.post(f"/v1.0/groups/{group.id}/members/$ref", json={"@odata.id": REF + adele})
    assert response.status_code == 204
    assert client.patch(f"/v1.0/groups/{group.id}", json={"description": "x"}).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "message"),
    [
        ("POST", "/v1.0/groups", {"displayName": "G"}, 400, "Request_BadRequest", "mailEnabled"),
        (
            "POST",
            "/v1.0/groups",
            {"displayName": "G", "mailEnabled": True, "mailNickname": "g", "securityEnabled": True},
            400,
            "Request_BadRequest",
            "mail-enabled groups",
        ),
        (
            "POST",
            "/v1.0/groups",
            {"displayName": "G", "mailEnabled": "no", "mailNickname": "g", "securityEnabled": True},
            400,
            "Request_BadRequest",
            "Edm.Boolean",
        ),
        (
            "POST",
            "/v1.0/groups",
            {
                "displayName": "G",
                "mailEnabled": False,
                "mailNickname": "g",
                "securityEnabled": True,
                "color": "red",
            },
            400,
            "Request_BadRequest",
            "Property 'color' does not exist",
        ),
        (
            "GET",
            "/v1.0/groups/not-a-guid",
            None,
            400,
            "Request_BadRequest",
            "Invalid object identifier",
        ),
        (
            "GET",
            "/v1.0/groups/0f6a2b5e-1d7c-4a55-9a0e-111111111111",
            None,
            404,
            "Request_ResourceNotFound",
            "does not exist",
        ),
        ("GET", "/v1.0/groups?$select=nope", None, 400, "Request_BadRequest", "'nope'"),
        (
            "GET",
            "/v1.0/groups?$filter=groupTypes/any(c:d eq 'Unified')",
            None,
            400,
            "BadRequest",
            "lambda",
        ),
        (
            "GET",
            "/v1.0/groups?$filter=groupTypes eq 'Unified'",
            None,
            400,
            "Request_UnsupportedQuery",
            "groupTypes",
        ),
    ],
)
def test_bad_input_on_groups(
    as_app: AsApp,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    code: str,
    message: str,
) -> None:
    response = as_app(WRITE).request(method, path, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert message in error["message"]


def test_bad_input_on_members(as_app: AsApp, platform: Platform, tenant: Tenant) -> None:
    client = as_app(WRITE)
    adele = _user(platform, tenant, "adele")
    group = _group(client, "G")["id"]
    m365 = _group(client, "M", groupTypes=["Unified"], mailEnabled=True)["id"]
    ref = f"/v1.0/groups/{group}/members/$ref"

    def error(response: Any, status: int) -> dict[str, Any]:
        assert response.status_code == status, response.text
        return response.json()["error"]  # type: ignore[no-any-return]

    itself = error(client.post(ref, json={"@odata.id": REF + group}), 400)
    assert itself == {
        **itself,
        "code": "Request_BadRequest",
        "message": "A group cannot be added as a member of itself.",
    }
    nested = error(
        client.post(f"/v1.0/groups/{m365}/members/$ref", json={"@odata.id": REF + group}), 400
    )
    assert "Microsoft 365 group" in nested["message"]
    assert client.post(ref, json={"@odata.id": REF + adele}).status_code == 204
    twice = error(client.post(ref, json={"@odata.id": REF + adele}), 400)
    assert twice["message"].startswith("One or more added object references already exist")
    missing = error(
        client.post(ref, json={"@odata.id": REF + "0f6a2b5e-1d7c-4a55-9a0e-111111111111"}), 404
    )
    assert missing["code"] == "Request_ResourceNotFound"
    assert (
        "Invalid URL" in error(client.post(ref, json={"@odata.id": "https://x/y"}), 400)["message"]
    )
    assert error(client.post(ref, json={}), 400)["code"] == "Request_BadRequest"
    assert error(client.post(ref, content=b"[1]"), 400)["code"] == "BadRequest"
    too_many = {"groupIds": [group] * 21}
    assert (
        "at most 20"
        in error(client.post(f"/v1.0/users/{adele}/checkMemberGroups", json=too_many), 400)[
            "message"
        ]
    )
    assert (
        error(client.post(f"/v1.0/users/{adele}/getMemberGroups", json={}), 400)["code"]
        == "Request_BadRequest"
    )
    not_member = error(client.delete(f"/v1.0/groups/{m365}/members/{adele}/$ref"), 404)
    assert not_member["code"] == "Request_ResourceNotFound"
    # A group is not a user: /users/{group id}/memberOf is a 404, as in Graph.
    assert (
        error(client.get(f"/v1.0/users/{group}/memberOf"), 404)["code"]
        == "Request_ResourceNotFound"
    )
    unsupported = error(client.get(f"/v1.0/groups/{group}/members?$filter=displayName eq 'x'"), 400)
    assert unsupported["code"] == "Request_UnsupportedQuery"


def test_graph_names_members_by_object_id_only(
    as_app: AsApp, platform: Platform, tenant: Tenant
) -> None:
    """The CLI's conveniences (an appId, a group's name) are not Graph's: 404 there."""
    client = as_app(WRITE)
    app = platform.directory.create_application(tenant=tenant.id, display_name="Daemon")
    group = _group(client, "G")["id"]
    by_app_id = client.post(
        f"/v1.0/groups/{group}/members/$ref", json={"@odata.id": REF + app.app_id}
    )
    assert by_app_id.status_code == 404
    assert client.get("/v1.0/users/G/memberOf").status_code == 404
