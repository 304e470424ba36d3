"""Who is calling: Graph accepts only access tokens this platform issued for Microsoft Graph.

A token is accepted when it is a v1 JWT (RS256) signed by a key in its tenant's published set,
with the tenant's v1 issuer, `aud` = Graph's App ID URI or appId, inside its lifetime. The v1
issuer is the token service's stand-in for `https://sts.windows.net/{tid}/`: `{origin}/{tid}/`
(same origin, Entra's trailing slash; see `sts/urls.py`). Graph tokens are always v1, whatever
endpoint issued them (Entra behaviour §4.3). Permissions come from `roles` only: app-only
callers hold exactly the application permissions an admin consented to (the claim is absent when
there are none).

Every failure is a 401 `InvalidAuthenticationToken` with Graph's texts; none of them echoes the
token, and none tells an attacker which signature check failed.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tenantlab.graph.errors import AuthorizationRequestDenied, InvalidAuthenticationToken
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_RESOURCE, b64url_decode
from tenantlab.platform import Platform
from tenantlab.storage.database import current_revision

GRAPH_AUDIENCES = frozenset(
    {MICROSOFT_GRAPH_RESOURCE, MICROSOFT_GRAPH_RESOURCE + "/", MICROSOFT_GRAPH_APP_ID}
)
# Accept tokens whose nbf is slightly in the future: the issuer and Graph may disagree on time.
CLOCK_SKEW = 300.0
# How long a read of the directory's revision is trusted (tenant facts such as throttling).
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


def _unauthorized(message: str) -> InvalidAuthenticationToken:
    return InvalidAuthenticationToken(message, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def _segment(text: str) -> dict[str, Any]:
    value = json.loads(b64url_decode(text))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


class TokenValidator:
    """Validates bearer tokens against the platform's keys; tenant facts cached per revision."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._lock = threading.Lock()
        self._revision = -1
        self._tenants: dict[str, TenantState] = {}
        self._public_keys: dict[str, rsa.RSAPublicKey] = {}
        self._latest_revision = -1
        self._revision_read_at = -REVISION_TTL

    def issuer(self, tenant_id: str) -> str:
        return f"{self.platform.settings.origin}/{tenant_id}/"

    def revision(self, *, fresh: bool = False) -> int:
        """The directory's revision, re-read at most every REVISION_TTL seconds unless `fresh`.

        Saves a database round trip per request; whatever a stale revision could hide (a new
        tenant, a rotated key) is a miss that `validate` answers by asking again, fresh.
        """
        now = time.monotonic()
        if fresh or now - self._revision_read_at >= REVISION_TTL:
            with self.platform.database.session() as session:
                self._latest_revision = current_revision(session)
            self._revision_read_at = now
        return self._latest_revision

    def tenant_state(self, tenant_id: str, revision: int) -> TenantState:
        with self._lock:
            if revision != self._revision:
                self._tenants.clear()
                self._revision = revision
            state = self._tenants.get(tenant_id)
        if state is None:
            tenant = self.platform.directory.find_tenant(tenant_id)
            state = TenantState(tenant is not None, bool(tenant and tenant.graph_throttling))
            with self._lock:
                if self._revision == revision:
                    self._tenants[tenant_id] = state
        return state

    def _public_key(self, tenant_id: str, kid: str, revision: int) -> rsa.RSAPublicKey | None:
        for key in self.platform.keys.published(tenant_id, revision):
            if key.material.kid == kid:
                public = self._public_keys.get(kid)
                if public is None:
                    public = key.material.private_key.public_key()
                    self._public_keys[kid] = public
                return public
        return None

    def validate(self, authorization: str | None) -> tuple[Caller, TenantState]:
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        if not token or scheme.lower() != "bearer":
            raise _unauthorized(EMPTY_TOKEN)
        parts = token.split(".")
        if len(parts) != 3:
            raise _unauthorized(MALFORMED_TOKEN)
        try:
            header = _segment(parts[0])
            claims = _segment(parts[1])
            signature = b64url_decode(parts[2])
        except (ValueError, UnicodeDecodeError):
            raise _unauthorized(MALFORMED_TOKEN) from None
        if claims.get("aud") not in GRAPH_AUDIENCES:
            raise _unauthorized(INVALID_AUDIENCE)
        tenant_id = claims.get("tid")
        kid = header.get("kid")
        if (
            header.get("alg") != "RS256"
            or not isinstance(tenant_id, str)
            or not isinstance(kid, str)
            or claims.get("ver") != "1.0"
            or claims.get("iss") != self.issuer(tenant_id)
        ):
            raise _unauthorized(VALIDATION_FAILURE)
        revision = self.revision()
        state = self.tenant_state(tenant_id, revision)
        public = self._public_key(tenant_id, kid, revision) if state.exists else None
        if public is None:  # an unknown tenant or kid may be news: look again, fresh
            revision = self.revision(fresh=True)
            state = self.tenant_state(tenant_id, revision)
            public = self._public_key(tenant_id, kid, revision) if state.exists else None
        if public is None:
            raise _unauthorized(VALIDATION_FAILURE)
        try:
            public.verify(
                signature,
                f"{parts[0]}.{parts[1]}".encode("ascii"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, UnicodeEncodeError):
            raise _unauthorized(VALIDATION_FAILURE) from None
        now = self.platform.clock.now()
        expires, not_before = claims.get("exp"), claims.get("nbf", 0)
        if (
            not isinstance(expires, int | float)
            or not isinstance(not_before, int | float)
            or expires <= now
            or not_before > now + CLOCK_SKEW
        ):
            raise _unauthorized(EXPIRED)
        roles = claims.get("roles") or []
        app_id, oid = claims.get("appid"), claims.get("oid")
        if not isinstance(roles, list) or not isinstance(app_id, str) or not isinstance(oid, str):
            raise _unauthorized(VALIDATION_FAILURE)
        caller = Caller(tenant_id, app_id, oid, frozenset(str(r) for r in roles))
        return caller, state
