"""Users' delegated tokens from real MSAL (`acquire_token_by_username_password`) at the ToDo API."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import httpx
import jwt
import msal
import pytest
from test_todo_api_live import TodoDeployment, register, run_api

pytestmark = pytest.mark.integration

LiveCloud = Any
Tenant = Any
PASSWORD = "Tenantlab-Test-Passw0rd!"


def user_token(
    cloud: LiveCloud,
    tenant_id: str,
    client_id: str,
    upn: str,
    scopes: list[str],
    password: str = PASSWORD,
) -> dict[str, Any]:
    # MSAL asks https://{host}/common/userrealm/... with the port dropped (authority.py: `instance`
    # is the host name), so against a server on a test port that call would hit port 443. The set
    # below is where MSAL itself records hosts without user realm discovery (after a 404).
    msal.authority.Authority._domains_without_user_realm_discovery.add("localhost")
    app = msal.PublicClientApplication(
        client_id, authority=cloud.authority(tenant_id), instance_discovery=False
    )
    result: dict[str, Any] = app.acquire_token_by_username_password(upn, password, scopes=scopes)
    return result


@pytest.fixture
def users(cloud: LiveCloud, tenant: Tenant, tmp_path: Path) -> Any:
    directory = cloud.directory
    api_app_id, daemon_app_id, secret = register(cloud, tenant)
    client = directory.create_application(tenant=tenant.id, display_name="ToDo user client")
    directory.grant_delegated(
        tenant=tenant.id,
        client=client.app_id,
        resource=api_app_id,
        scopes=["ToDoList.Read", "ToDoList.ReadWrite"],
    )
    domain = directory.tenant_domains(tenant.id)[0]
    adele = directory.create_user(
        tenant=tenant.id,
        user_principal_name=f"adele@{domain}",
        display_name="Adele",
        password=PASSWORD,
    )
    bianca = directory.create_user(
        tenant=tenant.id,
        user_principal_name=f"bianca@{domain}",
        display_name="Bianca",
        password=PASSWORD,
    )
    with run_api(cloud, tenant.id, api_app_id, tmp_path) as server:
        deployment = TodoDeployment(
            cloud, tenant.id, api_app_id, daemon_app_id, secret, server.origin
        )
        yield deployment, client.app_id, adele, bianca


def test_users_see_only_their_own_items_and_apps_see_all(cloud: LiveCloud, users: Any) -> None:
    deployment, client_id, adele, bianca = users
    scopes = [f"api://{deployment.api_app_id}/ToDoList.ReadWrite"]
    adele_result = user_token(
        cloud, deployment.tenant_id, client_id, adele.user_principal_name, scopes
    )
    assert "access_token" in adele_result, adele_result
    claims = jwt.decode(adele_result["access_token"], options={"verify_signature": False})
    assert claims["scp"] == "ToDoList.ReadWrite"
    assert claims["oid"] == adele.id
    assert "idtyp" not in claims
    assert "roles" not in claims
    bianca_token = user_token(
        cloud, deployment.tenant_id, client_id, bianca.user_principal_name, scopes
    )["access_token"]

    with deployment.client(adele_result["access_token"]) as api:
        mine = api.post("/api/todolist", json={"description": "Adele's", "owner": bianca.id})
        assert mine.status_code == 201, mine.text
        assert mine.json()["owner"] == adele.id
    with deployment.client(bianca_token) as api:
        api.post("/api/todolist", json={"description": "Bianca's"})
        assert [t["description"] for t in api.get("/api/todolist").json()] == ["Bianca's"]
        assert api.get(mine.headers["location"]).status_code == 404
        assert api.delete(mine.headers["location"]).status_code == 404
    with deployment.client(deployment.app_token()) as api:
        assert {t["description"] for t in api.get("/api/todolist").json()} == {
            "Adele's",
            "Bianca's",
        }


def test_a_read_scope_cannot_write(cloud: LiveCloud, users: Any) -> None:
    deployment, client_id, adele, _ = users
    scopes = [f"api://{deployment.api_app_id}/ToDoList.Read"]
    token = user_token(cloud, deployment.tenant_id, client_id, adele.user_principal_name, scopes)[
        "access_token"
    ]
    with deployment.client(token) as api:
        assert api.get("/api/todolist").status_code == 200
        refused = api.post("/api/todolist", json={"description": "no"})
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]


def test_an_unconsented_client_gets_entras_consent_error(cloud: LiveCloud, users: Any) -> None:
    deployment, _, adele, _ = users
    other = cloud.directory.create_application(
        tenant=deployment.tenant_id, display_name="Unconsented"
    )
    scopes = [f"api://{deployment.api_app_id}/ToDoList.Read"]
    result = user_token(
        cloud, deployment.tenant_id, other.app_id, adele.user_principal_name, scopes
    )
    assert result["error"] == "invalid_grant"
    assert result["error_codes"] == [65001]
    assert result.get("suberror") == "consent_required"


def test_a_wrong_password_is_refused(cloud: LiveCloud, users: Any) -> None:
    deployment, client_id, adele, _ = users
    scopes = [f"api://{deployment.api_app_id}/ToDoList.Read"]
    result = user_token(
        cloud,
        deployment.tenant_id,
        client_id,
        adele.user_principal_name,
        scopes,
        password="wrong-Passw0rd!",
    )
    assert result["error"] == "invalid_grant"
    assert result["error_codes"] == [50126]


def test_delegated_v1_tokens_are_accepted(cloud: LiveCloud, tenant: Tenant, tmp_path: Path) -> None:
    directory = cloud.directory
    api_app_id, _, _ = register(cloud, tenant, version=None)
    client = directory.create_application(tenant=tenant.id, display_name="v1 user client")
    directory.grant_delegated(
        tenant=tenant.id, client=client.app_id, resource=api_app_id, scopes=["ToDoList.Read"]
    )
    domain = directory.tenant_domains(tenant.id)[0]
    user = directory.create_user(
        tenant=tenant.id,
        user_principal_name=f"carol@{domain}",
        display_name="Carol",
        password=PASSWORD,
    )
    result = user_token(
        cloud,
        tenant.id,
        client.app_id,
        user.user_principal_name,
        [f"api://{api_app_id}/ToDoList.Read"],
    )
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert (claims["ver"], claims["upn"], claims["scp"]) == (
        "1.0",
        user.user_principal_name,
        "ToDoList.Read",
    )
    with run_api(cloud, tenant.id, api_app_id, tmp_path) as server:
        trust = ssl.create_default_context(cafile=str(cloud.ca_bundle))
        response = httpx.get(
            f"{server.origin}/api/todolist",
            headers={"Authorization": f"Bearer {result['access_token']}"},
            verify=trust,
        )
    assert response.status_code == 200
