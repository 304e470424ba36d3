"""The managed identity endpoints in-process: IMDS and App Service shapes, errors, token claims."""

from __future__ import annotations

from typing import Any

import pytest
from sts_support import ORIGIN, READ_ROLE, AsgiClient, StsSetup, decode_jwt

from tenantlab.directory.managed_identities import SYSTEM_ASSIGNED, USER_ASSIGNED
from tenantlab.directory.managed_identities import ManagedIdentityView as View
from tenantlab.keys.host_secrets import HostName, HostSecrets
from tenantlab.sts.managed_identity import create_app

IMDS = "/metadata/identity/oauth2/token"
GRAPH = "https://graph.microsoft.com"


@pytest.fixture
def mi(sts: StsSetup) -> dict[str, Any]:
    directory = sts.platform.directory
    system = directory.create_managed_identity(
        tenant=sts.tenant.id, name="vm1", kind=SYSTEM_ASSIGNED
    )
    user = directory.create_managed_identity(
        tenant=sts.tenant.id, name="worker", kind=USER_ASSIGNED, hosts=("vm1",)
    )
    elsewhere = directory.create_managed_identity(
        tenant=sts.tenant.id, name="other", kind=USER_ASSIGNED, hosts=("vm2",)
    )
    directory.grant_app_role(
        tenant=sts.tenant.id, client="vm1", resource=GRAPH, role="User.Read.All"
    )
    directory.grant_app_role(
        tenant=sts.tenant.id, client=user.client_id, resource="api://todo", role=READ_ROLE
    )
    host = HostName(sts.tenant.id, "vm1")
    app = create_app(sts.platform, own_host=host)
    return {
        "system": system,
        "user": user,
        "elsewhere": elsewhere,
        "client": AsgiClient(app, "http://169.254.169.254"),  # type: ignore[arg-type]
        "header": HostSecrets(sts.platform.settings.home).issue(sts.tenant.id, "vm1"),
    }


def imds(mi: dict[str, Any], **params: str) -> Any:
    query = {"api-version": "2018-02-01", "resource": GRAPH, **params}
    return mi["client"].get(IMDS, params=query, headers={"Metadata": "true"})


def test_imds_gives_the_hosts_system_assigned_identity_a_graph_token(
    sts: StsSetup, mi: dict[str, Any]
) -> None:
    response = imds(mi)
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(body) == [
        "access_token",
        "client_id",
        "expires_in",
        "expires_on",
        "ext_expires_in",
        "not_before",
        "resource",
        "token_type",
    ]
    assert all(isinstance(body[k], str) for k in ("expires_in", "expires_on", "not_before"))
    system: View = mi["system"]
    assert body["client_id"] == system.client_id
    assert body["resource"] == GRAPH
    _, claims = decode_jwt(body["access_token"])
    assert claims["aud"] == GRAPH
    assert claims["iss"] == f"{ORIGIN}/{sts.tenant.id}/"
    assert claims["appid"] == system.client_id
    assert claims["oid"] == claims["sub"] == system.principal_id
    assert claims["idtyp"] == "app"
    assert claims["appidacr"] == "2"
    assert claims["roles"] == ["User.Read.All"]
    assert claims["xms_mirid"] == system.resource_id
    assert int(body["expires_on"]) == claims["exp"]
    assert response.headers["cache-control"].startswith("no-store")


def test_imds_picks_an_attached_user_assigned_identity_by_any_of_its_ids(
    sts: StsSetup, mi: dict[str, Any]
) -> None:
    user: View = mi["user"]
    for params in (
        {"client_id": user.client_id},
        {"object_id": user.principal_id},
        {"msi_res_id": user.resource_id},
    ):
        response = imds(mi, resource="api://todo", **params)
        assert response.status_code == 200, response.text
        _, claims = decode_jwt(response.json()["access_token"])
        assert claims["aud"] == sts.api_app_id  # the ToDo API asks for v2 tokens
        assert claims["azp"] == user.client_id
        assert claims["oid"] == user.principal_id
        assert claims["roles"] == ["ToDoList.Read.All"]
        assert claims["xms_mirid"] == user.resource_id
        assert "/userAssignedIdentities/worker" in claims["xms_mirid"]


def test_imds_without_the_metadata_header_is_refused_as_azure_does(mi: dict[str, Any]) -> None:
    for headers in ({}, {"Metadata": "True"}, {"Metadata": "false"}):
        response = mi["client"].get(
            IMDS, params={"api-version": "2018-02-01", "resource": GRAPH}, headers=headers
        )
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_request",
            "error_description": "Required metadata header not specified",
        }


