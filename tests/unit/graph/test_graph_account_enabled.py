"""Disabling an app through Graph (`accountEnabled` on its service principal), issue 11 item 6."""

from __future__ import annotations

from typing import Any

import pytest

from tenantlab.graph import auth
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant


@pytest.fixture
def app_id(manager: Any) -> str:
    created = manager.post("/v1.0/applications", json={"displayName": "Daemon"})
    assert created.status_code == 201, created.text
    return str(created.json()["appId"])


def test_create_honours_account_enabled_false(manager: Any, app_id: str) -> None:
    created = manager.post(
        "/v1.0/servicePrincipals", json={"appId": app_id, "accountEnabled": False}
    )
    assert created.status_code == 201, created.text
    assert created.json()["accountEnabled"] is False
    again = manager.get(f"/v1.0/servicePrincipals/{created.json()['id']}").json()
    assert again["accountEnabled"] is False


def test_patch_disables_and_enables_a_service_principal(manager: Any, app_id: str) -> None:
    sp = manager.post("/v1.0/servicePrincipals", json={"appId": app_id}).json()
    assert sp["accountEnabled"] is True
    path = f"/v1.0/servicePrincipals/{sp['id']}"
    response = manager.patch(path, json={"accountEnabled": False})
    assert response.status_code == 204, response.text
    assert manager.get(path).json()["accountEnabled"] is False
    by_app_id = f"/v1.0/servicePrincipals(appId='{app_id}')"
    response = manager.patch(by_app_id, json={"accountEnabled": True, "tags": ["x"]})
    assert response.status_code == 204, response.text
    assert manager.get(path).json()["accountEnabled"] is True
    response = manager.patch(path, json={"appRoleAssignmentRequired": True})
    assert response.status_code == 204
    assert manager.get(path).json()["appRoleAssignmentRequired"] is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"accountEnabled": "no"}, "expected type 'Edm.Boolean'"),
        ({"accountEnabled": None}, "expected type 'Edm.Boolean'"),
        ({"displayName": "Renamed"}, "Updating 'displayName' of a service principal"),
        ({"shoeSize": 42}, "Property 'shoeSize' does not exist"),
    ],
)
def test_patch_refuses_what_it_cannot_store(
    manager: Any, app_id: str, body: dict[str, Any], message: str
) -> None:
    sp = manager.post("/v1.0/servicePrincipals", json={"appId": app_id}).json()
    response = manager.patch(f"/v1.0/servicePrincipals/{sp['id']}", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]["message"]
    assert manager.get(f"/v1.0/servicePrincipals/{sp['id']}").json()["accountEnabled"] is True


def test_patch_needs_application_readwrite(as_app: Any, manager: Any, app_id: str) -> None:
    sp = manager.post("/v1.0/servicePrincipals", json={"appId": app_id}).json()
    reader = as_app("Application.Read.All")
    response = reader.patch(f"/v1.0/servicePrincipals/{sp['id']}", json={"accountEnabled": False})
    assert response.status_code == 403


def test_a_disabled_apps_tokens_stop_at_graph_when_the_revision_moves(
    platform: Platform,
    tenant: Tenant,
    client: Any,
    mint: Any,
    manager: Any,
    app_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth, "REVISION_TTL", 0.0)  # the window, closed for the test
    sp = manager.post("/v1.0/servicePrincipals", json={"appId": app_id}).json()
    token = mint(["User.Read.All"], appid=app_id, oid=sp["id"])
    caller = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1.0/users", headers=caller).status_code == 200

    platform.directory.set_account_enabled(tenant=tenant.id, key=sp["id"], enabled=False)
    refused = client.get("/v1.0/users", headers=caller)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert "disabled" in refused.json()["error"]["message"]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer ")

    platform.directory.set_account_enabled(tenant=tenant.id, key=sp["id"], enabled=True)
    assert client.get("/v1.0/users", headers=caller).status_code == 200
