"""`POST /$batch`: up to 20 requests through Graph's own pipeline, one status each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenantlab.graph.app import create_app
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

DOMAIN = "contoso.onmicrosoft.com"
JSON_HEADERS = {"Content-Type": "application/json"}


def batch(client: Any, *requests: dict[str, Any], version: str = "v1.0") -> Any:
    return client.post(f"/{version}/$batch", json={"requests": list(requests)})


def responses(response: Any) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {r["id"]: r for r in response.json()["responses"]}


def new_user(alias: str) -> dict[str, Any]:
    return {
        "accountEnabled": True,
        "displayName": alias.title(),
        "mailNickname": alias,
        "userPrincipalName": f"{alias}@{DOMAIN}",
        "passwordProfile": {"password": "Str0ng-passw0rd!"},
    }


def test_each_request_gets_its_own_status_headers_and_body(
    manager: Any, platform: Platform, tenant: Tenant
) -> None:
    user = platform.directory.create_user(
        tenant=tenant.id, user_principal_name=f"adele@{DOMAIN}", display_name="Adele"
    )
    got = responses(
        batch(
            manager,
            {"id": "1", "method": "GET", "url": "/users?$select=id,displayName"},
            {"id": "2", "method": "GET", "url": "users/adele%40" + DOMAIN},  # no leading slash
            {"id": "3", "method": "GET", "url": "/users/00000000-0000-0000-0000-000000000000"},
            {"id": "4", "method": "POST", "url": "/users", "body": new_user("megan"),
             "headers": JSON_HEADERS},
            {"id": "5", "method": "GET", "url": "/users/$count",
             "headers": {"ConsistencyLevel": "eventual"}},
            {"id": "6", "method": "DELETE", "url": "/organization"},
        )
    )  # fmt: skip
    assert got["1"]["status"] == 200
    assert got["1"]["body"]["value"] == [{"displayName": "Adele", "id": user.id}]
    assert got["1"]["headers"]["Content-Type"].startswith("application/json")
    assert got["2"]["body"]["displayName"] == "Adele"
    assert got["3"]["status"] == 404
    assert got["3"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert set(got["3"]["body"]["error"]["innerError"]) == {
        "date",
        "request-id",
        "client-request-id",
    }
    assert got["4"]["status"] == 201
    assert got["4"]["headers"]["Location"].endswith(f"/users/{got['4']['body']['id']}")
    assert got["5"]["body"] == "2"
    assert got["6"]["status"] == 400  # no such route: Graph's error, for that request alone


def test_each_request_needs_its_own_permission(as_app: Callable[..., Any]) -> None:
    reader = as_app("User.Read.All")
    got = responses(
        batch(
            reader,
            {"id": "a", "method": "GET", "url": "/users"},
            {"id": "b", "method": "GET", "url": "/applications"},
            {"id": "c", "method": "POST", "url": "/users", "body": new_user("alex"),
             "headers": JSON_HEADERS},
        )
    )  # fmt: skip
    assert [got[k]["status"] for k in "abc"] == [200, 403, 403]
    assert got["b"]["body"]["error"]["code"] == "Authorization_RequestDenied"


def test_depends_on_orders_the_requests_and_a_failure_fails_its_dependents(
    manager: Any, platform: Platform, tenant: Tenant
) -> None:
    response = batch(
        manager,
        {"id": "read", "method": "GET", "url": f"/users/megan@{DOMAIN}", "dependsOn": ["make"]},
        {"id": "make", "method": "POST", "url": "/users", "body": new_user("megan"),
         "headers": JSON_HEADERS},
        {"id": "bad", "method": "GET", "url": "/users/nobody@contoso.onmicrosoft.com"},
        {"id": "after", "method": "GET", "url": "/users", "dependsOn": ["bad"]},
    )  # fmt: skip
    assert response.status_code == 200
    order = [r["id"] for r in response.json()["responses"]]
    assert order.index("make") < order.index("read")
    got = responses(response)
    assert (got["make"]["status"], got["read"]["status"]) == (201, 200)
    assert got["read"]["body"]["displayName"] == "Megan"
    assert got["bad"]["status"] == 404
    assert got["after"]["status"] == 424
    assert got["after"]["body"]["error"]["code"] == "FailedDependency"


def test_throttling_charges_each_request(
    platform: Platform, tenant: Tenant, mint: Any, client_for: Any
) -> None:
    platform.directory.set_graph_throttling(tenant=tenant.id, enabled=True)
    client = client_for(create_app(platform, throttle_limit=5))
    client.headers["Authorization"] = f"Bearer {mint(['User.Read.All'])}"
    requests = [{"id": str(i), "method": "GET", "url": "/users"} for i in range(4)]
    got = responses(batch(client, *requests))
    statuses = [got[str(i)]["status"] for i in range(4)]
    assert statuses == [200, 200, 429, 429]  # GET /users costs 2 units of the 5
    assert got["0"]["headers"]["x-ms-resource-unit"] == "2"
    assert int(got["2"]["headers"]["Retry-After"]) >= 1
    assert got["2"]["body"]["error"]["code"] == "TooManyRequests"


def test_beta_and_a_base64_body(manager: Any) -> None:
    import base64
    import json

    body = base64.b64encode(json.dumps(new_user("lee")).encode()).decode()
    got = responses(
        batch(
            manager,
            {"id": "1", "method": "POST", "url": "/users", "body": body, "headers": JSON_HEADERS},
            version="beta",
        )
    )
    assert got["1"]["status"] == 201


def bad(response: Any, fragment: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert fragment in error["message"]


def test_twenty_one_requests_are_one_400(manager: Any) -> None:
    requests = [{"id": str(i), "method": "GET", "url": "/users"} for i in range(21)]
    bad(batch(manager, *requests), "at most 20")
    assert batch(manager, *requests[:20]).status_code == 200


@pytest.mark.parametrize(
    ("requests", "fragment"),
    [
        (
            [
                {"id": "1", "method": "GET", "url": "/users", "dependsOn": ["2"]},
                {"id": "2", "method": "GET", "url": "/users", "dependsOn": ["3"]},
                {"id": "3", "method": "GET", "url": "/users", "dependsOn": ["1"]},
            ],
            "cycle: 1 -> 2 -> 3 -> 1",
        ),
        ([{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["1"]}], "cycle"),
        ([{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["9"]}], "not in the batch"),
        (
            [
                {"id": "x", "method": "GET", "url": "/users"},
                {"id": "X", "method": "GET", "url": "/"},
            ],
            "Request Id X has to be unique in a batch.",
        ),
        ([{"id": "1", "method": "POST", "url": "/users"}], "does not contain Content-Type"),
        ([{"id": "1", "method": "GET", "url": "https://evil.example/users"}], "relative"),
        ([{"id": "1", "method": "TRACE", "url": "/users"}], "method"),
        ([{"method": "GET", "url": "/users"}], "Invalid batch payload format."),
        ([], "Invalid batch payload format."),
    ],
)
def test_malformed_batches_are_one_400(
    manager: Any, requests: list[dict[str, Any]], fragment: str
) -> None:
    bad(batch(manager, *requests), fragment)


def test_not_json_and_get_are_refused(manager: Any) -> None:
    response = manager.post(
        "/v1.0/$batch", content=b"[1,2]", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert manager.get("/v1.0/$batch").status_code == 405


def test_a_batch_needs_a_token(client: Any) -> None:
    response = client.post("/v1.0/$batch", json={"requests": []})
    assert response.status_code == 401
