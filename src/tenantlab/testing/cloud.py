"""The emulated cloud for a test session: started here under real uvicorn, or one already running.

`start_cloud(home)` is what the `tenantlab_cloud` fixture runs: the cloud origin (token service,
Graph, portal) on a free loopback port over TLS, its data folder `home`, the CA bundle clients must
trust. `connect_cloud(url, home)` is `--tenantlab-url`: a `tenantlab serve` that runs elsewhere
on this machine, whose data folder (or database URL) the tests share to create tenants; the server
sees them because its caches are keyed by the directory's revision.

Either way the test talks to the cloud over HTTPS only, as the user's app will talk to Entra; the
`Platform` is there to provision (tenants, apps, consent) without going through a portal.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.config import PlatformSettings
from tenantlab.errors import ConfigError
from tenantlab.ids import new_guid

if TYPE_CHECKING:
    from tenantlab.clock import ControlledClock
    from tenantlab.control.client import ControlClient, RemoteClock, RemoteFaults
    from tenantlab.directory import Directory
    from tenantlab.faults import FaultRegistry
    from tenantlab.platform import Platform
    from tenantlab.testing.tenant import LiveTenant

# When a session's cloud stops no test is waiting for an answer: what is still open is an idle
# keep-alive connection, not worth the default five seconds of grace (uvicorn counts seconds).
IDLE_SHUTDOWN = 1


@dataclass
class LiveCloud:
    """One emulated cloud: where it answers (`origin`), what to trust (`ca_bundle`), its parts.

    Not frozen, on purpose: the test kit's other parts (fault injection, the clock) hang their
    controls on this object.
    """

    platform: Platform
    origin: str
    port: int
    ca_bundle: Path
    ca_cert: Path
    home: Path
    management_apps: bool = False
    # Resources that live as long as the cloud (extra listeners), released when it stops.
    resources: ExitStack = field(default_factory=ExitStack, repr=False)
    # False for `--tenantlab-url`: faults and the clock are the remote server's, over HTTP.
    served_here: bool = True
    _control: ControlClient | None = field(default=None, repr=False)
    _managed_identity_endpoint: str | None = field(default=None, repr=False)

    @property
    def faults(self) -> FaultRegistry | RemoteFaults:
        """Fault injection: `cloud.faults.add("token", status=429, retry_after=5)` (a context
        manager), `cloud.faults.clear()`. See docs/testing.md."""
        return self.platform.faults if self.served_here else self._remote().faults

    @property
    def clock(self) -> ControlledClock | RemoteClock:
        """The cloud's clock: `advance(seconds)`, `set(datetime)`, `freeze()`, `resume()`,
        `reset()`. The clients' clocks do not move (docs/testing.md)."""
        return self.platform.clock if self.served_here else self._remote().clock

    def _remote(self) -> ControlClient:
        if self._control is None:
            from tenantlab.control.client import ControlClient

            self._control = ControlClient.for_data_folder(self.origin, self.home, self.ca_bundle)
            self.resources.callback(self._control.close)
        return self._control

    @property
    def directory(self) -> Directory:
        return self.platform.directory

    @property
    def graph_url(self) -> str:
        """Graph's v1.0 root on this cloud (what `https://graph.microsoft.com/v1.0` is on Azure)."""
        return f"{self.origin}/v1.0"

    @property
    def managed_identity_endpoint(self) -> str:
        """The managed identity listener (plain HTTP on loopback, as in Azure), started on first
        use and stopped with the cloud: what IDENTITY_ENDPOINT / IMDS point at on a host."""
        if self._managed_identity_endpoint is None:
            from tenantlab.sts.managed_identity import create_app
            from tenantlab.testing.live import serve_in_thread

            if not self.served_here:
                raise ConfigError(
                    "managed identities need the listener of `tenantlab serve "
                    "--managed-identity-port`: point the host's variables at it yourself"
                )
            server = self.resources.enter_context(
                serve_in_thread(
                    lambda _port: create_app(self.platform),
                    certfile=None,
                    keyfile=None,
                    graceful_shutdown=IDLE_SHUTDOWN,
                )
            )
            self._managed_identity_endpoint = f"http://127.0.0.1:{server.port}"
        return self._managed_identity_endpoint

    def authority(self, tenant: str) -> str:
        return f"{self.origin}/{tenant}"

    def ca_environment(self) -> dict[str, str]:
        """The variables that make MSAL, azure-identity, httpx, requests and msal-node trust us."""
        from tenantlab.keys import env_exports

        return env_exports(self.ca_bundle)

    def ssl_context(self) -> ssl.SSLContext:
        """An SSL context trusting this cloud (and the system's CAs): `httpx.Client(verify=...)`."""
        return ssl.create_default_context(cafile=str(self.ca_bundle))

    def new_tenant(self, display_name: str | None = None) -> LiveTenant:
        """A fresh workforce tenant `t{8 hex}.onmicrosoft.com`: tests never see each other's."""
        from tenantlab.testing.tenant import LiveTenant

        suffix = new_guid()[:8]
        row = self.directory.create_tenant(
            display_name=display_name or f"Test {suffix}", domain=f"t{suffix}"
        )
        tenant = LiveTenant(cloud=self, row=row)
        if self.management_apps:
            tenant.management()
        return tenant


