"""`tenantlab run --managed-identity HOST`: COMMAND runs on HOST, as on an Azure VM or App Service.

Inside the namespace 169.254.169.254 is put on the loopback and the managed identity endpoints
listen on it, port 80, plain HTTP: the instance metadata service answers for HOST with no
variable set, exactly where the SDKs look on a VM. With the App Service form (the default),
COMMAND also gets `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`, as App Service and Azure Functions
set them.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenantlab.dropin.session import Inside
from tenantlab.errors import ConfigError
from tenantlab.keys.host_secrets import HostName, HostSecrets
from tenantlab.platform import Platform
from tenantlab.sts.managed_identity import create_app, host_environment

IMDS_ADDRESS = "169.254.169.254"
IMDS_PORT = 80
FORMS = ("app-service", "imds")


@dataclass(frozen=True)
class ManagedIdentityHost:
    """A `RunExtension`: the instance metadata service for `host` (and App Service's variables)."""

    host: str
    form: str = "app-service"  # or "imds": only 169.254.169.254, no variable set
    tenant: str | None = None

    def contribute(self, inside: Inside) -> None:
        platform = inside.platform
        own = HostName(self._tenant_id(platform), self.host)
        inside.add_loopback_address(IMDS_ADDRESS, "imds")
        inside.serve(
            create_app(platform, own_host=own),
            IMDS_ADDRESS,
            IMDS_PORT,
            advice="the instance metadata service needs 169.254.169.254:80 in the namespace",
            tls=False,
        )
        if self.form == "app-service":
            secret = HostSecrets(platform.settings.home).issue(own.tenant_id, own.host)
            for name, value in host_environment(f"http://{IMDS_ADDRESS}", secret).items():
                inside.setenv(name, value)

    def _tenant_id(self, platform: Platform) -> str:
        directory = platform.directory
        if self.tenant is not None:
            tenant_id = directory.get_tenant(self.tenant).id
            on_host = directory.host_identities(tenant=tenant_id, host=self.host)
            found = [tenant_id] if on_host else []
        else:
            found = directory.tenants_with_host(self.host)
        if not found:
            raise ConfigError(
                f"no managed identity is on host '{self.host}': create one with "
                f"`tenantlab managed-identity create --system-assigned {self.host}` (or attach "
                f"one with `tenantlab managed-identity attach NAME --host {self.host}`)"
            )
        if len(found) > 1:
            raise ConfigError(
                f"host '{self.host}' has managed identities in {len(found)} tenants; choose one "
                "with --managed-identity-tenant TENANT"
            )
        return found[0]
