"""Client assertions (RFC 7523 `private_key_jwt`): parsing and the certificate check.

Real clients send four shapes (client-compatibility.md §7): MSAL Python signs RS256 + a padded
`x5t`, or PS256 + `x5t#S256` with `x5c` lines broken by newlines, fractional `exp`/`iat` and no
`nbf`; msal-node sends unpadded thumbprints and integer times; azure-identity's async credential
pads the JWT segments themselves and omits `iat`. Parsing is lenient about exactly those shapes and
strict about everything that matters for security: the key comes only from the certificates
registered on the app (never from `x5c`/`jwk`/`jku`), only RSA >= 2048 with RS256/PS256, `iss` =
`sub` = client id, an audience naming this tenant's token endpoint or issuer, and a bounded
lifetime. A re-sent `jti` is accepted: MSAL re-uses one assertion for about ten minutes.

Failures are AADSTS700027 (401) — Entra's one code for bad signatures, claims and keys — except a
time window, which is AADSTS700024.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from tenantlab.ids import b64url
from tenantlab.sts.assertion_jws import (
    CERTIFICATE_ALGORITHMS,
    CERTIFICATE_POLICY,
    CLOCK_SKEW,
    MAX_ASSERTION_LENGTH,
    ParsedAssertion,
    check_time_window,
    parse_assertion,
    refused_algorithm,
    verify_signature,
)
from tenantlab.sts.errors import assertion_failed, assertion_out_of_time

__all__ = [
    "CLOCK_SKEW",
    "JWT_BEARER",
    "MAX_ASSERTION_LENGTH",
    "AudiencePolicy",
    "CertificateMatch",
    "ParsedAssertion",
    "RegisteredCertificate",
    "assertion_failed",
    "assertion_out_of_time",
    "parse_assertion",
    "registered_certificate",
    "verify_certificate_assertion",
]

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Clients ask for 10 (MSAL) to 30 (azure-identity aio) minutes; anything beyond an hour is refused.
MAX_CERTIFICATE_ASSERTION_LIFETIME = 3600.0
MIN_RSA_BITS = 2048


# -- audience -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudiencePolicy:
    """What `aud` may name: this tenant's token endpoints (v2 or v1) under any alias, or its issuer.

    Hosts and tenant aliases compare case-insensitively (msal-node lowercases the authority);
    issuers compare exactly, as rfc7523bis asks.
    """

    origins: frozenset[str]  # scheme://host[:port], lower-case
    tenant_aliases: frozenset[str]  # GUID and domain names, lower-case
    issuers: frozenset[str]

    @classmethod
    def for_tenant(
        cls, *, origins: Iterable[str], tenant_aliases: Iterable[str], issuers: Iterable[str]
    ) -> AudiencePolicy:
        return cls(
            origins=frozenset(o.rstrip("/").lower() for o in origins),
            tenant_aliases=frozenset(a.lower() for a in tenant_aliases),
            issuers=frozenset(issuers),
        )

    def accepts(self, audience: str) -> bool:
        if audience in self.issuers:
            return True
        try:
            parts = urlsplit(audience)
        except ValueError:
            return False
        if parts.query or parts.fragment:
            return False
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin not in self.origins:
            return False
        segments = parts.path.split("/")
        # ["", tenant, "oauth2", "v2.0", "token"] or ["", tenant, "oauth2", "token"]
        if len(segments) == 5 and [s.lower() for s in segments[2:]] == ["oauth2", "v2.0", "token"]:
            return segments[1].lower() in self.tenant_aliases
        if len(segments) == 4 and [s.lower() for s in segments[2:]] == ["oauth2", "token"]:
            return segments[1].lower() in self.tenant_aliases
        return False

    def check(self, payload: dict[str, Any]) -> None:
        audience = payload.get("aud")
        values = audience if isinstance(audience, list) else [audience]
        if not any(isinstance(v, str) and self.accepts(v) for v in values):
            raise assertion_failed(
                "The assertion's audience (aud) is not this tenant's token endpoint or issuer."
            )


# -- certificates ------------------------------------------------------------------------------


def _thumbprint(value: Any) -> str | None:
    """A base64url thumbprint compared without its padding (MSAL pads, msal-node does not)."""
    if not isinstance(value, str) or not value:
        return None
    return value.strip().rstrip("=")


def _x5c_first(header: dict[str, Any]) -> bytes | None:
    """The DER of `x5c[0]`; MSAL Python breaks the base64 every 64 characters with newlines."""
    chain = header.get("x5c")
    if chain is None:
        return None
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise assertion_failed("The assertion's x5c header is not a list of certificates.")
    compact = "".join(chain[0].split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise assertion_failed("The assertion's x5c header is not base64.") from None


@dataclass(frozen=True)
class RegisteredCertificate:
    """A certificate registered on an app (a keyCredential), loaded once for repeated checks."""

    key_id: str
    x5t: str  # base64url SHA-1, unpadded
    x5t_s256: str  # base64url SHA-256, unpadded
    public_key: rsa.RSAPublicKey | None  # None: not RSA, never accepted
    start_at: float
    end_at: float

    @classmethod
    def from_der(
        cls, key_id: str, der: bytes, start_at: float, end_at: float
    ) -> RegisteredCertificate:
        cert = x509.load_der_x509_certificate(der)
        key = cert.public_key()
        return cls(
            key_id=key_id,
            x5t=b64url(hashlib.sha1(der, usedforsecurity=False).digest()),
            x5t_s256=b64url(hashlib.sha256(der).digest()),
            public_key=key if isinstance(key, rsa.RSAPublicKey) else None,
            start_at=start_at,
            end_at=end_at,
        )


_LOADED: dict[tuple[str, bytes], RegisteredCertificate] = {}
_LOADED_MAX = 4096


def registered_certificate(
    key_id: str, der: bytes, start_at: float, end_at: float
) -> RegisteredCertificate:
    """`RegisteredCertificate.from_der` behind a bounded cache (a keyCredential never changes)."""
    cache_key = (key_id, hashlib.sha256(der).digest())
    found = _LOADED.get(cache_key)
    if found is None or found.start_at != start_at or found.end_at != end_at:
        found = RegisteredCertificate.from_der(key_id, der, start_at, end_at)
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.clear()
        _LOADED[cache_key] = found
    return found


@dataclass(frozen=True)
class CertificateMatch:
    """Which registered certificate signed the assertion (for `azpacr`/`appidacr` "2", logs)."""

    key_id: str
    x5t: str
    assertion_id: str | None  # jti, for logs only
    # While now is in [valid_from, valid_until) the same assertion passes again (cert included).
    valid_from: float = 0.0
    valid_until: float = 0.0


def _select_certificate(
    header: dict[str, Any], certificates: Sequence[RegisteredCertificate]
) -> RegisteredCertificate:
    sha1 = _thumbprint(header.get("x5t"))
    sha256 = _thumbprint(header.get("x5t#S256"))
    kid = _thumbprint(header.get("kid"))
    chain_der = _x5c_first(header)
    chain_sha1 = (
        b64url(hashlib.sha1(chain_der, usedforsecurity=False).digest()) if chain_der else None
    )
    if sha1 is None and sha256 is None:
        # No thumbprint header: the kid or the x5c certificate may still name a registered key.
        sha1 = chain_sha1
    for cert in certificates:
        if (
            (sha1 is not None and sha1 == cert.x5t)
            or (sha256 is not None and sha256 == cert.x5t_s256)
            or (kid is not None and kid in (cert.x5t, cert.x5t_s256))
            or (kid is not None and _hex_matches(kid, cert.x5t))
        ):
            if chain_sha1 is not None and chain_sha1 != cert.x5t:
                raise assertion_failed("The x5c certificate is not the one the thumbprint names.")
            return cert
    shown = sha1 or sha256 or kid or "(none)"
    raise assertion_failed(
        f"The key was not found., Thumbprint of key used by client: '{shown}'. "
        "Register the certificate on the app (tenantlab app cert add)"
    )


def _hex_matches(kid: str, x5t: str) -> bool:
    """Some clients put the portal's hex SHA-1 thumbprint in `kid`."""
    if len(kid) != 40:
        return False
    try:
        return b64url(bytes.fromhex(kid)) == x5t
    except ValueError:
        return False


