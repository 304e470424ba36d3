"""grant_type=password: delegated tokens for a tenant's users, Entra's errors otherwise."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sts_support import StsSetup, decode_jwt

PASSWORD = "Tenantlab-Test-Passw0rd!"


@pytest.fixture
def ropc(sts: StsSetup) -> StsSetup:
    """`sts` whose client (`daemon_app_id`) is a public client: an app with no credentials."""
    directory = sts.platform.directory
    for value in ("ToDoList.Read", "ToDoList.ReadWrite"):
        directory.add_permission_scope(tenant=sts.tenant.id, app=sts.api_app_id, value=value)
    public = directory.create_application(tenant=sts.tenant.id, display_name="ToDo public client")
    for client in (public.app_id, sts.daemon_app_id):
        directory.grant_delegated(
            tenant=sts.tenant.id, client=client, resource=sts.api_uri, scopes=["ToDoList.Read"]
        )
    directory.create_user(
        tenant=sts.tenant.id,
        user_principal_name=f"adele@{sts.domain}",
        display_name="Adele",
        password=PASSWORD,
    )
    return dataclasses.replace(sts, daemon_app_id=public.app_id)


def request(sts: StsSetup, **changes: str) -> Any:
    form = {
        "grant_type": "password",
        "client_id": sts.daemon_app_id,
        "username": f"adele@{sts.domain}",
        "password": PASSWORD,
        "scope": f"{sts.api_uri}/ToDoList.Read openid profile offline_access",
        "client_info": "1",
    }
    form.update(changes)
    return sts.client.post(
        f"/{sts.tenant.id}/oauth2/v2.0/token", data={k: v for k, v in form.items() if v}
    )


def test_a_public_client_gets_a_delegated_token(ropc: StsSetup) -> None:
    response = request(ropc)
    assert response.status_code == 200, response.text
    _, claims = decode_jwt(response.json()["access_token"])
    user = ropc.platform.directory.get_user(tenant=ropc.tenant.id, key=f"adele@{ropc.domain}")
    assert claims["scp"] == "ToDoList.Read"
    assert claims["oid"] == user.id
    assert claims["sub"] != user.id
    assert (claims["azp"], claims["azpacr"], claims["ver"]) == (ropc.daemon_app_id, "0", "2.0")
    assert "idtyp" not in claims
    assert "roles" not in claims


def test_a_confidential_client_authenticates_too(ropc: StsSetup, sts: StsSetup) -> None:
    confidential = sts.daemon_app_id
    response = request(ropc, client_id=confidential, client_secret=sts.secret)
    assert decode_jwt(response.json()["access_token"])[1]["azpacr"] == "1"
    wrong = request(ropc, client_id=confidential, client_secret="wrong")
    assert wrong.json()["error_codes"] == [7000215]


def test_a_confidential_client_cannot_pose_as_a_public_one(ropc: StsSetup, sts: StsSetup) -> None:
    """An app with credentials must present one (Entra: AADSTS7000218), or anyone knowing its
    client id could get user tokens in its name."""
    response = request(ropc, client_id=sts.daemon_app_id)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert response.json()["error_codes"] == [7000218]


@pytest.mark.parametrize("username", ["adele", "nobody@contoso.onmicrosoft.com"])
def test_bad_credentials_are_one_error(ropc: StsSetup, username: str) -> None:
    for changes in ({"password": "Wrong-Passw0rd!"}, {"username": username}):
        response = request(ropc, **changes)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert response.json()["error_codes"] == [50126]
        assert PASSWORD not in response.text


def test_a_disabled_user_is_refused(ropc: StsSetup) -> None:
    directory = ropc.platform.directory
    directory.update_user(tenant=ropc.tenant.id, key=f"adele@{ropc.domain}", account_enabled=False)
    assert request(ropc).json()["error_codes"] == [50057]


def test_an_unconsented_scope_is_entras_consent_error(ropc: StsSetup) -> None:
    response = request(ropc, scope=f"{ropc.api_uri}/ToDoList.ReadWrite")
    body = response.json()
    assert (response.status_code, body["error"], body["error_codes"]) == (
        400,
        "invalid_grant",
        [65001],
    )
    assert body["suberror"] == "consent_required"


def test_a_scope_the_api_does_not_expose_is_refused(ropc: StsSetup) -> None:
    assert request(ropc, scope=f"{ropc.api_uri}/ToDoList.Admin").json()["error_codes"] == [650053]


def test_default_grants_every_consented_scope(ropc: StsSetup) -> None:
    ropc.platform.directory.grant_delegated(
        tenant=ropc.tenant.id,
        client=ropc.daemon_app_id,
        resource=ropc.api_uri,
        scopes=["ToDoList.ReadWrite"],
    )
    response = request(ropc, scope=f"{ropc.api_uri}/.default")
    assert (
        decode_jwt(response.json()["access_token"])[1]["scp"] == "ToDoList.Read ToDoList.ReadWrite"
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"scope": "api://todo/ToDoList.Read https://graph.microsoft.com/User.Read"}, 70011),
        ({"scope": "openid profile"}, 70011),
        ({"username": ""}, 900144),
        ({"password": ""}, 900144),
    ],
)
def test_malformed_requests(ropc: StsSetup, changes: dict[str, str], code: int) -> None:
    assert request(ropc, **changes).json()["error_codes"] == [code]
