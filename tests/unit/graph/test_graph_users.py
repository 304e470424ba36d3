"""`/users`: Graph's shapes, OData options, paging, and the write path's validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenantlab.graph.shapes import USER_DEFAULT_PROPERTIES
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

DOMAIN = "contoso.onmicrosoft.com"


def add_users(platform: Platform, tenant: Tenant, names: list[str]) -> None:
    for name in names:
        platform.directory.create_user(
            tenant=tenant.id,
            user_principal_name=f"{name.lower()}@{DOMAIN}",
            display_name=name,
            given_name=name,
            job_title="Engineer" if name < "M" else "Designer",
        )


@pytest.fixture
def reader(as_app: Callable[..., Any]) -> Any:
    return as_app("User.Read.All")


def test_list_has_graph_default_properties_and_context(
    platform: Platform, tenant: Tenant, reader: Any
) -> None:
    add_users(platform, tenant, ["Adele"])
    body = reader.get("/v1.0/users").json()
    assert body["@odata.context"] == "https://localhost:5443/v1.0/$metadata#users"
    assert "@odata.nextLink" not in body
    [adele] = body["value"]
    assert set(adele) == set(USER_DEFAULT_PROPERTIES)
    assert adele["userPrincipalName"] == f"adele@{DOMAIN}"
    assert adele["businessPhones"] == []


def test_an_empty_segment_after_the_version_is_ignored(
    platform: Platform, tenant: Tenant, reader: Any
) -> None:
    """msgraph-sdk's default client asks for `/v1.0//users` (its base URL ends with a slash)."""
    add_users(platform, tenant, ["Adele"])
    response = reader.get("/v1.0//users")
    assert response.status_code == 200
    assert [u["displayName"] for u in response.json()["value"]] == ["Adele"]


def test_select_returns_only_those_properties(
    platform: Platform, tenant: Tenant, reader: Any
) -> None:
    add_users(platform, tenant, ["Adele"])
    body = reader.get("/v1.0/users", params={"$select": "displayName,accountEnabled"}).json()
    assert body["@odata.context"].endswith("#users(displayName,accountEnabled)")
    assert set(body["value"][0]) == {"displayName", "accountEnabled", "id"}


def test_select_of_an_unknown_property_is_400(reader: Any) -> None:
    response = reader.get("/v1.0/users", params={"$select": "shoeSize"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."
    )


@pytest.mark.parametrize("top", ["0", "1000", "-1"])
def test_top_outside_1_to_999_is_graphs_400(reader: Any, top: str) -> None:
    response = reader.get("/v1.0/users", params={"$top": top})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "Request_BadRequest"
    assert error["message"] == (
        f"Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive."
    )


@pytest.mark.parametrize("top", ["1", "999"])
def test_top_bounds_are_inclusive(
    platform: Platform, tenant: Tenant, reader: Any, top: str
) -> None:
    add_users(platform, tenant, ["Adele", "Bianca"])
    body = reader.get("/v1.0/users", params={"$top": top}).json()
    assert len(body["value"]) == min(int(top), 2)
    assert ("@odata.nextLink" in body) == (top == "1")


def test_skip_is_not_supported(reader: Any) -> None:
    response = reader.get("/v1.0/users", params={"$skip": "10"})
    assert response.status_code == 400


def collect(reader: Any, url: str, between: Callable[[int], None] | None = None) -> list[str]:
    ids: list[str] = []
    pages = 0
    while url:
        body = reader.get(url).json()
        ids += [u["id"] for u in body["value"]]
        url = body.get("@odata.nextLink", "")
        pages += 1
        if between is not None and url:
            between(pages)
    return ids


def test_paging_follows_next_links_verbatim(
    platform: Platform, tenant: Tenant, reader: Any
) -> None:
    add_users(platform, tenant, [f"User{i:03}" for i in range(25)])
    ids = collect(reader, "/v1.0/users?$top=10&$select=displayName")
    assert len(ids) == 25
    assert len(set(ids)) == 25


@pytest.mark.parametrize("order", [None, "displayName", "displayName desc", "userPrincipalName"])
def test_inserts_between_pages_neither_skip_nor_repeat(
    platform: Platform, tenant: Tenant, reader: Any, order: str | None
) -> None:
    add_users(platform, tenant, [f"User{i:03}" for i in range(30)])
    before = {u.id for u in platform.directory.list_users(tenant=tenant.id)}

    def insert(page: int) -> None:
        # Names that sort before, among and after the ones already read.
        add_users(platform, tenant, [f"A-new{page}", f"User{page:03}x", f"Z-new{page}"])

    url = "/v1.0/users?$top=7" + (f"&$orderby={order}" if order else "")
    seen = collect(reader, url, insert)
    assert len(seen) == len(set(seen)), "an object was returned twice"
    assert before <= set(seen), "an object that existed before paging began was skipped"


def test_a_tampered_skiptoken_is_400(reader: Any) -> None:
    response = reader.get("/v1.0/users", params={"$skiptoken": "garbage"})
    assert response.status_code == 400


def test_orderby_display_name_descending(platform: Platform, tenant: Tenant, reader: Any) -> None:
    add_users(platform, tenant, ["Bianca", "Adele", "Cecil"])
    body = reader.get("/v1.0/users", params={"$orderby": "displayName desc"}).json()
    assert [u["displayName"] for u in body["value"]] == ["Cecil", "Bianca", "Adele"]


def test_orderby_a_property_graph_cannot_sort_is_400(reader: Any) -> None:
    response = reader.get("/v1.0/users", params={"$orderby": "jobTitle"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "Request_UnsupportedQuery"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("displayName eq 'adele'", ["Adele"]),  # directory strings match case-insensitively
        ("startswith(displayName,'b')", ["Bianca", "Bob"]),
        ("startswith(displayName,'B') and jobTitle eq 'Engineer'", ["Bianca", "Bob"]),
        ("displayName eq 'Adele' or displayName eq 'Cecil'", ["Adele", "Cecil"]),
        ("userPrincipalName in ('bob@contoso.onmicrosoft.com', 'x@y.z')", ["Bob"]),
        ("not(startswith(displayName,'B'))", ["Adele", "Cecil", "Megan"]),
        ("jobTitle eq 'Designer'", ["Megan"]),
        ("accountEnabled eq true and (displayName eq 'Megan')", ["Megan"]),
        ("displayName eq 'O''Brien'", []),
    ],
)
def test_filter(
    platform: Platform, tenant: Tenant, reader: Any, expression: str, expected: list[str]
) -> None:
    add_users(platform, tenant, ["Adele", "Bianca", "Bob", "Cecil", "Megan"])
    body = reader.get("/v1.0/users", params={"$filter": expression, "$orderby": "displayName"})
    assert body.status_code == 200, body.text
    assert [u["displayName"] for u in body.json()["value"]] == expected


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("shoeSize eq 42", "Request_UnsupportedQuery"),
        ("id startswith 'a'", "BadRequest"),
        ("startswith(id,'a')", "Request_UnsupportedQuery"),
        ("displayName eq", "BadRequest"),
        ("displayName eq 'x' and", "BadRequest"),
        ("displayName gt 'x'", "BadRequest"),
        ("(displayName eq 'x'", "BadRequest"),
        ("accountEnabled eq 'yes'", "Request_UnsupportedQuery"),
    ],
)
def test_bad_filters_are_400(reader: Any, expression: str, code: str) -> None:
    response = reader.get("/v1.0/users", params={"$filter": expression})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code


