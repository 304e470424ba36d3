"""Live servers for integration tests: the emulated cloud under real uvicorn with TLS on loopback.

Fixtures:
- `cloud` (session): the pytest plugin's `tenantlab_cloud` (tenantlab.testing.plugin): the cloud
  origin (STS + Graph + portal) on an ephemeral port, its Platform, and the CA bundle;
  REQUESTS_CA_BUNDLE / SSL_CERT_FILE / NODE_EXTRA_CA_CERTS / CURL_CA_BUNDLE point at that bundle
  for the whole session (these machines preset them to the system bundle).
- `tenant` (function): the plugin's fresh tenant, as its directory record; the plugin's `app`,
  `api`, `grant`, `user`, `todo_api` fixtures work in it.
- `node` (session): the Node.js executable with tests/node's msal-node installed (msal_node.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from msal_node import find_node

from tenantlab.ids import new_guid
from tenantlab.keys import env_exports
from tenantlab.storage.schema import Tenant
from tenantlab.testing import LiveCloud, LiveTenant

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def cloud(tenantlab_cloud: LiveCloud) -> LiveCloud:
    """The plugin's cloud (tenantlab.testing.plugin), under the name our tests have always used."""
    return tenantlab_cloud


@pytest.fixture(scope="session")
def node() -> str:
    return find_node()


@pytest.fixture(autouse=True)
def _ca_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-assert the CA variables per test (the root conftest isolates the environment)."""
    if "tenantlab_cloud" in request.fixturenames:
        bundle = request.getfixturevalue("tenantlab_cloud").ca_bundle
        for name, value in env_exports(bundle).items():
            monkeypatch.setenv(name, value)
    else:
        for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"):
            if name in os.environ:
                monkeypatch.setenv(name, os.environ[name])


@pytest.fixture
def tenant(tenantlab_tenant: LiveTenant) -> Tenant:
    """The plugin's fresh tenant, as the directory's record (`tenant.id`): the plugin's `app`,
    `api`, `grant` and `user` fixtures create in this same tenant."""
    return tenantlab_tenant.row


# -- token service: a daemon registration (used by the test_sts_* interop tests) ----------------


@dataclass
class StsRegistration:
    """A v2 API with two app roles, a daemon app with a secret, and one role consented."""

    tenant: Tenant
    api_app_id: str
    api_uri: str
    daemon_app_id: str
    daemon_sp_id: str
    secret: str
    granted_roles: list[str]

    def check_daemon_token(self, claims: dict[str, Any], origin: str) -> None:
        """The claims of the v2 app-only token the daemon gets for the API, in its tenant."""
        assert claims["aud"] == self.api_app_id
        assert claims["iss"] == f"{origin}/{self.tenant.id}/v2.0"
        assert claims["tid"] == self.tenant.id
        assert claims["oid"] == self.daemon_sp_id
        assert claims["azp"] == self.daemon_app_id
        assert claims["ver"] == "2.0"
        assert claims["roles"] == self.granted_roles


@pytest.fixture
def sts_registration(tenantlab_tenant: LiveTenant) -> StsRegistration:
    """Made with the plugin's factories (dogfood): `api` and `app` with consent."""
    api = tenantlab_tenant.api(
        "ToDo API",
        identifier_uri=f"api://todo-{new_guid()[:8]}",
        roles=["ToDoList.Read.All", "ToDoList.ReadWrite.All"],
    )
    daemon = tenantlab_tenant.app("Daemon", secret=True, roles={api: ["ToDoList.Read.All"]})
    assert daemon.secret is not None
    return StsRegistration(
        tenant=tenantlab_tenant.row,
        api_app_id=api.app_id,
        api_uri=api.identifier_uri,
        daemon_app_id=daemon.app_id,
        daemon_sp_id=daemon.service_principal_id,
        secret=daemon.secret,
        granted_roles=["ToDoList.Read.All"],
    )


@pytest.fixture
def read_sts_token(cloud: LiveCloud) -> Callable[[str], dict[str, Any]]:
    """Verify an access token's signature against the tenant's published JWKS; return its claims."""
    import ssl

    import httpx
    import jwt

    def read(token: str) -> dict[str, Any]:
        unverified = jwt.decode(token, options={"verify_signature": False})
        url = f"{cloud.origin}/{unverified['tid']}/discovery/v2.0/keys"
        trust = ssl.create_default_context(cafile=str(cloud.ca_bundle))
        keys = httpx.get(url, verify=trust).json()["keys"]
        kid = jwt.get_unverified_header(token)["kid"]
        jwk = next(k for k in keys if k["kid"] == kid)
        key = jwt.PyJWK(jwk, algorithm="RS256").key
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=["RS256"], options={"verify_aud": False}
        )
        return claims

    return read
