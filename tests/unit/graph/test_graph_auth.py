"""Which tokens Graph accepts, which permission each call needs, and the error envelope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenantlab.clock import FixedClock
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, new_guid
from tenantlab.keys.jose import generate_signing_key
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

Mint = Callable[..., str]


def assert_graph_error(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == code
    inner = error["innerError"]
    assert set(inner) == {"date", "request-id", "client-request-id"}
    assert inner["request-id"] == response.headers["request-id"]  # type: ignore[attr-defined]
    return error  # type: ignore[no-any-return]


def test_a_request_without_token_is_401_access_token_is_empty(client: Any) -> None:
    error = assert_graph_error(client.get("/v1.0/users"), 401, "InvalidAuthenticationToken")
    assert error["message"] == "Access token is empty."


def test_a_token_that_is_not_a_jwt_is_401(client: Any) -> None:
    response = client.get("/v1.0/users", headers={"Authorization": "Bearer not-a-token"})
    error = assert_graph_error(response, 401, "InvalidAuthenticationToken")
    assert "CompactToken parsing failed" in str(error["message"])
    assert "not-a-token" not in response.text
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm=""')


@pytest.mark.parametrize("aud", [MICROSOFT_GRAPH_APP_ID, "https://graph.microsoft.com"])
def test_both_graph_audiences_are_accepted(as_app: Callable[..., Any], aud: str) -> None:
    assert as_app("User.Read.All", aud=aud).get("/v1.0/users").status_code == 200


def test_a_token_for_another_api_is_invalid_audience(as_app: Callable[..., Any]) -> None:
    response = as_app("User.Read.All", aud="api://todo").get("/v1.0/users")
    error = assert_graph_error(response, 401, "InvalidAuthenticationToken")
    assert error["message"] == "Access token validation failure. Invalid audience."


def test_an_expired_token_is_401(as_app: Callable[..., Any], clock: FixedClock) -> None:
    graph = as_app("User.Read.All")
    clock.advance(3601)
    error = assert_graph_error(graph.get("/v1.0/users"), 401, "InvalidAuthenticationToken")
    assert error["message"] == "Access token has expired or is not yet valid."


@pytest.mark.parametrize(
    "override",
    [
        {"ver": "2.0"},
        {"iss": "https://sts.windows.net/00000000-0000-0000-0000-000000000000/"},
        {"tid": "00000000-0000-0000-0000-000000000000"},
    ],
)
def test_tokens_not_in_the_v1_graph_shape_are_401(
    as_app: Callable[..., Any], override: dict[str, str]
) -> None:
    response = as_app("User.Read.All", **override).get("/v1.0/users")
    assert_graph_error(response, 401, "InvalidAuthenticationToken")


def test_a_token_signed_by_a_foreign_key_is_401(
    client: Any, platform: Platform, tenant: Tenant, mint: Mint
) -> None:
    genuine = mint(["User.Read.All"])
    header, payload, _ = genuine.split(".")
    forged_signature = generate_signing_key().sign({"x": 1}).split(".")[2]
    forged = f"{header}.{payload}.{forged_signature}"
    response = client.get("/v1.0/users", headers={"Authorization": f"Bearer {forged}"})
    assert_graph_error(response, 401, "InvalidAuthenticationToken")


def test_a_token_of_another_tenant_cannot_read_this_one(
    client: Any, platform: Platform, mint: Mint
) -> None:
    other = platform.directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    platform.directory.create_user(
        tenant=other.id, user_principal_name="eve@fabrikam.onmicrosoft.com", display_name="Eve"
    )
    token = mint(["User.Read.All"])  # Contoso's token
    response = client.get("/v1.0/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [u["displayName"] for u in response.json()["value"]] == []


# Each gate: one permission that opens it, and a token without it (but with others) is refused.
GATES = [
    ("GET", "/v1.0/users", "User.Read.All", "Application.ReadWrite.All"),
    ("GET", "/v1.0/users", "Directory.Read.All", "AppRoleAssignment.ReadWrite.All"),
    ("GET", "/v1.0/applications", "Application.Read.All", "User.ReadWrite.All"),
    ("GET", "/v1.0/servicePrincipals", "Application.Read.All", "User.Read.All"),
    ("POST", "/v1.0/users", "User.ReadWrite.All", "User.Read.All"),
    ("POST", "/v1.0/applications", "Application.ReadWrite.All", "Application.Read.All"),
    ("POST", "/v1.0/servicePrincipals", "Application.ReadWrite.All", "Directory.Read.All"),
]


@pytest.mark.parametrize(("method", "path", "granted", "other"), GATES)
def test_each_permission_gate(
    as_app: Callable[..., Any], method: str, path: str, granted: str, other: str
) -> None:
    denied = as_app(other).request(method, path, json={})
    error = assert_graph_error(denied, 403, "Authorization_RequestDenied")
    assert error["message"] == "Insufficient privileges to complete the operation."
    opened = as_app(granted).request(method, path, json={})
    assert opened.status_code != 403  # a write with an empty body then fails validation (400)


def test_a_token_without_roles_gets_403(as_app: Callable[..., Any]) -> None:
    assert_graph_error(as_app().get("/v1.0/users"), 403, "Authorization_RequestDenied")


def test_app_role_assignment_needs_its_own_permission(
    as_app: Callable[..., Any], platform: Platform, tenant: Tenant
) -> None:
    sp = platform.directory.list_service_principals(tenant=tenant.id)[0]
    path = f"/v1.0/servicePrincipals/{sp.id}/appRoleAssignments"
    assert_graph_error(
        as_app("Application.ReadWrite.All").post(path, json={}), 403, "Authorization_RequestDenied"
    )
    assert as_app("AppRoleAssignment.ReadWrite.All").post(path, json={}).status_code == 400


def test_client_request_id_is_echoed(as_app: Callable[..., Any]) -> None:
    mine = new_guid()
    response = as_app("User.Read.All").get("/v1.0/users", headers={"client-request-id": mine})
    assert response.headers["client-request-id"] == mine
    assert response.headers["request-id"] != mine


def test_unknown_segment_and_method_are_graph_errors(as_app: Callable[..., Any]) -> None:
    graph = as_app("User.ReadWrite.All")
    error = assert_graph_error(graph.get("/v1.0/groupz"), 400, "BadRequest")
    assert error["message"] == "Resource not found for the segment 'groupz'."
    assert_graph_error(graph.put("/v1.0/users", json={}), 405, "Request_BadRequest")


def test_a_token_from_a_just_rotated_key_is_accepted_at_once(
    as_app: Callable[..., Any], platform: Platform, tenant: Tenant
) -> None:
    assert as_app("User.Read.All").get("/v1.0/users").status_code == 200  # caches the old keys
    platform.keys.rotate(tenant.id)
    assert as_app("User.Read.All").get("/v1.0/users").status_code == 200


def test_a_tenant_created_after_the_first_request_is_served_at_once(
    client: Any, as_app: Callable[..., Any], platform: Platform, mint: Mint
) -> None:
    assert as_app("User.Read.All").get("/v1.0/users").status_code == 200
    other = platform.directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    token = mint(["User.Read.All"], tenant_id=other.id)
    response = client.get("/v1.0/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
