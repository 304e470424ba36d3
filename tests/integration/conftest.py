"""Live servers for integration tests: the emulated cloud under real uvicorn with TLS on loopback.

Fixtures:
- `cloud` (session): the cloud origin (STS + Graph + portal) on an ephemeral port, its Platform,
  and the CA bundle; REQUESTS_CA_BUNDLE / SSL_CERT_FILE / NODE_EXTRA_CA_CERTS / CURL_CA_BUNDLE point
  at that bundle for the whole session (these machines preset them to the system bundle).
- `tenant` (function): a fresh tenant in that cloud, so tests don't see each other's objects.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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
