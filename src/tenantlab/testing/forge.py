"""Forge access tokens for negative tests of an API: a real token, except for what you ask.

    forge = TokenForge(platform, tenant_id)
    forge.forge(audience="api://orders")                          # as the STS would issue it
    forge.forge(audience="api://orders", expired=True)            # ... but expired an hour ago
    forge.forge(audience="api://orders", key="none")              # ... with `alg: none`
    forge.forge(audience="api://orders", claims={"roles": OMIT})  # ... without `roles`

The claims come from the token service's own `sts.claims.access_token_claims`, fed with the
tenant's directory snapshot: the resource named by `audience` decides v1 or v2 (its
`requestedAccessTokenVersion`, Graph always v1) and `aud`, the client named by `client_id` its
`azp`/`appid`, `oid`/`sub` and consented `roles`. `key="tenant"` signs with the tenant's active
signing key from the platform's key store, the very key its JWKS publishes: such a token differs
from an issued one only in what the call changed (and the random `aio`/`uti`).

The other keys are the classic forgeries (reference/api-security.md §2): `"foreign"` is an RSA key
no JWKS publishes (rows 3-4, 6-7); `"none"` sends `alg: none` and an empty signature (row 1);
`"hs256-with-public-key"` is HMAC-SHA256 keyed with the tenant's *public* key in PEM, DER or JWK
form (row 2, algorithm confusion); `"hs256-with-empty-key"` an HMAC with an empty secret (the
`kid` path-traversal trick of row 5).

Only the signing is written here (a header and a payload encoded, one signature): verifying is
`tenantlab.jws`'s job, and nothing in the platform trusts what this module makes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from tenantlab.errors import ConfigError, TenantlabError
from tenantlab.ids import MICROSOFT_GRAPH_RESOURCE, b64url, b64url_decode, is_guid, new_guid
from tenantlab.sts.claims import TOKEN_LIFETIME, access_token_claims
from tenantlab.sts.snapshot import ClientEntry, DirectoryCache, ResourceEntry, TenantSnapshot
from tenantlab.sts.urls import Endpoints

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from tenantlab.keys import SigningKeyMaterial
    from tenantlab.platform import Platform

ForgeKey = Literal["tenant", "foreign", "none", "hs256-with-public-key", "hs256-with-empty-key"]
FORGE_KEYS: Final[tuple[ForgeKey, ...]] = get_args(ForgeKey)
PublicKeyForm = Literal["pem", "der", "jwk"]
TokenVersion = Literal[1, 2]

# How long ago an `expired=True` token expired: far beyond any validator's leeway (≤ 5 min).
EXPIRED_AGO = 3600.0
FORGE_CLIENT_NAME = "tenantlab forge"


class _Omit:
    """The value that removes a claim or header member instead of setting it."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Final = _Omit()


class ForgeError(TenantlabError):
    """A forge request that cannot be met (an unknown tenant, an alg the key cannot sign)."""


@functools.cache
def foreign_key() -> SigningKeyMaterial:
    """An RSA-2048 key and self-signed certificate that no tenant's JWKS publishes (one per
    process: generating one costs ~60 ms)."""
    from tenantlab.keys import generate_signing_key

    return generate_signing_key()


def public_key_bytes(public_key: rsa.RSAPublicKey, form: PublicKeyForm) -> bytes:
    """The public key as an API might hold it, used as an HMAC secret by confused verifiers."""
    if form == "pem":
        return public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    if form == "der":
        return public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    numbers = public_key.public_numbers()
    jwk = {
        "kty": "RSA",
        "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
    }
    return json.dumps(jwk, separators=(",", ":")).encode()


