"""A test's own tenant, and the registrations a test makes in it in one line each.

The calls mirror what an admin does in the portal (register an app, expose an API, add a secret,
grant admin consent) and go through the same `Directory` the portal, the CLI and Graph use, so
the token service applies Entra's rules to them: roles come only from consented assignments, the
token version from the API's manifest, and so on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tenantlab.testing.registrations import (
    ClientCertificate,
    RegisteredApi,
    RegisteredApp,
    TestUser,
    resource_key,
)

if TYPE_CHECKING:
    from tenantlab.bootstrap import ManagementCredentials
    from tenantlab.directory import Directory
    from tenantlab.directory.managed_identities import ManagedIdentityView
    from tenantlab.storage.schema import Tenant
    from tenantlab.testing.cloud import LiveCloud
    from tenantlab.testing.forge import ForgeKey, TokenForge, TokenVersion

Resource = RegisteredApi | str  # an API, its identifier URI or appId, or "graph"
Client = RegisteredApp | str  # an app, or a client id (a managed identity's, say)
Consents = Mapping[Resource, Iterable[str]]


@dataclass
class LiveTenant:
    """A tenant of the live cloud: its ids, and factories for what lives in it."""

    cloud: LiveCloud
    row: Tenant  # the directory's record (what tenantlab's own tests call `tenant`)
    _forge: TokenForge | None = field(default=None, init=False, repr=False)

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def display_name(self) -> str:
        return self.row.display_name

    @property
    def domain(self) -> str:
        """The initial domain, `t1a2b3c4d.onmicrosoft.com`: user names end with it."""
        return self.directory.tenant_domains(self.id)[0]

    @property
    def instance(self) -> str:
        """The cloud's origin: where `login.microsoftonline.com` would be (apiauth's `instance`,
        azure-identity's `authority`)."""
        return self.cloud.origin

    @property
    def authority(self) -> str:
        """What MSAL's `authority` is set to: `{cloud}/{tenant id}`."""
        return self.cloud.authority(self.id)

    @property
    def issuer(self) -> str:
        """The `iss` of the v2 tokens this tenant issues."""
        return f"{self.authority}/v2.0"

    @property
    def v1_issuer(self) -> str:
        """The `iss` of its v1 tokens (Entra: `https://sts.windows.net/{tid}/`)."""
        from tenantlab.config import v1_issuer_origin

        return f"{v1_issuer_origin(self.cloud.origin)}/{self.id}/"

    @property
    def jwks_uri(self) -> str:
        return f"{self.authority}/discovery/v2.0/keys"

    @property
    def directory(self) -> Directory:
        return self.cloud.directory

    def api(
        self,
        display_name: str,
        *,
        identifier_uri: str = "api://{appId}",
        roles: Iterable[str] = (),
        scopes: Iterable[str] = (),
        token_version: int | None = 2,
    ) -> RegisteredApi:
        """Register a web API: its identifier URI, app roles (application permissions), delegated
        scopes and `requestedAccessTokenVersion` (1 or 2; None, the manifest's null, means 1)."""
        directory = self.directory
        created = directory.create_application(
            tenant=self.id,
            display_name=display_name,
            identifier_uris=[identifier_uri],
            requested_access_token_version=token_version,
        )
        roles, scopes = tuple(roles), tuple(scopes)
        for role in roles:
            directory.add_app_role(tenant=self.id, app=created.app_id, value=role)
        for scope in scopes:
            directory.add_permission_scope(tenant=self.id, app=created.app_id, value=scope)
        principal = directory.get_service_principal(tenant=self.id, key=created.app_id)
        return RegisteredApi(
            tenant_id=self.id,
            app_id=created.app_id,
            object_id=created.id,
            service_principal_id=principal.id,
            display_name=display_name,
            identifier_uri=identifier_uri.replace("{appId}", created.app_id),
            roles=roles,
            scopes=scopes,
            token_version=token_version or 1,
        )

    def app(
        self,
        display_name: str,
        *,
        secret: bool | str = False,
        certificate: bool = False,
        federated: Iterable[tuple[str, str]] = (),
        roles: Consents | None = None,
        scopes: Consents | None = None,
        sign_in_audience: str = "AzureADMyOrg",
    ) -> RegisteredApp:
        """Register a client app with its credentials, and admin-consent what it may call.

        `secret=True` adds a client secret (a string chooses its value); `certificate=True` a
        self-signed certificate whose private key the returned app keeps; `federated` trusts
        (issuer, subject) pairs. `roles={api: ["Orders.Read"], "graph": ["User.Read.All"]}`
        grants application permissions, `scopes={...}` delegated ones.
        """
        directory = self.directory
        created = directory.create_application(
            tenant=self.id, display_name=display_name, sign_in_audience=sign_in_audience
        )
        secret_text = None
        if secret:
            secret_text = directory.add_password(
                tenant=self.id,
                app=created.app_id,
                secret_text=secret if isinstance(secret, str) else None,
            ).secret_text
        cert = None
        if certificate:
            folder = self.cloud.home / "test-certificates" / self.id
            cert = ClientCertificate.create(display_name, folder)
            directory.add_certificate(
                tenant=self.id, app=created.app_id, certificate_pem_or_der=cert.certificate_pem
            )
        pairs = tuple(federated)
        for index, (issuer, subject) in enumerate(pairs):
            directory.add_federated_credential(
                tenant=self.id,
                app=created.app_id,
                name=f"federated-{index + 1}",
                issuer=issuer,
                subject=subject,
            )
        principal = directory.get_service_principal(tenant=self.id, key=created.app_id)
        registered = RegisteredApp(
            tenant_id=self.id,
            app_id=created.app_id,
            object_id=created.id,
            service_principal_id=principal.id,
            display_name=display_name,
            authority=self.authority,
            ca_bundle=self.cloud.ca_bundle,
            secret=secret_text,
            certificate=cert,
            federated=pairs,
        )
        for resource, values in (roles or {}).items():
            self.grant(registered, resource, roles=values)
        for resource, values in (scopes or {}).items():
            self.grant(registered, resource, scopes=values)
        return registered

    def grant(
        self,
        client: Client,
        resource: Resource,
        *,
        roles: Iterable[str] = (),
        scopes: Iterable[str] = (),
    ) -> None:
        """Admin consent: app roles of `resource` to `client` (its service principal is made if
        needed), and delegated `scopes` for all users."""
        client_id = client.app_id if isinstance(client, RegisteredApp) else client
        target = resource_key(resource)
        for role in roles:
            self.directory.grant_app_role(
                tenant=self.id, client=client_id, resource=target, role=role
            )
        wanted = list(scopes)
        if wanted:
            self.directory.grant_delegated(
                tenant=self.id, client=client_id, resource=target, scopes=wanted
            )

    def user(
        self,
        alias: str,
        *,
        display_name: str | None = None,
        password: str | None = None,
        **fields: Any,
    ) -> TestUser:
        """A member user `alias@{domain}`; with `password=` it can sign in (ROPC, the portal)."""
        created = self.directory.create_user(
            tenant=self.id,
            user_principal_name=f"{alias}@{self.domain}",
            display_name=display_name or alias.replace(".", " ").title(),
            password=password,
            **fields,
        )
        return TestUser(
            tenant_id=self.id,
            id=created.id,
            user_principal_name=created.user_principal_name,
            display_name=created.display_name,
            password=password,
        )

    def managed_identity(
        self,
        name: str,
        *,
        user_assigned: bool = False,
        hosts: Iterable[str] = (),
        roles: Consents | None = None,
    ) -> ManagedIdentityView:
        """A managed identity (system-assigned: `name` is its host) with consented app roles."""
        from tenantlab.directory.managed_identities import SYSTEM_ASSIGNED, USER_ASSIGNED

        identity = self.directory.create_managed_identity(
            tenant=self.id,
            name=name,
            kind=USER_ASSIGNED if user_assigned else SYSTEM_ASSIGNED,
            hosts=tuple(hosts),
        )
        for resource, values in (roles or {}).items():
            self.grant(identity.client_id, resource, roles=values)
        return identity

    def host_environment(self, host: str, form: str = "app-service") -> dict[str, str]:
        """The variables a process on `host` (a system-assigned identity's name, or a host a
        user-assigned one is attached to) sees: set them and MSAL's ManagedIdentityClient,
        azure-identity's ManagedIdentityCredential or DefaultAzureCredential get its tokens.
        `form`: "app-service" (IDENTITY_ENDPOINT + IDENTITY_HEADER) or "imds"."""
        from tenantlab.keys.host_secrets import HostSecrets
        from tenantlab.sts.managed_identity import host_environment

        secret = HostSecrets(self.cloud.home).issue(self.id, host)
        return host_environment(self.cloud.managed_identity_endpoint, secret, form)

    def management(self) -> ManagementCredentials:
        """The tenant's management app (Graph: Application/AppRoleAssignment/User.ReadWrite.All),
        registered on first use: what automation provisions the tenant with through Graph."""
        from tenantlab.bootstrap import provision_management_app, read_management_credentials

        platform = self.cloud.platform
        existing = read_management_credentials(
            platform.settings, self.id, database=platform.database, sealer=platform.secrets
        )
        if existing is not None:
            return existing
        return provision_management_app(
            self.directory, platform.settings, self.row, sealer=platform.secrets
        )

    def forge(
        self,
        *,
        audience: Resource,
        client: Client | None = None,
        roles: Sequence[str] | None = None,
        claims: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        key: ForgeKey = "tenant",
        expired: bool | float = False,
        issuer: str | None = None,
        version: TokenVersion | None = None,
    ) -> str:
        """A JWT as this tenant's token service would issue it for `audience`, except for what is
        asked (testing.forge): `key="foreign"|"none"|"hs256-with-public-key"|...`, `expired=`,
        `issuer=`, `claims={"roles": OMIT}`, ... For the negative tests of an API."""
        from tenantlab.testing.forge import TokenForge

        if self._forge is None:
            self._forge = TokenForge(self.cloud.platform, self.id)
        return self._forge.forge(
            audience=audience.identifier_uri
            if isinstance(audience, RegisteredApi)
            else resource_key(audience),
            client_id=client.app_id if isinstance(client, RegisteredApp) else client,
            roles=roles,
            claims=claims,
            headers=headers,
            key=key,
            expired=expired,
            issuer=issuer,
            version=version,
        )
