"""Access-token validation the way Microsoft's own recap describes it (access-tokens.md), strictly.

Order: size cap -> cache -> `tenantlab.jws.extract` (base64url, I-JSON, alg, crit, typ) -> key by
`kid` from the key source only -> `tenantlab.jws.verify` (RS256 signature, then the registered
claims' types) -> time claims (small leeway) -> version, `aud`, `iss` (exact, with `tid`
substituted into templates) -> signing key's own `issuer` -> claim types -> permissions present.
The attack catalogue in reference/api-security.md §2 is what the unit tests throw at it.
"""

from __future__ import annotations

import hashlib
import os
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx

from tenantlab import jws
from tenantlab.apiauth.cache import ValidatedTokenCache
from tenantlab.apiauth.errors import InsufficientScope, InvalidToken
from tenantlab.apiauth.keys import VerificationKey
from tenantlab.apiauth.metadata import AuthorityMetadata, KeySource, Metadata
from tenantlab.apiauth.principal import Principal
from tenantlab.apiauth.settings import TokenValidationSettings
from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.errors import ConfigError
from tenantlab.ids import is_guid

TENANT_TEMPLATE = "{tenantid}"
# Entra emits typ "JWT"; RFC 9068 access tokens say "at+jwt". Anything else is another kind of JWT.
ACCEPTED_TYPES = frozenset({"JWT", "at+jwt", "application/at+jwt"})
# Time claims are required here (api-security.md §1.4 item 5), so a missing one is refused too.
REQUIRED_CLAIMS = frozenset({"exp", "nbf", "iat"})


def access_token_policy(max_length: int) -> jws.JwsPolicy:
    """Entra access tokens: RS256 only, canonical base64url, typ JWT or at+jwt."""
    return jws.JwsPolicy(
        algorithms=frozenset({"RS256"}),
        max_length=max_length,
        types=ACCEPTED_TYPES,
        required_claims=REQUIRED_CLAIMS,
    )


def ssl_context_for(bundle: str | None) -> ssl.SSLContext | bool:
    """Trust an explicit CA bundle, else SSL_CERT_FILE / REQUESTS_CA_BUNDLE, else the system CAs."""
    path = bundle or os.environ.get("SSL_CERT_FILE") or os.environ.get("REQUESTS_CA_BUNDLE")
    if not path:
        return True
    return ssl.create_default_context(cafile=path)


def _number(claims: dict[str, Any], name: str) -> float:
    # jws.verify checked the type and range (RFC 7519 §2: a finite JSON number, not "1790000000").
    return float(claims[name])