def test_count_needs_consistency_level_eventual(
    platform: Platform, tenant: Tenant, reader: Any
) -> None:
    add_users(platform, tenant, ["Adele", "Bianca", "Bob"])
    refused = reader.get("/v1.0/users", params={"$count": "true"})
    assert refused.status_code == 400
    params = {"$count": "true", "$top": "1", "$filter": "startswith(displayName,'B')"}
    body = reader.get("/v1.0/users", params=params, headers={"ConsistencyLevel": "eventual"})
    assert body.json()["@odata.count"] == 2
    assert len(body.json()["value"]) == 1
    counted = reader.get("/v1.0/users/$count", headers={"ConsistencyLevel": "eventual"})
    assert counted.text == "3"
    assert counted.headers["content-type"].startswith("text/plain")


def test_get_by_id_and_by_user_principal_name(
    platform: Platform, tenant: Tenant, reader: Any
) -> None:
    add_users(platform, tenant, ["Adele"])
    by_upn = reader.get(f"/v1.0/users/ADELE@{DOMAIN}").json()
    assert by_upn["@odata.context"].endswith("#users/$entity")
    by_id = reader.get(f"/v1.0/users/{by_upn['id']}").json()
    assert by_id["displayName"] == "Adele"


def test_a_missing_user_is_404_resource_not_found(reader: Any) -> None:
    response = reader.get("/v1.0/users/nobody@contoso.onmicrosoft.com")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "Request_ResourceNotFound"
    assert "nobody@contoso.onmicrosoft.com" in error["message"]


NEW_USER = {
    "accountEnabled": True,
    "displayName": "Adele Vance",
    "mailNickname": "adelev",
    "userPrincipalName": f"adelev@{DOMAIN}",
    "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "xWwvJ]6NMw+bWH-d"},
}


def test_create_update_delete_a_user(manager: Any) -> None:
    created = manager.post("/v1.0/users", json=NEW_USER)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["userPrincipalName"] == NEW_USER["userPrincipalName"]
    assert "passwordProfile" not in user
    assert NEW_USER["passwordProfile"]["password"] not in created.text  # type: ignore[index]
    path = f"/v1.0/users/{user['id']}"
    assert manager.patch(path, json={"jobTitle": "CEO"}).status_code == 204
    assert manager.get(path).json()["jobTitle"] == "CEO"
    assert manager.delete(path).status_code == 204
    assert manager.get(path).status_code == 404


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"mailNickname": None}, "mailNickname"),
        ({"passwordProfile": {"password": ""}}, "passwordProfile"),
        ({"userPrincipalName": "adele@fabrikam.com"}, "domain portion"),
        ({"shoeSize": 42}, "Property 'shoeSize' does not exist"),
        ({"displayName": 42}, "Edm.String"),
        ({"passwordProfile": {"password": "short"}}, "password"),
    ],
)
def test_create_validation_errors(manager: Any, change: dict[str, Any], fragment: str) -> None:
    response = manager.post("/v1.0/users", json={**NEW_USER, **change})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "Request_BadRequest"
    assert fragment in response.json()["error"]["message"]


def test_a_duplicate_user_principal_name_is_refused(manager: Any) -> None:
    assert manager.post("/v1.0/users", json=NEW_USER).status_code == 201
    again = manager.post("/v1.0/users", json=NEW_USER)
    assert again.status_code == 400
    assert "userPrincipalName already exists" in again.json()["error"]["message"]


def test_a_body_that_is_not_json_is_400(manager: Any) -> None:
    response = manager.post(
        "/v1.0/users", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Unable to read JSON request payload.")