def verify_certificate_assertion(
    parsed: ParsedAssertion,
    *,
    client_id: str,
    certificates: Sequence[RegisteredCertificate],
    audience: AudiencePolicy,
    now: float,
) -> CertificateMatch:
    """Accept the assertion only if a certificate registered on `client_id` signed it.

    Order: key selection and signature first (nothing unsigned is believed), then the claims.
    """
    wrong_algorithm = refused_algorithm(parsed, CERTIFICATE_ALGORITHMS)
    if wrong_algorithm is not None:
        raise wrong_algorithm
    cert = _select_certificate(parsed.header, certificates)
    if cert.public_key is None or cert.public_key.key_size < MIN_RSA_BITS:
        raise assertion_failed("The certificate's key is not RSA with at least 2048 bits.")
    if not verify_signature(parsed, cert.public_key, CERTIFICATE_POLICY):
        raise assertion_failed("The signature does not verify with the registered certificate.")
    if now < cert.start_at - CLOCK_SKEW:
        raise assertion_failed("The key used is not yet valid.")
    if now > cert.end_at:
        raise assertion_failed("The key used is expired.")
    payload = parsed.claims
    issuer, subject = parsed.claim_str("iss"), parsed.claim_str("sub")
    if issuer is None or subject is None or issuer.lower() != client_id.lower():
        raise assertion_failed("The assertion's issuer (iss) must be the client id.")
    if subject.lower() != client_id.lower():
        raise assertion_failed("The assertion's subject (sub) must be the client id.")
    audience.check(payload)
    start, until = check_time_window(payload, now, max_lifetime=MAX_CERTIFICATE_ASSERTION_LIFETIME)
    jti = payload.get("jti")
    return CertificateMatch(
        cert.key_id,
        cert.x5t,
        jti if isinstance(jti, str) else None,
        valid_from=max(start, cert.start_at - CLOCK_SKEW),
        valid_until=min(until, cert.end_at),
    )
