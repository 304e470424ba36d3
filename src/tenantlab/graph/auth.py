"""Who is calling: Graph protects itself with `tenantlab.apiauth`, like any Entra-protected API.

Validation is apiauth's (`tenantlab.jws` underneath: size cap before decoding, signature before
claims, strict base64url and JSON, `crit`, claim types; then lifetime, audience, issuer, tenant).
What is Graph's own lives here:
- the key source: each tenant's published signing keys, read in process from the KeyStore
  instead of over HTTPS (`GraphKeys`, an `apiauth.KeySource`);
- Graph's token shape: v1 only (Graph tokens are v1 whatever endpoint issued them, Entra
  behaviour §4.3), issuer `{origin}/{tid}/` (the token service's stand-in for
  `https://sts.windows.net/{tid}/`, see `sts/urls.py`), `aud` Graph's App ID URI or appId;
- its tenant rules (`TenantRules`: the tenant must exist; throttling is a tenant fact), both
  cached per directory revision;
- its error texts: every failure is a 401 `InvalidAuthenticationToken` in Graph's envelope, none
  echoes the token, none tells which check failed beyond Graph's own few messages.

Permissions come from `roles` only: app-only callers hold exactly the application permissions an
admin consented to (the claim is absent when there are none: 403, as Graph answers).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from tenantlab.apiauth import (
    ApiAuthError,
    BearerAuthenticator,
    InsufficientScope,
    Metadata,
    MissingToken,
    Principal,
    TokenValidationSettings,
    TokenValidator,
    VerificationKey,
)
from tenantlab.graph.errors import AuthorizationRequestDenied, InvalidAuthenticationToken
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_RESOURCE, is_guid
from tenantlab.platform import Platform
from tenantlab.storage.database import current_revision

GRAPH_AUDIENCES = (MICROSOFT_GRAPH_RESOURCE, MICROSOFT_GRAPH_RESOURCE + "/", MICROSOFT_GRAPH_APP_ID)
# How long a read of the directory's revision is trusted (tenant facts, published keys).
REVISION_TTL = 1.0
EMPTY_TOKEN = "Access token is empty."
MALFORMED_TOKEN = "CompactToken parsing failed with error code: 80049217"
VALIDATION_FAILURE = "Access token validation failure."
INVALID_AUDIENCE = "Access token validation failure. Invalid audience."
EXPIRED = "Access token has expired or is not yet valid."
WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
    f'authorize", client_id="{MICROSOFT_GRAPH_APP_ID}"'
)
# apiauth's refusal reasons, by the Graph message they earn (anything else: VALIDATION_FAILURE).
_MESSAGES = {
    "no_authorization_header": EMPTY_TOKEN,
    "not_a_bearer_authorization": EMPTY_TOKEN,
    "empty_bearer_token": EMPTY_TOKEN,
    "several_authorization_headers": MALFORMED_TOKEN,
    "token_too_large": MALFORMED_TOKEN,
    "not_a_compact_jws": MALFORMED_TOKEN,
    "header_too_large": MALFORMED_TOKEN,
    "signature_missing": MALFORMED_TOKEN,
    "audience_mismatch": INVALID_AUDIENCE,
    "expired": EXPIRED,
    "not_yet_valid": EXPIRED,
    "issued_in_the_future": EXPIRED,
}
_MALFORMED_SUFFIXES = (
    "_not_base64url",
    "_not_canonical_base64url",
    "_not_json",
    "_not_json_object",
)


@dataclass(frozen=True)
class Caller:
    """The application behind a validated token, in the tenant the token was issued for."""

    tenant_id: str
    app_id: str
    service_principal_id: str
    roles: frozenset[str]

    def require(self, allowed: frozenset[str]) -> None:
        """403 Authorization_RequestDenied unless the caller holds one of `allowed`."""
        if not self.roles & allowed:
            raise AuthorizationRequestDenied()


@dataclass(frozen=True)
class TenantState:
    exists: bool
    throttling: bool


def unauthorized(message: str) -> InvalidAuthenticationToken:
    return InvalidAuthenticationToken(message, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def graph_error(error: ApiAuthError) -> InvalidAuthenticationToken | AuthorizationRequestDenied:
    """apiauth's refusal in Graph's words."""
    if isinstance(error, InsufficientScope):
        return AuthorizationRequestDenied()
    if isinstance(error, MissingToken):
        return unauthorized(EMPTY_TOKEN)
    message = _MESSAGES.get(error.reason)
    if message is None:
        malformed = error.reason.endswith(_MALFORMED_SUFFIXES)
        message = MALFORMED_TOKEN if malformed else VALIDATION_FAILURE
    return unauthorized(message)


class TenantRules:
    """Graph's tenant facts (exists, throttling), cached per directory revision."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._lock = threading.Lock()
        self._revision = -1
        self._tenants: dict[str, TenantState] = {}
        self._latest_revision = -1
        self._revision_read_at = -REVISION_TTL

    def revision(self, *, fresh: bool = False) -> int:
        """The directory's revision, re-read at most every REVISION_TTL seconds unless `fresh`.

        Saves a database round trip per request; whatever a stale revision could hide (a new
        tenant, a rotated key) is a miss that the key lookup answers by asking again, fresh.
        """
        now = time.monotonic()
        if fresh or now - self._revision_read_at >= REVISION_TTL:
            with self.platform.database.session() as session:
                self._latest_revision = current_revision(session)
            self._revision_read_at = now
        return self._latest_revision

    def cached_revision(self) -> int | None:
        """The revision read less than REVISION_TTL ago, without touching the database."""
        if time.monotonic() - self._revision_read_at >= REVISION_TTL:
            return None
        return self._latest_revision

    def tenant_state(self, tenant_id: str, revision: int) -> TenantState:
        with self._lock:
            if revision != self._revision:
                self._tenants.clear()
                self._revision = revision
            state = self._tenants.get(tenant_id)
        if state is None:
            tenant = self.platform.directory.find_tenant(tenant_id)
            # Only the tenant's own id, as issued: find_tenant also takes domains and other cases
            # of the GUID, and the key store would create keys for whatever spelling it is given.
            if tenant is not None and tenant.id != tenant_id:
                tenant = None
            state = TenantState(tenant is not None, bool(tenant and tenant.graph_throttling))
            with self._lock:
                if self._revision == revision:
                    self._tenants[tenant_id] = state
        return state

    def admit(self, principal: Principal) -> tuple[Caller, TenantState]:
        """The caller of a validated token, if its tenant (still) exists. Blocking: a worker."""
        revision = self.revision()
        state = self.tenant_state(principal.tenant_id, revision)
        if not state.exists:
            state = self.tenant_state(principal.tenant_id, self.revision(fresh=True))
        if not state.exists or principal.client_id is None:
            raise unauthorized(VALIDATION_FAILURE)
        caller = Caller(
            principal.tenant_id, principal.client_id, principal.object_id, principal.roles
        )
        return caller, state


