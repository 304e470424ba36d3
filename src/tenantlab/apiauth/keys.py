"""The signing keys an API trusts: a JWKS filtered down to RSA verification keys by `kid`.

Only keys the authority publishes are used, and only those fit for RS256 signature checks
(RFC 7517 §4.2-4.3 `use`/`key_ops`, RFC 7518 §3.3 at least 2048 bits). A key that does not qualify
is left out with a log line instead of failing the whole set: one odd key must not lock an API out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from tenantlab.jws import JwsError, b64url_decode_strict

logger = logging.getLogger("tenantlab.apiauth")

MIN_RSA_BITS = 2048


@dataclass(frozen=True, slots=True)
class VerificationKey:
    kid: str
    public_key: rsa.RSAPublicKey
    # Entra's JWKS entries carry an `issuer`, templated with `{tenantid}` in multi-tenant metadata.
    issuer: str | None


def _rsa_key(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey:
    n_text, e_text = jwk.get("n"), jwk.get("e")
    if not isinstance(n_text, str) or not isinstance(e_text, str):
        raise ValueError("n and e must be strings")
    try:
        n = int.from_bytes(b64url_decode_strict(n_text, "n"), "big")
        e = int.from_bytes(b64url_decode_strict(e_text, "e"), "big")
    except JwsError as exc:
        raise ValueError(exc.reason) from None
    if n.bit_length() < MIN_RSA_BITS:
        raise ValueError(f"RSA modulus of {n.bit_length()} bits is below {MIN_RSA_BITS}")
    if e < 3 or e % 2 == 0:
        raise ValueError("unusable RSA exponent")
    return rsa.RSAPublicNumbers(e, n).public_key()


def _skip_reason(jwk: Mapping[str, Any]) -> str | None:
    if jwk.get("kty") != "RSA":
        return "kty is not RSA"
    if jwk.get("use", "sig") != "sig":
        return "use is not sig"
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return "key_ops lacks verify"
    if jwk.get("alg", "RS256") != "RS256":
        return "alg is not RS256"
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        return "no kid"
    issuer = jwk.get("issuer")
    if issuer is not None and not isinstance(issuer, str):
        return "issuer is not a string"
    return None


def load_jwks(document: Any) -> dict[str, VerificationKey]:
    """The usable keys of a JWKS document, by `kid`."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("a JWKS is an object with a 'keys' array")
    keys: dict[str, VerificationKey] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict):
            continue
        reason = _skip_reason(jwk)
        if reason is None:
            try:
                public_key = _rsa_key(jwk)
            except ValueError as exc:
                reason = str(exc)
        if reason is not None:
            logger.warning("ignoring JWKS key %r: %s", str(jwk.get("kid"))[:64], reason)
            continue
        kid = jwk["kid"]
        if kid in keys:
            logger.warning("ignoring duplicate JWKS key %r", kid[:64])
            continue
        keys[kid] = VerificationKey(kid=kid, public_key=public_key, issuer=jwk.get("issuer"))
    return keys
