"""Live servers for integration tests: the emulated cloud under real uvicorn with TLS on loopback.

Fixtures:
- `cloud` (session): the cloud origin (STS + Graph + portal) on an ephemeral port, its Platform,
  and the CA bundle; REQUESTS_CA_BUNDLE / SSL_CERT_FILE / NODE_EXTRA_CA_CERTS / CURL_CA_BUNDLE point
  at that bundle for the whole session (these machines preset them to the system bundle).
- `tenant` (function): a fresh tenant in that cloud, so tests don't see each other's objects.
- `node` (session): the Node.js executable with tests/node's msal-node installed (msal_node.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from msal_node import find_node

from tenantlab.config import PlatformSettings
from tenantlab.directory import Directory
from tenantlab.ids import new_guid
from tenantlab.keys import ensure_tls, env_exports
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant
from tenantlab.testing import serve_in_thread

pytestmark = pytest.mark.integration


@dataclass
class LiveCloud:
    platform: Platform
    origin: str
    port: int
    ca_bundle: Path
    ca_cert: Path
    home: Path

    @property
    def directory(self) -> Directory:
        return self.platform.directory

    def authority(self, tenant: str) -> str:
        return f"{self.origin}/{tenant}"


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCloud]:
    from tenantlab.server import create_cloud_app

    home = tmp_path_factory.mktemp("cloud-home")
    tls = ensure_tls(home)
    holder: dict[str, Platform] = {}

    def factory(port: int) -> object:
        settings = PlatformSettings(home=home, port=port, public_url=f"https://localhost:{port}")
        holder["platform"] = Platform.open(settings)
        return create_cloud_app(holder["platform"])

    with pytest.MonkeyPatch.context() as mp:
        for name, value in env_exports(tls.ca_bundle).items():
            mp.setenv(name, value)
        with serve_in_thread(factory, certfile=tls.server_cert, keyfile=tls.server_key) as server:
            yield LiveCloud(
                platform=holder["platform"],
                origin=server.origin,
                port=server.port,
                ca_bundle=tls.ca_bundle,
                ca_cert=tls.ca_cert,
                home=home,
            )
        holder["platform"].close()


@pytest.fixture(scope="session")
def node() -> str:
    return find_node()


@pytest.fixture(autouse=True)
def _ca_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-assert the CA variables per test (the root conftest isolates the environment)."""
    if "cloud" in request.fixturenames:
        bundle = request.getfixturevalue("cloud").ca_bundle
        for name, value in env_exports(bundle).items():
            monkeypatch.setenv(name, value)
    else:
        for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"):
            if name in os.environ:
                monkeypatch.setenv(name, os.environ[name])


@pytest.fixture
def tenant(cloud: LiveCloud) -> Tenant:
    suffix = new_guid()[:8]
    return cloud.directory.create_tenant(display_name=f"Test {suffix}", domain=f"t{suffix}")


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
def sts_registration(cloud: LiveCloud, tenant: Tenant) -> StsRegistration:
    directory = cloud.directory
    api_uri = f"api://todo-{new_guid()[:8]}"
    api = directory.create_application(
        tenant=tenant.id,
        display_name="ToDo API",
        identifier_uris=[api_uri],
        requested_access_token_version=2,
    )
    for value in ("ToDoList.Read.All", "ToDoList.ReadWrite.All"):
        directory.add_app_role(tenant=tenant.id, app=api.app_id, value=value)
    daemon = directory.create_application(tenant=tenant.id, display_name="Daemon")
    secret = directory.add_password(tenant=tenant.id, app=daemon.app_id).secret_text
    directory.grant_app_role(
        tenant=tenant.id, client=daemon.app_id, resource=api_uri, role="ToDoList.Read.All"
    )
    sp = directory.get_service_principal(tenant=tenant.id, key=daemon.app_id)
    return StsRegistration(
        tenant=tenant,
        api_app_id=api.app_id,
        api_uri=api_uri,
        daemon_app_id=daemon.app_id,
        daemon_sp_id=sp.id,
        secret=secret,
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
