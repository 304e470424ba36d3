"""Graph over TLS with real tokens from the token service: permission gates, errors, paging."""

from __future__ import annotations

import ssl
import threading
from typing import Any

import httpx
import msal
import pytest

from tenantlab.bootstrap import read_management_credentials
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, new_guid
from tenantlab.storage.schema import Tenant, User

pytestmark = pytest.mark.integration

LiveCloud = Any  # tests/integration/conftest.py
GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]


def graph_token(cloud: LiveCloud, tenant_id: str, client_id: str, secret: str) -> str:
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=cloud.authority(tenant_id),
        instance_discovery=False,
    )
    result = app.acquire_token_for_client(scopes=GRAPH_SCOPE)
    assert "access_token" in result, result
    return str(result["access_token"])


def http(cloud: LiveCloud, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{cloud.origin}/v1.0",
        headers={"Authorization": f"Bearer {token}"},
        verify=ssl.create_default_context(cafile=str(cloud.ca_bundle)),
        timeout=30,
    )


def app_with_roles(cloud: LiveCloud, tenant: Tenant, roles: list[str]) -> httpx.Client:
    app = cloud.directory.create_application(tenant=tenant.id, display_name=f"app {new_guid()}")
    secret = cloud.directory.add_password(tenant=tenant.id, app=app.app_id).secret_text
    for role in roles:
        cloud.directory.grant_app_role(
            tenant=tenant.id, client=app.app_id, resource=MICROSOFT_GRAPH_APP_ID, role=role
        )
    return http(cloud, graph_token(cloud, tenant.id, app.app_id, secret))


@pytest.mark.parametrize(
    ("roles", "path", "status"),
    [
        ([], "/users", 403),
        (["User.Read.All"], "/users", 200),
        (["User.ReadWrite.All"], "/users", 200),
        (["Directory.Read.All"], "/users", 200),
        (["Directory.ReadWrite.All"], "/users", 200),
        (["Application.Read.All"], "/users", 403),
        (["Application.Read.All"], "/applications", 200),
        (["User.Read.All"], "/applications", 403),
        (["Application.ReadWrite.All"], "/servicePrincipals", 200),
        (["User.ReadWrite.All"], "/servicePrincipals", 403),
    ],
)
def test_permission_gates_with_real_tokens(
    cloud: LiveCloud, tenant: Tenant, roles: list[str], path: str, status: int
) -> None:
    with app_with_roles(cloud, tenant, roles) as graph:
        response = graph.get(path)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["error"]["code"] == "Authorization_RequestDenied"


def test_errors_over_the_wire(cloud: LiveCloud, tenant: Tenant) -> None:
    with app_with_roles(cloud, tenant, ["User.Read.All"]) as graph:
        too_big = graph.get("/users", params={"$top": "1000"})
        missing = graph.get(f"/users/{new_guid()}")
        unauthenticated = graph.get("/users", headers={"Authorization": ""})
    assert too_big.status_code == 400
    assert too_big.json()["error"]["message"] == (
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "Request_ResourceNotFound"
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "InvalidAuthenticationToken"
    for response in (too_big, missing, unauthenticated):
        assert response.headers["request-id"]
        assert response.headers["client-request-id"]


def seed_users(cloud: LiveCloud, tenant: Tenant, count: int) -> set[str]:
    domain = cloud.directory.tenant_domains(tenant.id)[0]
    rows = [
        User(
            id=new_guid(),
            tenant_id=tenant.id,
            user_principal_name=f"seed{i:05}@{domain}",
            upn_key=f"seed{i:05}@{domain}",
            display_name=f"Seed {i:05}",
            created_at=cloud.platform.clock.now(),
        )
        for i in range(count)
    ]
    with cloud.platform.database.session() as session:
        session.add_all(rows)
    return {row.id for row in rows}


@pytest.mark.parametrize("order", [None, "displayName"])
def test_paging_2500_users_while_others_are_inserted(
    cloud: LiveCloud, tenant: Tenant, order: str | None
) -> None:
    existing = seed_users(cloud, tenant, 2500)
    domain = cloud.directory.tenant_domains(tenant.id)[0]
    stop = threading.Event()
    started = threading.Event()
    inserted: list[str] = []

    def keep_inserting() -> None:
        while not stop.is_set():
            name = f"late{len(inserted):05}"
            user = cloud.directory.create_user(
                tenant=tenant.id, user_principal_name=f"{name}@{domain}", display_name=name
            )
            inserted.append(user.id)
            started.set()

    credentials = read_management_credentials(cloud.platform.settings, tenant.id)
    assert credentials is not None
    token = graph_token(cloud, tenant.id, credentials.clientId, credentials.clientSecret)
    writer = threading.Thread(target=keep_inserting)
    seen: list[str] = []
    pages = 0
    writer.start()
    assert started.wait(60), "the writer could not insert a user"
    try:
        with http(cloud, token) as graph:
            params = {"$top": "100", "$select": "id,displayName"}
            if order:
                params["$orderby"] = order
            response = graph.get("/users", params=params)
            while True:
                assert response.status_code == 200, response.text
                body = response.json()
                seen += [user["id"] for user in body["value"]]
                pages += 1
                if "@odata.nextLink" not in body:
                    break
                response = graph.get(body["@odata.nextLink"])  # verbatim, as Graph requires
    finally:
        stop.set()
        writer.join()
    assert len(seen) == len(set(seen)), "a user was returned twice"
    assert existing <= set(seen), f"{len(existing - set(seen))} existing users were skipped"
    assert pages >= 25


def test_throttling_over_the_wire(cloud: LiveCloud, tenant: Tenant) -> None:
    """A Graph server with a 4-unit budget beside the cloud, sharing its platform and tokens."""
    from tenantlab.graph.app import create_app
    from tenantlab.testing import serve_in_thread

    tls = cloud.home / "tls"
    cloud.directory.set_graph_throttling(tenant=tenant.id, enabled=True)
    with app_with_roles(cloud, tenant, ["User.Read.All"]) as graph:
        token = graph.headers["Authorization"]
    trust = ssl.create_default_context(cafile=str(cloud.ca_bundle))
    with (
        serve_in_thread(
            lambda _port: create_app(cloud.platform, throttle_limit=4),
            certfile=tls / "server.pem",
            keyfile=tls / "server-key.pem",
        ) as server,
        httpx.Client(headers={"Authorization": token}, verify=trust) as throttled,
    ):
        url = f"{server.origin}/v1.0/users"
        statuses = [throttled.get(url).status_code for _ in range(3)]
        refused = throttled.get(url)
    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert refused.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
    assert refused.json()["error"]["code"] == "TooManyRequests"