class GraphKeys:
    """An `apiauth.KeySource` over the KeyStore: each tenant's published keys, in process.

    A key is returned only for a tenant that exists (the store would create keys for any id it is
    asked about), and carries its tenant's v1 issuer, so apiauth's signing-key issuer check ties
    it to the token's `tid`. Found keys are remembered for the current revision; a miss or a
    stale revision is looked up in a worker thread (the directory is synchronous).
    """

    MAX_REMEMBERED = 4096

    def __init__(self, platform: Platform, tenants: TenantRules) -> None:
        self.platform = platform
        self.tenants = tenants
        self._metadata = Metadata(
            issuer_v2=None, issuer_v1=f"{platform.settings.v1_issuer_origin}/{{tenantid}}/", keys={}
        )
        self._public_keys: dict[str, rsa.RSAPublicKey] = {}
        self._found: dict[tuple[str, str], tuple[int, VerificationKey]] = {}

    async def current(self) -> Metadata:
        return self._metadata

    async def aclose(self) -> None:
        return None

    def _remembered(self, kid: str, tenant_id: str) -> VerificationKey | None:
        revision = self.tenants.cached_revision()
        found = self._found.get((tenant_id, kid))
        if revision is None or found is None or found[0] != revision:
            return None
        return found[1]

    def still_trusts(self, kid: str, tenant_id: str) -> bool:
        return self._remembered(kid, tenant_id) is not None

    async def key(self, kid: str, tenant_id: str | None = None) -> VerificationKey | None:
        if tenant_id is None or not is_guid(tenant_id):
            return None  # the tenant's id is a GUID; nothing else reaches the database
        found = self._remembered(kid, tenant_id)
        if found is not None:
            return found
        return await run_in_threadpool(self._lookup, kid, tenant_id)

    def _lookup(self, kid: str, tenant_id: str) -> VerificationKey | None:
        revision = self.tenants.revision()
        public = self._published(tenant_id, kid, revision)
        if public is None:  # an unknown tenant or kid may be news: look again, fresh
            revision = self.tenants.revision(fresh=True)
            public = self._published(tenant_id, kid, revision)
        if public is None:
            return None
        key = VerificationKey(
            kid, public, issuer=f"{self.platform.settings.v1_issuer_origin}/{tenant_id}/"
        )
        if len(self._found) >= self.MAX_REMEMBERED:
            self._found.clear()
        self._found[(tenant_id, kid)] = (revision, key)
        return key

    def _published(self, tenant_id: str, kid: str, revision: int) -> rsa.RSAPublicKey | None:
        if not self.tenants.tenant_state(tenant_id, revision).exists:
            return None
        for key in self.platform.keys.published(tenant_id, revision):
            if key.public.kid == kid:
                public = self._public_keys.get(kid)
                if public is None:
                    public = key.public.public_key()
                    self._public_keys[kid] = public
                return public
        return None


class GraphAuthenticator:
    """Bearer tokens for Graph, checked by apiauth with Graph's settings and key source."""

    def __init__(self, platform: Platform) -> None:
        self.tenants = TenantRules(platform)
        self.keys = GraphKeys(platform, self.tenants)
        settings = TokenValidationSettings(
            instance=platform.settings.origin,
            tenant="organizations",
            audiences=GRAPH_AUDIENCES,
            any_tenant_with_keys=True,
            require_scp_or_roles=False,
            # Graph refuses a token from the second it expires; its `nbf` is back-dated anyway.
            leeway=0.0,
        )
        self.bearer = BearerAuthenticator(
            TokenValidator(settings, metadata=self.keys, clock=platform.clock)
        )

    async def authenticate(self, request: Request) -> Principal:
        """The validated token's principal, or Graph's 401 (403 for a refused permission)."""
        try:
            return await self.bearer.authenticate(request)
        except ApiAuthError as error:
            raise graph_error(error) from None