def test_imds_refuses_identities_the_host_does_not_have(mi: dict[str, Any]) -> None:
    other: View = mi["elsewhere"]  # attached to vm2, not to this host
    for params in (
        {"client_id": "7e2a5f7c-1b2c-4d3e-8f90-123456789abc"},
        {"client_id": other.client_id},
        {"object_id": other.principal_id},
        {"msi_res_id": other.resource_id},
    ):
        response = imds(mi, **params)
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_request",
            "error_description": "Identity not found",
        }


def test_imds_unknown_resource_is_the_token_services_error(mi: dict[str, Any]) -> None:
    response = imds(mi, resource="api://nothing-here")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_resource"
    assert body["error_description"].startswith("AADSTS500011:")


def test_imds_for_a_host_named_by_its_secret_and_a_forged_secret(
    sts: StsSetup, mi: dict[str, Any]
) -> None:
    query = {"api-version": "2018-02-01", "resource": GRAPH}
    good = mi["client"].get(
        f"/hosts/{mi['header']}{IMDS}", params=query, headers={"Metadata": "true"}
    )
    assert good.status_code == 200, good.text
    assert good.json()["client_id"] == mi["system"].client_id
    forged = HostSecrets(sts.platform.settings.home / "elsewhere").issue(sts.tenant.id, "vm1")
    bad = mi["client"].get(f"/hosts/{forged}{IMDS}", params=query, headers={"Metadata": "true"})
    assert bad.status_code == 401
    assert bad.json()["error"] == "unknown_source"


def test_app_service_form_returns_epoch_expires_on_and_client_id(
    sts: StsSetup, mi: dict[str, Any]
) -> None:
    user: View = mi["user"]
    response = mi["client"].get(
        "/msi/token",
        params={"api-version": "2019-08-01", "resource": "api://todo", "client_id": user.client_id},
        headers={"X-IDENTITY-HEADER": mi["header"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(body) == ["access_token", "client_id", "expires_on", "resource", "token_type"]
    assert body["expires_on"].isdigit()
    assert body["client_id"] == user.client_id
    _, claims = decode_jwt(body["access_token"])
    assert int(body["expires_on"]) == claims["exp"]
    assert claims["roles"] == ["ToDoList.Read.All"]


def test_app_service_refuses_a_wrong_or_missing_identity_header(
    sts: StsSetup, mi: dict[str, Any]
) -> None:
    params = {"api-version": "2019-08-01", "resource": GRAPH}
    wrong = HostSecrets(sts.platform.settings.home).issue(sts.tenant.id, "vm2")[:-2] + "AA"
    for headers in ({}, {"X-IDENTITY-HEADER": wrong}, {"X-IDENTITY-HEADER": "secret"}):
        response = mi["client"].get("/msi/token", params=params, headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert body["statusCode"] == 401
        assert "X-IDENTITY-HEADER" in body["message"]
        assert "access_token" not in body


def test_app_service_unknown_identity(mi: dict[str, Any]) -> None:
    response = mi["client"].get(
        "/msi/token",
        params={
            "api-version": "2019-08-01",
            "resource": GRAPH,
            "client_id": mi["elsewhere"].client_id,
        },
        headers={"X-IDENTITY-HEADER": mi["header"]},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400
    assert body["message"] == "Unable to load the proper Managed Identity."


def test_a_listener_without_a_host_has_no_identity(sts: StsSetup, mi: dict[str, Any]) -> None:
    client = AsgiClient(create_app(sts.platform), "http://127.0.0.1")  # type: ignore[arg-type]
    response = client.get(
        IMDS, params={"api-version": "2018-02-01", "resource": GRAPH}, headers={"Metadata": "true"}
    )
    assert response.status_code == 400
    assert response.json()["error_description"] == "Identity not found"


def test_a_managed_identity_cannot_use_the_client_credentials_grant(
    sts: StsSetup, mi: dict[str, Any]
) -> None:
    response = sts.client.post(
        f"/{sts.tenant.id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": mi["system"].client_id,
            "client_secret": "anything",
            "scope": f"{GRAPH}/.default",
        },
    )
    assert response.status_code in (400, 401)
    assert "access_token" not in response.json()


def test_a_managed_identity_is_never_a_resource(sts: StsSetup, mi: dict[str, Any]) -> None:
    response = imds(mi, resource=mi["user"].client_id)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_resource"