def _string(claims: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidToken(f"{name}_missing_or_not_a_string")
    return value


def _is_guest(claims: dict[str, Any], issuer: str) -> bool:
    """A user from another tenant or identity provider (`acct` 1, or an `idp` of its own)."""
    idp = claims.get("idp")
    return claims.get("acct") == 1 or (idp is not None and idp != issuer)


def _guid(claims: dict[str, Any], name: str) -> str:
    value = _string(claims, name, required=True)
    assert value is not None
    if not is_guid(value):
        raise InvalidToken(f"{name}_not_a_guid")
    return value


class TokenValidator:
    """Turns a bearer token into a Principal, or raises InvalidToken / InsufficientScope."""

    def __init__(
        self,
        settings: TokenValidationSettings,
        *,
        metadata: KeySource | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """`metadata`: where issuers and keys come from; by default the authority over HTTPS."""
        if settings.any_tenant_with_keys and metadata is None:
            raise ConfigError(
                "any_tenant_with_keys needs a key source that keeps each tenant's keys apart; "
                "an HTTPS authority's JWKS does not: list allowed_tenants instead"
            )
        self.settings = settings
        self.clock = clock
        self.policy = access_token_policy(settings.max_token_length)
        self.metadata: KeySource = metadata or AuthorityMetadata(
            settings.authority,
            verify=ssl_context_for(str(settings.ca_bundle) if settings.ca_bundle else None),
            transport=transport,
            clock=clock,
            refresh_interval=settings.refresh_interval,
            cooldown=settings.refresh_cooldown,
            want_v1=settings.accept_v1,
        )
        self.cache = ValidatedTokenCache(settings.cache_size)
        self._audiences = frozenset(settings.audiences)
        self._allowed_tenants = frozenset(t.lower() for t in settings.allowed_tenants)
        self._allowed_clients = frozenset(c.lower() for c in settings.allowed_client_ids)

    async def aclose(self) -> None:
        await self.metadata.aclose()

    async def validate(self, token: str) -> Principal:
        if len(token) > self.settings.max_token_length:
            raise InvalidToken("token_too_large")
        now = self.clock.now()
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        principal = self.cache.get(digest, now)
        if principal is not None:
            if self.metadata.still_trusts(principal.kid, principal.tenant_id):
                return principal
            self.cache.discard(digest)  # its key was withdrawn: check it again from scratch
        principal = await self._validate(token, now)
        self.cache.put(digest, principal, principal.expires_at + self.settings.leeway)
        return principal

    async def _validate(self, token: str, now: float) -> Principal:
        try:
            parsed = jws.extract(token, self.policy)
        except jws.JwsError as error:
            raise InvalidToken(error.reason) from None
        kid = parsed.kid
        if kid is None:
            raise InvalidToken("kid_missing")
        key = await self.metadata.key(kid, parsed.claim_str("tid"))
        if key is None:
            raise InvalidToken("kid_unknown")
        try:
            jws.verify(parsed, key.public_key, self.policy)
        except jws.JwsError as error:
            raise InvalidToken(error.reason) from None
        metadata = await self.metadata.current()
        return self._check_claims(parsed.claims, metadata, key, now)

    def _check_claims(
        self, claims: dict[str, Any], metadata: Metadata, key: VerificationKey, now: float
    ) -> Principal:
        leeway = self.settings.leeway
        expires_at = _number(claims, "exp")
        if expires_at <= now - leeway:
            raise InvalidToken("expired")
        if _number(claims, "nbf") > now + leeway:
            raise InvalidToken("not_yet_valid")
        if _number(claims, "iat") > now + leeway:
            raise InvalidToken("issued_in_the_future")

        version = claims.get("ver")
        if version not in ("1.0", "2.0") or (version == "1.0" and not self.settings.accept_v1):
            raise InvalidToken("version_not_accepted")
        audience = claims.get("aud")
        # One audience, exactly ours (a list would smuggle in other resources: RFC 8725 §3.9).
        if not isinstance(audience, str) or audience not in self._audiences:
            raise InvalidToken("audience_mismatch")
        tenant_id = _guid(claims, "tid")
        issuer = _string(claims, "iss", required=True)
        expected = self._expected_issuer(metadata, version, tenant_id)
        if issuer != expected:
            raise InvalidToken("issuer_mismatch")
        if tenant_id.lower() not in urlsplit(issuer).path.lower().split("/"):
            # Microsoft's recap: the issuer's tenant segment must be the token's `tid`.
            raise InvalidToken("tenant_mismatch")
        if key.issuer is None and self.settings.any_tenant_with_keys:
            raise InvalidToken("signing_key_issuer_mismatch")  # nothing binds the key to `tid`
        if key.issuer is not None:
            # The signing key's own issuer (Microsoft's multi-tenant recap): the key must belong to
            # this tenant. v1 tokens are signed by the same keys, published with the v2 issuer.
            key_issuer = key.issuer.replace(TENANT_TEMPLATE, tenant_id)
            v2_issuer = (metadata.issuer_v2 or "").replace(TENANT_TEMPLATE, tenant_id)
            if key_issuer not in (issuer, v2_issuer):
                raise InvalidToken("signing_key_issuer_mismatch")

        object_id = _guid(claims, "oid")
        _string(claims, "sub", required=True)
        scp = claims.get("scp")
        roles_claim = claims.get("roles")
        if scp is None and roles_claim is None and self.settings.require_scp_or_roles:
            # Neither delegated nor application permissions (MIW IDW10201); also what an ID token
            # presented as an access token looks like.
            raise InvalidToken("no_scp_or_roles")
        # A mistyped permission claim grants nothing (a 403 at the route, attack catalogue #16):
        # `scp` is one space-separated string, `roles` an array of strings, compared exactly.
        scopes = frozenset(scp.split(" ")) - {""} if isinstance(scp, str) else frozenset()
        roles: frozenset[str] = frozenset()
        if isinstance(roles_claim, list) and all(isinstance(r, str) for r in roles_claim):
            roles = frozenset(roles_claim)
        groups_claim = claims.get("groups")
        groups: frozenset[str] = frozenset()
        if isinstance(groups_claim, list) and all(isinstance(g, str) for g in groups_claim):
            groups = frozenset(groups_claim)
        idtyp = _string(claims, "idtyp", required=False)
        client_id = _string(claims, "azp" if version == "2.0" else "appid", required=False)
        is_app = idtyp == "app" if idtyp is not None else (roles_claim is not None and scp is None)
        if is_app and scp is not None:
            raise InvalidToken("app_token_with_scp")
        if self._allowed_clients and (client_id or "").lower() not in self._allowed_clients:
            raise InsufficientScope("client_app_not_allowed")
        if not is_app and not self.settings.allow_guest_users and _is_guest(claims, issuer):
            raise InsufficientScope("guest_user_not_allowed")
        return Principal(
            tenant_id=tenant_id,
            object_id=object_id,
            client_id=client_id,
            is_app=is_app,
            scopes=scopes,
            roles=roles,
            version=version,
            kid=key.kid,
            expires_at=expires_at,
            claims=claims,
            groups=groups,
        )

    def _expected_issuer(self, metadata: Metadata, version: str, tenant_id: str) -> str:
        template = metadata.issuer_v2 if version == "2.0" else metadata.issuer_v1
        if template is None:
            raise InvalidToken("version_not_accepted")
        if self.settings.multi_tenant:
            # With any_tenant_with_keys the key source found a key of this very tenant, and the
            # signing key's issuer check below binds them; the API applies its own tenant rules.
            allowed = (
                self.settings.any_tenant_with_keys or tenant_id.lower() in self._allowed_tenants
            )
            if not allowed:
                raise InvalidToken("tenant_not_allowed")
            return template.replace(TENANT_TEMPLATE, tenant_id)
        if TENANT_TEMPLATE in template:
            # Single-tenant configuration, but the metadata is templated: not a tenant's own.
            raise InvalidToken("issuer_mismatch")
        return template