@contextmanager
def start_cloud(
    home: Path, *, clock: Clock = SYSTEM_CLOCK, management_apps: bool = False
) -> Iterator[LiveCloud]:
    """Serve a new cloud from the data folder `home` until the block ends, then stop it cleanly.

    An empty or missing `home` starts as a copy of this build's template folder (testing.homes).

    `management_apps=True` gives every new tenant its management app at once (as `tenantlab
    tenant create` does); otherwise `LiveTenant.management()` provisions it when asked.
    """
    from tenantlab.keys import ensure_tls
    from tenantlab.platform import Platform
    from tenantlab.server import create_cloud_app
    from tenantlab.testing.homes import prepare_home
    from tenantlab.testing.live import serve_in_thread

    if not home.is_dir() or not any(home.iterdir()):
        prepare_home(home)  # a new folder: from the template, in milliseconds
    tls = ensure_tls(home)
    opened: list[Platform] = []

    def app_for(port: int) -> object:
        origin = f"https://localhost:{port}"
        settings = PlatformSettings(home=home, port=port, public_url=origin)
        opened.append(
            Platform.open(settings, clock, management_apps=False, first_key_with_tenant=False)
        )
        return create_cloud_app(opened[0])

    try:
        with serve_in_thread(
            app_for,
            certfile=tls.server_cert,
            keyfile=tls.server_key,
            graceful_shutdown=IDLE_SHUTDOWN,
        ) as server:
            cloud = LiveCloud(
                platform=opened[0],
                origin=server.origin,
                port=server.port,
                ca_bundle=tls.ca_bundle,
                ca_cert=tls.ca_cert,
                home=home,
                management_apps=management_apps,
            )
            with cloud.resources:
                yield cloud
    finally:
        for platform in opened:
            platform.close()


@contextmanager
def connect_cloud(
    url: str, home: Path, *, database_url: str | None = None, management_apps: bool = False
) -> Iterator[LiveCloud]:
    """Use the tenantlab already serving `url`, provisioning through its data folder `home`.

    Checked before any test runs: the server must answer as tenantlab over TLS the folder's CA
    issued, and must see a tenant created through the folder (else it uses another database).
    """
    from tenantlab.keys import ensure_tls
    from tenantlab.platform import Platform

    origin = url.rstrip("/")
    if not origin.startswith("https://"):
        raise ConfigError(f"--tenantlab-url must be an https:// origin, not '{url}'")
    if not (home / "tls" / "ca.pem").is_file():
        raise ConfigError(
            f"no tenantlab data folder at {home}: set TENANTLAB_HOME (or --tenantlab-home) to the "
            "folder the server at --tenantlab-url uses"
        )
    port = urlsplit(origin).port or 443
    settings = PlatformSettings(home=home, port=port, public_url=origin, database_url=database_url)
    tls = ensure_tls(home)
    platform = Platform.open(settings, management_apps=False, first_key_with_tenant=False)
    try:
        cloud = LiveCloud(
            platform=platform,
            origin=origin,
            port=port,
            ca_bundle=tls.ca_bundle,
            ca_cert=tls.ca_cert,
            home=home,
            management_apps=management_apps,
            served_here=False,
        )
        _check_shared_directory(cloud)
        with cloud.resources:
            yield cloud
    finally:
        platform.close()


def _check_shared_directory(cloud: LiveCloud) -> None:
    import httpx

    probe = cloud.directory.create_tenant(
        display_name="pytest-tenantlab probe", domain=f"probe{new_guid()[:8]}"
    )
    try:
        discovery = f"{cloud.origin}/{probe.id}/v2.0/.well-known/openid-configuration"
        try:
            answer = httpx.get(discovery, verify=cloud.ssl_context(), timeout=10)
        except httpx.HTTPError as error:
            raise ConfigError(
                f"{cloud.origin} did not answer ({error}): start `tenantlab serve` first"
            ) from error
        if answer.status_code != 200:
            raise ConfigError(
                f"{cloud.origin} does not see the tenants of {cloud.home} (HTTP "
                f"{answer.status_code}): point TENANTLAB_HOME at the folder the server uses"
            )
    finally:
        cloud.directory.delete_tenant(probe.id)
