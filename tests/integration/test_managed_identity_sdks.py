"""Managed identity end to end: real MSAL and azure-identity against the plain-HTTP listener.

The listener runs under real uvicorn on a loopback port; clients find it the way they find it in
Azure, through the environment (App Service: IDENTITY_ENDPOINT + IDENTITY_HEADER; IMDS:
AZURE_POD_IDENTITY_AUTHORITY_HOST in front of the IMDS path). Their tokens must be accepted by
Graph (list users, with User.Read.All assigned) and by the ToDo API (with its role assigned).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
import requests

from tenantlab.directory.managed_identities import SYSTEM_ASSIGNED, USER_ASSIGNED
from tenantlab.directory.managed_identities import ManagedIdentityView as View
from tenantlab.ids import new_guid
from tenantlab.keys import ensure_tls
from tenantlab.keys.host_secrets import HostSecrets
from tenantlab.sts.managed_identity import create_app, host_environment
from tenantlab.testing import serve_in_thread
from tenantlab.todo import TodoApiSettings, build_app

pytestmark = pytest.mark.integration

LiveCloud = Any  # fixture types live in tests/integration/conftest.py (tests is no package)
Tenant = Any
GRAPH = "https://graph.microsoft.com"
# Everything that could steer the SDKs elsewhere: none of it may leak in from the machine.
AZURE_VARIABLES = (
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "AZURE_TOKEN_CREDENTIALS",
)


@dataclass
class Host:
    cloud: LiveCloud
    tenant_id: str
    system: View
    user: View
    api_uri: str
    todo_url: str
    listener: str

    def graph_users(self, token: str) -> httpx.Response:
        trust = ssl.create_default_context(cafile=str(self.cloud.ca_bundle))
        return httpx.get(
            f"{self.cloud.origin}/v1.0/users",
            headers={"Authorization": f"Bearer {token}"},
            verify=trust,
        )

    def todo_list(self, token: str) -> httpx.Response:
        trust = ssl.create_default_context(cafile=str(self.cloud.ca_bundle))
        return httpx.get(
            f"{self.todo_url}/api/todolist",
            headers={"Authorization": f"Bearer {token}"},
            verify=trust,
        )


@pytest.fixture
def host(cloud: LiveCloud, tenant: Tenant, tmp_path: Path) -> Iterator[Host]:
    directory = cloud.directory
    api = directory.create_application(
        tenant=tenant.id,
        display_name="ToDo API",
        identifier_uris=["api://{appId}"],
        requested_access_token_version=2,
    )
    for value in ("ToDoList.Read.All", "ToDoList.ReadWrite.All"):
        directory.add_app_role(tenant=tenant.id, app=api.app_id, value=value)
    directory.create_user(
        tenant=tenant.id,
        user_principal_name=f"adele@{directory.tenant_domains(tenant.id)[0]}",
        display_name="Adele Vance",
    )
    name = f"vm-{new_guid()[:8]}"
    system = directory.create_managed_identity(tenant=tenant.id, name=name, kind=SYSTEM_ASSIGNED)
    user = directory.create_managed_identity(
        tenant=tenant.id, name=f"worker-{name}", kind=USER_ASSIGNED, hosts=(name,)
    )
    api_uri = f"api://{api.app_id}"
    for identity in (system, user):
        directory.grant_app_role(
            tenant=tenant.id, client=identity.client_id, resource=GRAPH, role="User.Read.All"
        )
        directory.grant_app_role(
            tenant=tenant.id, client=identity.client_id, resource=api_uri, role="ToDoList.Read.All"
        )
    todo = TodoApiSettings(
        instance=cloud.origin,
        tenant_id=tenant.id,
        client_id=api.app_id,
        ca_bundle=cloud.ca_bundle,
        database_url=f"sqlite:///{tmp_path / 'todo.db'}",
        home=tmp_path,
    )
    tls = ensure_tls(cloud.home)
    with (
        serve_in_thread(
            lambda _port: create_app(cloud.platform), certfile=None, keyfile=None
        ) as mi,
        serve_in_thread(
            lambda _port: build_app(todo), certfile=tls.server_cert, keyfile=tls.server_key
        ) as api_server,
    ):
        yield Host(
            cloud=cloud,
            tenant_id=tenant.id,
            system=system,
            user=user,
            api_uri=api_uri,
            todo_url=api_server.origin,
            listener=f"http://127.0.0.1:{mi.port}",
        )


@pytest.fixture(params=["app-service", "imds"])
def on_host(request: pytest.FixtureRequest, host: Host, monkeypatch: pytest.MonkeyPatch) -> Host:
    """The environment a process on the host sees: one form of endpoint, no secret at all."""
    for name in AZURE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    secret = HostSecrets(host.cloud.home).issue(host.tenant_id, host.system.name)
    for name, value in host_environment(host.listener, secret, request.param).items():
        monkeypatch.setenv(name, value)
    return host


def test_msal_system_assigned_identity_lists_users_in_graph(on_host: Host) -> None:
    client = msal.ManagedIdentityClient(
        msal.SystemAssignedManagedIdentity(), http_client=requests.Session()
    )
    result = client.acquire_token_for_client(resource=GRAPH)
    assert "access_token" in result, result
    users = on_host.graph_users(result["access_token"])
    assert users.status_code == 200, users.text
    assert "Adele Vance" in [u["displayName"] for u in users.json()["value"]]


def test_msal_user_assigned_identity_reads_the_todo_api(on_host: Host, read_sts_token: Any) -> None:
    client = msal.ManagedIdentityClient(
        msal.UserAssignedManagedIdentity(client_id=on_host.user.client_id),
        http_client=requests.Session(),
    )
    result = client.acquire_token_for_client(resource=on_host.api_uri)
    assert "access_token" in result, result
    claims = read_sts_token(result["access_token"])
    assert claims["azp"] == on_host.user.client_id
    assert claims["oid"] == on_host.user.principal_id
    assert claims["xms_mirid"] == on_host.user.resource_id
    response = on_host.todo_list(result["access_token"])
    assert response.status_code == 200, response.text


def test_azure_identity_managed_identity_credential_system_and_client_id(on_host: Host) -> None:
    from azure.identity import ManagedIdentityCredential

    with ManagedIdentityCredential() as system:
        token = system.get_token(f"{GRAPH}/.default").token
    assert on_host.graph_users(token).status_code == 200
    with ManagedIdentityCredential(client_id=on_host.user.client_id) as user:
        token = user.get_token(f"{on_host.api_uri}/.default").token
    assert on_host.todo_list(token).status_code == 200


def test_default_azure_credential_with_nothing_but_the_host(on_host: Host) -> None:
    from azure.identity import DefaultAzureCredential

    with DefaultAzureCredential() as credential:
        graph = credential.get_token(f"{GRAPH}/.default").token
        api = credential.get_token(f"{on_host.api_uri}/.default").token
    assert on_host.graph_users(graph).status_code == 200
    assert on_host.todo_list(api).status_code == 200


def test_sdks_report_an_identity_the_host_does_not_have(on_host: Host) -> None:
    from azure.identity import CredentialUnavailableError, ManagedIdentityCredential

    stranger = "0f5e1f36-8d0c-4a57-9a1e-2f4c6c1f0b11"
    result = msal.ManagedIdentityClient(
        msal.UserAssignedManagedIdentity(client_id=stranger), http_client=requests.Session()
    ).acquire_token_for_client(resource=GRAPH)
    assert "access_token" not in result
    assert "error" in result
    credential = ManagedIdentityCredential(client_id=stranger)
    with credential, pytest.raises(CredentialUnavailableError):
        credential.get_token(f"{GRAPH}/.default")


def test_raw_errors_over_the_wire(host: Host) -> None:
    imds = f"{host.listener}/metadata/identity/oauth2/token"
    query = {"api-version": "2018-02-01", "resource": GRAPH}
    secret = HostSecrets(host.cloud.home).issue(host.tenant_id, host.system.name)
    no_header = httpx.get(
        f"{host.listener}/hosts/{secret}/metadata/identity/oauth2/token", params=query
    )
    assert no_header.status_code == 400
    assert no_header.json() == {
        "error": "invalid_request",
        "error_description": "Required metadata header not specified",
    }
    no_host = httpx.get(imds, params=query, headers={"Metadata": "true"})
    assert no_host.status_code == 400
    assert no_host.json()["error_description"] == "Identity not found"
    wrong = httpx.get(
        f"{host.listener}/msi/token",
        params={"api-version": "2019-08-01", "resource": GRAPH},
        headers={"X-IDENTITY-HEADER": secret[:-4] + "AAAA"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["statusCode"] == 401
