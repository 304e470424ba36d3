"""The token service as one raw ASGI app: `/{tenant}/...` and `/common/...` routes.

Routing is a split of the path, not a framework router: the token endpoint is the platform's
hottest path and gains nothing from middleware. Routes:

    GET  /{tenant}/v2.0/.well-known/openid-configuration   v2 discovery
    GET  /{tenant}/.well-known/openid-configuration        v1 discovery
    GET  /{tenant}/discovery/v2.0/keys                     the tenant's JWKS
    GET  /{tenant}/discovery/keys                          same keys (v1 path)
    GET  /common/discovery/keys                            every tenant's keys
    GET  /common/discovery/instance                        instance discovery (MSAL)
    POST /{tenant}/oauth2/v2.0/token                       token endpoint (v2)
    POST /{tenant}/oauth2/token                            token endpoint (v1, `resource=`)

`{tenant}` is a GUID or any domain name of the tenant, in any case; `common` and `organizations`
serve discovery with Entra's `{tenantid}` template.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.types import Receive, Scope, Send

from tenantlab.platform import Platform
from tenantlab.sts import discovery, errors, tenancy
from tenantlab.sts.assertions import JwtBearerVerifier
from tenantlab.sts.clientauth import JWT_BEARER_ASSERTION
from tenantlab.sts.errors import StsError
from tenantlab.sts.federated_keys import FederatedKeyCache, https_fetcher
from tenantlab.sts.grants import ClientCredentialsGrant
from tenantlab.sts.http import JSON_HEADERS, parse_query_leniently, send_bytes, send_json
from tenantlab.sts.lockout import SharedLockouts
from tenantlab.sts.password_grant import PasswordGrant
from tenantlab.sts.snapshot import DirectoryCache
from tenantlab.sts.token import TokenService, correlation_id
from tenantlab.sts.urls import TENANT_TEMPLATE, Endpoints

log = logging.getLogger("tenantlab.sts")

TOKEN_ROUTES = {("oauth2", "v2.0", "token"): "v2", ("oauth2", "token"): "v1"}
DISCOVERY_V2 = ("v2.0", ".well-known", "openid-configuration")
DISCOVERY_V1 = (".well-known", "openid-configuration")
KEYS_V2 = ("discovery", "v2.0", "keys")
KEYS_V1 = ("discovery", "keys")
INSTANCE = ("discovery", "instance")


class StsApp:
    """Dispatches STS paths; every failure is answered in Entra's error format."""

    def __init__(
        self, platform: Platform, *, federated_keys: FederatedKeyCache | None = None
    ) -> None:
        """Wire the token service's grants and client-authentication methods, once.

        `federated_keys` fetches external issuers' keys; by default over HTTPS trusting the
        system CAs and this platform's CA bundle only.
        """
        self.platform = platform
        self.endpoints = Endpoints(platform.settings.origin)
        self.cache = DirectoryCache(platform.database)
        tokens = TokenService(
            cache=self.cache,
            keys=platform.keys,
            endpoints=self.endpoints,
            clock=platform.clock,
            directory=platform.directory,
            sign_ins=platform.sign_ins,
        )
        if federated_keys is None:
            fetch = https_fetcher([platform.settings.ca_bundle_path])
            federated_keys = FederatedKeyCache(fetch, platform.clock)
        # Certificate and federated client assertions.
        tokens.register_client_auth_method(JWT_BEARER_ASSERTION, JwtBearerVerifier(federated_keys))
        tokens.register_grant(
            "client_credentials",
            ClientCredentialsGrant(issuer=tokens.issuer, clients=tokens.clients),
        )
        tokens.register_grant(
            "password",
            PasswordGrant(
                directory=platform.directory,
                issuer=tokens.issuer,
                clients=tokens.clients,
                lockouts=SharedLockouts(platform.counters) if platform.settings.redis_url else None,
            ),
        )
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # nothing here speaks WebSocket: refuse the handshake
            await receive()
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            return
        segments = tuple(s for s in scope["path"].split("/") if s)
        if len(segments) >= 2:
            tenant, rest = segments[0], segments[1:]
            endpoint = TOKEN_ROUTES.get(rest)
            if endpoint is not None:
                await self.tokens.handle(scope, receive, send, tenant, endpoint)
                return
            if rest in (DISCOVERY_V2, DISCOVERY_V1, KEYS_V2, KEYS_V1, INSTANCE):
                await self._get(scope, send, tenant, rest)
                return
        await send_json(send, 404, {"error": "not_found", "error_description": "No such endpoint."})

    async def _get(self, scope: Scope, send: Send, tenant: str, rest: tuple[str, ...]) -> None:
        try:
            if scope["method"] != "GET":
                await send_bytes(
                    send,
                    405,
                    b'{"error":"method_not_allowed"}',
                    [*JSON_HEADERS, (b"allow", b"GET")],
                )
                return
            document = self._document(scope, tenant, rest)
        except StsError as exc:
            await self._send_error(scope, send, exc)
            return
        except Exception:
            log.exception("discovery request failed unexpectedly")
            await send_json(send, 500, {"error": "server_error"})
            return
        await send_json(send, 200, document)

    def _document(self, scope: Scope, tenant: str, rest: tuple[str, ...]) -> dict[str, Any]:
        special = tenancy.is_special(tenant)
        if rest == INSTANCE:
            if tenant.lower() != "common":
                raise errors.tenant_not_found(tenant)
            query = parse_query_leniently(scope.get("query_string", b""))
            return discovery.instance_discovery(self.endpoints, query)
        if special:
            if rest in (KEYS_V1, KEYS_V2):
                return discovery.common_jwks(
                    self.platform.database,
                    self.platform.keys,
                    self.endpoints,
                    self.platform.clock.now(),
                )
            if rest == DISCOVERY_V2:
                return discovery.openid_configuration_v2(
                    self.endpoints, tenant.lower(), TENANT_TEMPLATE
                )
            return discovery.openid_configuration_v1(
                self.endpoints, tenant.lower(), TENANT_TEMPLATE
            )
        revision = self.cache.revision()
        snapshot = tenancy.resolve_tenant(self.cache, tenant, revision)
        tid = snapshot.tenant_id
        if rest == DISCOVERY_V2:
            return discovery.openid_configuration_v2(self.endpoints, tid)
        if rest == DISCOVERY_V1:
            return discovery.openid_configuration_v1(self.endpoints, tid)
        return discovery.tenant_jwks(self.platform.keys, self.endpoints, tid, revision)

    async def _send_error(self, scope: Scope, send: Send, error: StsError) -> None:
        correlation = correlation_id(scope, {})
        trace_id = str(uuid.uuid4())
        log.info("discovery request refused: AADSTS%s (correlation %s)", error.code, correlation)
        body = error.render(
            trace_id=trace_id, correlation_id=correlation, now=self.platform.clock.now()
        )
        headers = [
            *JSON_HEADERS,
            (b"client-request-id", correlation.encode()),
            (b"x-ms-request-id", trace_id.encode()),
        ]
        await send_bytes(send, error.status, body, headers)


def create_app(platform: Platform) -> StsApp:
    """The token service's ASGI app for `platform` (issuers derive from its public origin)."""
    return StsApp(platform)
