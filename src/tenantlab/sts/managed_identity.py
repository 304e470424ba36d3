"""The managed identity endpoints: Azure's instance metadata service (IMDS) and App Service's form.

Plain HTTP, as in Azure (IMDS is `http://169.254.169.254`; App Service's `IDENTITY_ENDPOINT` is
`http://127.0.0.1:...`). One listener serves every host; which host a request speaks for:

    GET /metadata/identity/oauth2/token                 IMDS for the listener's own host (inside
                                                        `tenantlab run`, at 169.254.169.254:80)
    GET /hosts/{secret}/metadata/identity/oauth2/token  IMDS for the host the secret names
                                                        (`AZURE_POD_IDENTITY_AUTHORITY_HOST`)
    GET /msi/token                                      App Service (2019-08-01): the host is
                                                        named by `X-IDENTITY-HEADER`

The token is the token service's own (`TokenIssuer.issue_app_token`, as for client credentials)
for the host's system-assigned identity, or the attached user-assigned one a request picks with
`client_id`, `object_id` / `principal_id` or `msi_res_id` / `mi_res_id`. Replies and errors have
the shapes of Azure's endpoints: IMDS numbers as strings and `{"error","error_description"}`;
App Service `expires_on` in epoch seconds and `{"statusCode","message","correlationId"}`.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.types import Receive, Scope, Send

from tenantlab.directory.errors import DirectoryError
from tenantlab.directory.managed_identities import SYSTEM_ASSIGNED, ManagedIdentityView
from tenantlab.directory.sign_ins import MANAGED_IDENTITY, MANAGED_IDENTITY_CREDENTIAL, SignInFacts
from tenantlab.keys.host_secrets import HostName, HostSecrets
from tenantlab.platform import Platform
from tenantlab.sts import tenancy
from tenantlab.sts.clientauth import ACR_CERTIFICATE, AuthenticatedClient
from tenantlab.sts.errors import StsError
from tenantlab.sts.http import NO_STORE_HEADERS, header, parse_form, send_json
from tenantlab.sts.issuing import IssuedToken, TokenIssuer
from tenantlab.sts.snapshot import ClientEntry

log = logging.getLogger("tenantlab.sts.managed_identity")

IMDS_PATH = ("metadata", "identity", "oauth2", "token")
APP_SERVICE_PATH = ("msi", "token")
IMDS_OLDEST_API_VERSION = "2018-02-01"  # "2018-02-01 or greater" (Azure's IMDS docs)
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
APP_SERVICE_API_VERSION = "2019-08-01"
# Request parameters that pick a user-assigned identity, and what they match.
IMDS_SELECTORS = {"client_id": "client_id", "object_id": "principal_id", "msi_res_id": "resource"}
APP_SERVICE_SELECTORS = {
    "client_id": "client_id",
    "object_id": "principal_id",
    "principal_id": "principal_id",
    "mi_res_id": "resource",
}


@dataclass(frozen=True)
class EndpointError(Exception):
    status: int
    error: str  # IMDS `error`
    description: str  # IMDS `error_description` / App Service `message`


def identity_not_found() -> EndpointError:
    return EndpointError(400, "invalid_request", "Identity not found")


class ManagedIdentityApp:
    """The managed identity endpoints for every host; `own_host` answers the bare IMDS path."""

    def __init__(
        self, platform: Platform, issuer: TokenIssuer, own_host: HostName | None = None
    ) -> None:
        self.platform = platform
        self.issuer = issuer
        self.secrets = HostSecrets(platform.settings.home)
        self.own_host = own_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        if scope["type"] != "http":
            return
        segments = tuple(s for s in scope["path"].split("/") if s)
        correlation = str(uuid.uuid4())
        if segments == APP_SERVICE_PATH:
            await self._app_service(scope, send, correlation)
        elif segments == IMDS_PATH:
            await self._imds(scope, send, self.own_host)
        elif len(segments) == 6 and segments[0] == "hosts" and segments[2:] == IMDS_PATH:
            host = self.secrets.check(segments[1])
            if host is None:
                await send_json(send, 401, _imds_error("unknown_source", "Unknown Source"))
                return
            await self._imds(scope, send, host)
        else:
            await send_json(send, 404, _imds_error("not_found", "No such endpoint."))

    # -- IMDS ---------------------------------------------------------------------------------

    async def _imds(self, scope: Scope, send: Send, host: HostName | None) -> None:
        try:
            if scope["method"] != "GET":
                raise EndpointError(405, "unsupported_method", "Only GET is supported.")
            if header(scope, b"metadata") != b"true":
                raise EndpointError(
                    400, "invalid_request", "Required metadata header not specified"
                )
            query = _query(scope)
            version = query.get("api-version", "")
            if not _API_VERSION.match(version) or version < IMDS_OLDEST_API_VERSION:
                raise EndpointError(
                    400, "invalid_request", "Required query variable 'api-version' is missing"
                )
            issued, identity = self._issue(host, query, IMDS_SELECTORS, str(uuid.uuid4()), scope)
        except EndpointError as exc:
            await send_json(send, exc.status, _imds_error(exc.error, exc.description))
            return
        body = {
            "access_token": issued.access_token,
            "client_id": identity.client_id,
            "expires_in": str(issued.expires_in),
            "expires_on": str(issued.expires_on),
            "ext_expires_in": str(issued.ext_expires_in),
            "not_before": str(issued.not_before),
            "resource": issued.resource,
            "token_type": "Bearer",
        }
        await send_json(send, 200, body, NO_STORE_HEADERS[1:])

    # -- App Service --------------------------------------------------------------------------

    async def _app_service(self, scope: Scope, send: Send, correlation: str) -> None:
        try:
            if scope["method"] != "GET":
                raise EndpointError(405, "unsupported_method", "Only GET is supported.")
            presented = header(scope, b"x-identity-header")
            host = self.secrets.check(presented.decode("latin-1")) if presented else None
            if host is None:
                raise EndpointError(
                    401,
                    "unauthorized",
                    "The X-IDENTITY-HEADER header is missing or is not this host's "
                    "IDENTITY_HEADER.",
                )
            query = _query(scope)
            if query.get("api-version") != APP_SERVICE_API_VERSION:
                raise EndpointError(
                    400,
                    "invalid_request",
                    f"api-version must be {APP_SERVICE_API_VERSION} with X-IDENTITY-HEADER.",
                )
            issued, identity = self._issue(host, query, APP_SERVICE_SELECTORS, correlation, scope)
        except EndpointError as exc:
            message = exc.description
            if exc.description == identity_not_found().description:
                message = "Unable to load the proper Managed Identity."
            await send_json(
                send,
                exc.status,
                {"statusCode": exc.status, "message": message, "correlationId": correlation},
            )
            return
        body = {
            "access_token": issued.access_token,
            "expires_on": str(issued.expires_on),
            "resource": issued.resource,
            "token_type": "Bearer",
            "client_id": identity.client_id,
        }
        await send_json(send, 200, body, NO_STORE_HEADERS[1:])

    # -- shared ---------------------------------------------------------------------------------

    def _issue(
        self,
        host: HostName | None,
        query: dict[str, str],
        selectors: dict[str, str],
        correlation: str,
        scope: Scope,
    ) -> tuple[IssuedToken, ManagedIdentityView]:
        resource = query.get("resource", "").strip()
        if not resource:
            raise EndpointError(
                400, "invalid_request", "Required query variable 'resource' is missing"
            )
        picked = [(name, query[name]) for name in selectors if query.get(name)]
        if len(picked) > 1:
            raise EndpointError(
                400,
                "invalid_request",
                "Multiple managed identities were requested: give only one of "
                + ", ".join(selectors),
            )
        if host is None:
            raise identity_not_found()
        identity = self._identity(host, picked[0] if picked else None, selectors)
        now = self.platform.clock.now()
        client_address = scope.get("client")
        facts = SignInFacts(
            tenant_id=identity.tenant_id,
            app_id=identity.client_id,
            app_display_name=identity.name,
            service_principal_id=identity.principal_id,
            client_credential_type=MANAGED_IDENTITY_CREDENTIAL,
            event_type=MANAGED_IDENTITY,
            ip_address=str(client_address[0])[:64] if client_address else None,
        )
        try:
            revision = self.issuer.cache.revision()
            snapshot = tenancy.resolve_tenant(self.issuer.cache, identity.tenant_id, revision)
            caller = AuthenticatedClient(
                client=ClientEntry(
                    app_id=identity.client_id,
                    application_object_id="",
                    display_name=identity.name,
                    home_tenant_id=identity.tenant_id,
                    sign_in_audience="AzureADMyOrg",
                    service_principal_id=identity.principal_id,
                    enabled=True,
                    managed_identity_resource_id=identity.resource_id,
                ),
                acr=ACR_CERTIFICATE,
                method="managed_identity",
                snapshot=snapshot,
            )
            issued = self.issuer.issue_app_token(caller, resource, now, facts)
        except StsError as exc:
            log.info("managed identity token refused: AADSTS%s (%s)", exc.code, identity.name)
            self.platform.sign_ins.record(
                facts, correlation_id=correlation, error_code=exc.code, failure_reason=exc.text
            )
            raise EndpointError(400, exc.error, str(exc)) from None
        self.platform.sign_ins.record(facts, correlation_id=correlation)
        return issued, identity

    def _identity(
        self, host: HostName, picked: tuple[str, str] | None, selectors: dict[str, str]
    ) -> ManagedIdentityView:
        try:
            available = self.platform.directory.host_identities(
                tenant=host.tenant_id, host=host.host
            )
        except DirectoryError:  # the tenant is gone
            raise identity_not_found() from None
        if picked is None:
            found = [v for v in available if v.kind == SYSTEM_ASSIGNED]
        else:
            name, value = picked
            field = selectors[name]
            found = [v for v in available if _matches(v, field, value)]
        if not found:
            raise identity_not_found()
        return found[0]


def _matches(identity: ManagedIdentityView, field: str, value: str) -> bool:
    if field == "client_id":
        return identity.client_id.lower() == value.strip().lower()
    if field == "principal_id":
        return identity.principal_id.lower() == value.strip().lower()
    return identity.resource_id.lower() == value.strip().rstrip("/").lower()


def _query(scope: Scope) -> dict[str, str]:
    try:
        return parse_form(scope.get("query_string", b""), what="query string")
    except StsError as exc:
        raise EndpointError(400, "invalid_request", exc.text) from None


def _imds_error(error: str, description: str) -> dict[str, Any]:
    return {"error": error, "error_description": description}


def host_environment(endpoint: str, secret: str, form: str = "app-service") -> dict[str, str]:
    """The variables that point a client on a host at the listener `endpoint` (http://host:port).

    "app-service": IDENTITY_ENDPOINT + IDENTITY_HEADER, which every Azure SDK reads; "imds":
    AZURE_POD_IDENTITY_AUTHORITY_HOST, which MSAL Python and azure-identity put in front of the
    IMDS path instead of http://169.254.169.254.
    """
    base = endpoint.rstrip("/")
    if form == "imds":
        return {"AZURE_POD_IDENTITY_AUTHORITY_HOST": f"{base}/hosts/{secret}"}
    return {"IDENTITY_ENDPOINT": f"{base}/msi/token", "IDENTITY_HEADER": secret}


def create_app(platform: Platform, own_host: HostName | None = None) -> ManagedIdentityApp:
    """The managed identity endpoints, issuing with the token service's `TokenIssuer`."""
    from tenantlab.sts.snapshot import DirectoryCache
    from tenantlab.sts.urls import Endpoints

    issuer = TokenIssuer(
        cache=DirectoryCache(platform.database),
        keys=platform.keys,
        endpoints=Endpoints(platform.settings.origin),
    )
    return ManagedIdentityApp(platform, issuer, own_host)
