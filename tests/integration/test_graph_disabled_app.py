"""Disabling an app through Graph, end to end: real servers, TLS, MSAL (issue 11 item 6).

The management app registers a daemon through Graph with its service principal disabled; MSAL gets
AADSTS7000112 until Graph enables it; after a PATCH disables it again, MSAL gets no new token and
the token it already holds stops working at Graph within the revision window.
"""

from __future__ import annotations

import ssl
import time
from typing import Any

import httpx
import msal
import pytest

from tenantlab.bootstrap import read_management_credentials
from tenantlab.graph.auth import REVISION_TTL
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.storage.schema import Tenant

pytestmark = pytest.mark.integration

LiveCloud = Any  # tests/integration/conftest.py
GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]
USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214"


def _token(cloud: LiveCloud, tenant_id: str, client_id: str, secret: str) -> dict[str, Any]:
    """A fresh MSAL client each time, so the answer comes from the token service, not a cache."""
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=cloud.authority(tenant_id),
        instance_discovery=False,
    )
    return app.acquire_token_for_client(scopes=GRAPH_SCOPE)  # type: ignore[no-any-return]


def _graph(cloud: LiveCloud, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{cloud.origin}/v1.0",
        headers={"Authorization": f"Bearer {token}"},
        verify=ssl.create_default_context(cafile=str(cloud.ca_bundle)),
        timeout=30,
    )


def test_a_disabled_app_gets_aadsts7000112_and_its_tokens_stop_at_graph(
    cloud: LiveCloud, tenant: Tenant
) -> None:
    credentials = read_management_credentials(cloud.platform.settings, tenant.id)
    assert credentials is not None
    management = _token(cloud, tenant.id, credentials.clientId, credentials.clientSecret)
    with _graph(cloud, management["access_token"]) as admin:
        app = admin.post("/applications", json={"displayName": "Daemon"}).json()
        secret = admin.post(f"/applications/{app['id']}/addPassword", json={}).json()
        created = admin.post(
            "/servicePrincipals", json={"appId": app["appId"], "accountEnabled": False}
        )
        assert created.status_code == 201, created.text
        sp = created.json()
        assert sp["accountEnabled"] is False
        graph_sp = admin.get(f"/servicePrincipals(appId='{MICROSOFT_GRAPH_APP_ID}')").json()
        consent = {
            "principalId": sp["id"],
            "resourceId": graph_sp["id"],
            "appRoleId": USER_READ_ALL,
        }
        granted = admin.post(f"/servicePrincipals/{sp['id']}/appRoleAssignments", json=consent)
        assert granted.status_code == 201, granted.text

        refused = _token(cloud, tenant.id, app["appId"], secret["secretText"])
        assert "access_token" not in refused, refused
        assert refused["error"] == "unauthorized_client"
        assert "AADSTS7000112" in refused["error_description"]

        enabled = admin.patch(f"/servicePrincipals/{sp['id']}", json={"accountEnabled": True})
        assert enabled.status_code == 204, enabled.text
        issued = _token(cloud, tenant.id, app["appId"], secret["secretText"])
        assert "access_token" in issued, issued
        with _graph(cloud, issued["access_token"]) as daemon:
            assert daemon.get("/users").status_code == 200

            disabled = admin.patch(
                f"/servicePrincipals(appId='{app['appId']}')", json={"accountEnabled": False}
            )
            assert disabled.status_code == 204, disabled.text
            again = _token(cloud, tenant.id, app["appId"], secret["secretText"])
            assert "AADSTS7000112" in again.get("error_description", ""), again

            deadline = time.monotonic() + REVISION_TTL + 5
            response = daemon.get("/users")
            while response.status_code == 200 and time.monotonic() < deadline:
                time.sleep(0.2)
                response = daemon.get("/users")
            assert response.status_code == 401, response.text
            assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
            assert response.headers["WWW-Authenticate"].startswith("Bearer ")
