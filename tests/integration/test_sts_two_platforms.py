"""Two platforms in one process (as the pytest plugin opens several clouds): nothing is shared.

Each platform has its own data folder, local CA and CA bundle, and serves its token service under
uvicorn with TLS. An external issuer whose TLS certificate comes from platform A's CA is trusted by
A's token service only: B's fetch of the issuer's keys must fail the TLS check (AADSTS50166), before
and after A has fetched and cached them.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from issuers import SUBJECT, OidcIssuer, serve_issuer

from tenantlab.config import PlatformSettings
from tenantlab.keys import TlsFiles, ensure_tls
from tenantlab.platform import Platform
from tenantlab.sts.app import create_app
from tenantlab.sts.clientauth import JWT_BEARER_ASSERTION
from tenantlab.testing import serve_in_thread

pytestmark = pytest.mark.integration


@dataclass
class LivePlatform:
    platform: Platform
    origin: str
    tls: TlsFiles
    tenant_id: str = ""
    daemon_app_id: str = ""

    def trust(self, issuer: OidcIssuer) -> None:
        """A tenant whose daemon app trusts `issuer`'s workload tokens (federated credential)."""
        directory = self.platform.directory
        tenant = directory.create_tenant(display_name="Contoso", domain="contoso")
        daemon = directory.create_application(tenant=tenant.id, display_name="Daemon")
        directory.add_federated_credential(
            tenant=tenant.id, app=daemon.app_id, name="workload", issuer=issuer.url, subject=SUBJECT
        )
        self.tenant_id, self.daemon_app_id = tenant.id, daemon.app_id

    def exchange(self, assertion: str) -> httpx.Response:
        trust = ssl.create_default_context(cafile=str(self.tls.ca_bundle))
        return httpx.post(
            f"{self.origin}/{self.tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.daemon_app_id,
                "client_assertion_type": JWT_BEARER_ASSERTION,
                "client_assertion": assertion,
                "scope": "https://graph.microsoft.com/.default",
            },
            verify=trust,
            timeout=60,
        )


@contextmanager
def live_platform(home: Path) -> Iterator[LivePlatform]:
    """A platform with its own data folder and CA, its token service served with TLS."""
    tls = ensure_tls(home)
    holder: dict[str, Platform] = {}

    def factory(port: int) -> object:
        settings = PlatformSettings(home=home, port=port, public_url=f"https://localhost:{port}")
        assert settings.ca_bundle_path == tls.ca_bundle
        holder["platform"] = Platform.open(settings)
        return create_app(holder["platform"])

    with serve_in_thread(factory, certfile=tls.server_cert, keyfile=tls.server_key) as server:
        try:
            yield LivePlatform(holder["platform"], server.origin, tls)
        finally:
            holder["platform"].close()


def test_each_platform_trusts_only_its_own_ca_bundle(tmp_path: Path) -> None:
    with ExitStack() as stack:
        a = stack.enter_context(live_platform(tmp_path / "platform-a"))
        b = stack.enter_context(live_platform(tmp_path / "platform-b"))
        assert a.tls.ca_cert.read_bytes() != b.tls.ca_cert.read_bytes()
        # The issuer's TLS certificate is signed by A's local CA.
        issuer = stack.enter_context(serve_issuer(a.tls.server_cert, a.tls.server_key))
        a.trust(issuer)
        b.trust(issuer)

        refused = b.exchange(issuer.token())
        assert refused.status_code == 400, refused.text
        assert refused.json()["error_codes"] == [50166]

        accepted = a.exchange(issuer.token())
        assert accepted.status_code == 200, accepted.text

        # A has the issuer's keys cached now; B still has not, and still may not fetch them.
        again = b.exchange(issuer.token())
        assert again.status_code == 400, again.text
        assert again.json()["error_codes"] == [50166]
        # The TLS handshake is what fails (the issuer is up: A just read it).
        assert "failed: ConnectError" in again.json()["error_description"]