def encode_segment(value: Mapping[str, Any]) -> str:
    """One JWS segment: compact JSON, base64url without padding (RFC 7515 §2, §3.1)."""
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def sign_compact(
    header: Mapping[str, Any],
    claims: Mapping[str, Any],
    *,
    rsa_key: rsa.RSAPrivateKey | None = None,
    hmac_secret: bytes | None = None,
) -> str:
    """A compact JWS of `header` and `claims`, signed as `header["alg"]` says (RS256, HS256, or
    `none` for an empty signature). Forging needs headers the platform's signer never writes."""
    signing_input = f"{encode_segment(header)}.{encode_segment(claims)}"
    alg = header.get("alg")
    if alg == "RS256" and rsa_key is not None:
        signature = rsa_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    elif alg == "HS256" and hmac_secret is not None:
        signature = hmac.new(hmac_secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    elif isinstance(alg, str) and alg.lower() == "none":
        signature = b""
    else:
        raise ForgeError(f"cannot sign alg {alg!r} with the key given")
    return f"{signing_input}.{b64url(signature)}"


def decode_segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a token this module made, unverified (for display only)."""
    header, payload = (json.loads(b64url_decode(s)) for s in token.split(".")[:2])
    return header, payload


def _merge(base: dict[str, Any], changes: Mapping[str, Any] | None) -> dict[str, Any]:
    for name, value in (changes or {}).items():
        if value is OMIT:
            base.pop(name, None)
        else:
            base[name] = value
    return base


class TokenForge:
    """Forges tokens for one tenant of a platform (see the module docstring)."""

    def __init__(self, platform: Platform, tenant_id: str, *, origin: str | None = None) -> None:
        """`origin`: the cloud's public origin the issuers name, if not the settings' (the
        running server's, `served.public_origin`)."""
        self.platform = platform
        self.tenant_id = tenant_id
        self.endpoints = Endpoints((origin or platform.settings.origin).rstrip("/"))
        self._cache = DirectoryCache(platform.database)

    def now(self) -> float:
        """The platform's time, which the forged `iat`/`nbf`/`exp` follow."""
        return self.platform.clock.now()

    def snapshot(self) -> TenantSnapshot:
        snapshot = self._cache.tenant(self.tenant_id, self._cache.revision())
        if snapshot is None:
            raise ForgeError(f"tenant {self.tenant_id} does not exist")
        return snapshot

    def signing_key(self) -> SigningKeyMaterial:
        """The tenant's active signing key: the one its JWKS publishes and its tokens carry."""
        return self.platform.keys.active(self.tenant_id)

    @property
    def issuer_v2(self) -> str:
        return self.endpoints.issuer_v2(self.tenant_id)

    @property
    def issuer_v1(self) -> str:
        return self.endpoints.issuer_v1(self.tenant_id)

    def forge(
        self,
        *,
        audience: str,
        client_id: str | None = None,
        roles: Sequence[str] | None = None,
        claims: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        key: ForgeKey = "tenant",
        expired: bool | float = False,
        issuer: str | None = None,
        version: TokenVersion | None = None,
        public_key_form: PublicKeyForm = "pem",
    ) -> str:
        """A JWT for `audience` (the API's appId, identifier URI, or any string), signed by `key`.

        `client_id`: the calling app (default: an invented client with no roles); when it is
        registered in the tenant its service principal and consented roles are used.
        `roles`: replaces the `roles` claim (empty: no claim, as Entra omits it).
        `expired`: True (an hour ago) or how many seconds ago `exp` passed; `iat`/`nbf` move too.
        `issuer`: replaces `iss` (and v1's `idp`). `version`: 1 or 2 (default: the resource's).
        `claims`, `headers`: set members last; `OMIT` as a value removes one.
        `public_key_form`: which spelling of the public key keys `"hs256-with-public-key"`.
        """
        if key not in FORGE_KEYS:
            raise ConfigError(f"unknown key {key!r}: use one of {', '.join(FORGE_KEYS)}")
        snapshot = self.snapshot()
        now = self.now()
        if expired is not False:
            ago = EXPIRED_AGO if expired is True else float(expired)
            now -= TOKEN_LIFETIME + ago  # exp = issued + TOKEN_LIFETIME = real now - ago
        resource, identifier, registered = self._resource(snapshot, audience, version)
        client = self._client(snapshot, client_id)
        if roles is None:
            granted = snapshot.role_values(
                client.service_principal_id, resource.service_principal_id
            )
        else:
            granted = tuple(roles)
        payload = access_token_claims(
            endpoints=self.endpoints,
            snapshot=snapshot,
            client=client,
            acr="1",
            resource=resource,
            requested_identifier=identifier,
            roles=granted,
            now=now,
        )
        if registered is None:
            payload["aud"] = audience  # not registered here: named exactly as given
        if issuer is not None:
            payload["iss"] = issuer
            if "idp" in payload:
                payload["idp"] = issuer
        _merge(payload, claims)
        header = self._header(key, with_x5t=resource.token_version == 1)
        _merge(header, headers)
        return self._sign(key, header, payload, public_key_form)

    def _resource(
        self, snapshot: TenantSnapshot, audience: str, version: TokenVersion | None
    ) -> tuple[ResourceEntry, str, ResourceEntry | None]:
        """The resource to imitate, the identifier it was named by, and the registered one."""
        graph = self.endpoints.names_graph(audience)
        found = snapshot.resource(MICROSOFT_GRAPH_RESOURCE if graph else audience)
        if found is not None:
            registered, identifier = found
            resource = registered
            if version is not None and version != resource.token_version:
                resource = replace(resource, token_version=version)
            return resource, identifier, registered
        # Not registered here: an API of another tenant, a typo, a made-up audience, in the shape
        # asked for (`refresh_handle` needs a GUID: the invented one stands in).
        invented = ResourceEntry(
            service_principal_id=new_guid(),
            app_id=audience if is_guid(audience) else new_guid(),
            display_name=audience,
            token_version=version or 2,
            first_party=False,
            idtyp=False,
            aud_use_guid=False,
            assignment_required=False,
            identifiers=(audience,),
        )
        return invented, audience, None

    def _client(self, snapshot: TenantSnapshot, client_id: str | None) -> ClientEntry:
        found = snapshot.client(client_id) if client_id else None
        if found is not None:
            return found
        return ClientEntry(
            app_id=client_id or new_guid(),
            application_object_id=new_guid(),
            display_name=FORGE_CLIENT_NAME,
            home_tenant_id=snapshot.tenant_id,
            sign_in_audience="AzureADMyOrg",
            service_principal_id=new_guid(),
            enabled=True,
        )

    def _header(self, key: ForgeKey, *, with_x5t: bool) -> dict[str, Any]:
        """Entra's header (v1 adds `x5t`); the forgeries keep the tenant's `kid` except the
        foreign key, which names itself as an attacker's key would."""
        kid = foreign_key().kid if key == "foreign" else self.signing_key().kid
        alg = {"tenant": "RS256", "foreign": "RS256", "none": "none"}.get(key, "HS256")
        header: dict[str, Any] = {"typ": "JWT", "alg": alg}
        if with_x5t:
            header["x5t"] = kid
        header["kid"] = kid
        return header

    def _sign(
        self,
        key: ForgeKey,
        header: dict[str, Any],
        payload: dict[str, Any],
        public_key_form: PublicKeyForm,
    ) -> str:
        if key == "tenant":
            return sign_compact(header, payload, rsa_key=self.signing_key().private_key)
        if key == "foreign":
            return sign_compact(header, payload, rsa_key=foreign_key().private_key)
        if key == "hs256-with-public-key":
            public = self.signing_key().private_key.public_key()
            secret = public_key_bytes(public, public_key_form)
            return sign_compact(header, payload, hmac_secret=secret)
        if key == "hs256-with-empty-key":
            return sign_compact(header, payload, hmac_secret=b"")
        return sign_compact(header, payload)
