"""Compact JWS as client assertions arrive: lenient decoding, RSA/EC verification, time windows.

Shared by certificate assertions (`client_assertion`) and federated ones (`federation`). Lenient
only where real clients differ from the RFC (client-compatibility.md §7): '='-padded segments,
fractional `exp`/`iat`, missing `nbf` or `iat`. Never lenient about algorithms: no `none`, nothing
symmetric, no key taken from the token itself.

Failures are AADSTS700027 (401), Entra's one code for bad signatures, claims and keys, except a
time window, which is AADSTS700024.
"""

from __future__ import annotations

import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tenantlab.ids import b64url_decode
from tenantlab.sts.errors import assertion_failed, assertion_out_of_time

# Bigger than any real assertion (an x5c chain of three 4096-bit certificates is about 6 KiB).
MAX_ASSERTION_LENGTH = 16 * 1024
# Microsoft.IdentityModel's default clock skew; containers and VMs drift.
CLOCK_SKEW = 300.0
LATEST_NUMERIC_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z


# -- parsing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedAssertion:
    """A compact JWS split and decoded, not yet trusted."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def algorithm(self) -> str:
        alg = self.header.get("alg")
        return alg if isinstance(alg, str) else ""

    def claim_str(self, name: str) -> str | None:
        value = self.payload.get(name)
        return value if isinstance(value, str) else None


def _decode_segment(segment: str, what: str) -> bytes:
    try:
        return b64url_decode(segment)
    except (binascii.Error, ValueError):
        raise assertion_failed(f"The assertion's {what} is not base64url.") from None


def _decode_json(segment: str, what: str) -> dict[str, Any]:
    raw = _decode_segment(segment, what)
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise assertion_failed(f"The assertion's {what} is not JSON.") from None
    if not isinstance(value, dict):
        raise assertion_failed(f"The assertion's {what} is not a JSON object.")
    return value


def parse_assertion(text: str) -> ParsedAssertion:
    """Split a compact JWS; tolerate '=' padding on segments (azure-identity aio sends it)."""
    if len(text) > MAX_ASSERTION_LENGTH:
        raise assertion_failed("The assertion is larger than 16 KiB.")
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise assertion_failed("The assertion is not a compact JWS (header.payload.signature).")
    header = _decode_json(parts[0], "header")
    payload = _decode_json(parts[1], "payload")
    signature = _decode_segment(parts[2], "signature")
    if not signature:
        raise assertion_failed("The assertion is not signed.")
    if "crit" in header:
        raise assertion_failed("The assertion's header lists critical extensions.")
    # The signature covers the segments exactly as sent, padding included.
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
    return ParsedAssertion(header, payload, signing_input, signature)


# -- time ---------------------------------------------------------------------------------------


def _numeric_date(payload: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = payload.get(name)
    if value is None:
        if required:
            raise assertion_failed(f"The assertion has no '{name}' claim.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise assertion_failed(f"The assertion's '{name}' claim is not a number.")
    # NaN and infinities slip through comparisons; years beyond 9999 cannot even be printed.
    if not 0 <= value <= LATEST_NUMERIC_DATE:
        raise assertion_failed(f"The assertion's '{name}' claim is not a valid time.")
    return float(value)


def check_time_window(
    payload: dict[str, Any], now: float, *, max_lifetime: float | None, skew: float = CLOCK_SKEW
) -> tuple[float, float]:
    """`exp` required, `nbf`/`iat` optional (fractional seconds fine), skew both ways.

    Returns the window (from, until) in which the same assertion would pass this check again.
    """
    expires = _numeric_date(payload, "exp", required=True)
    assert expires is not None
    not_before = _numeric_date(payload, "nbf", required=False)
    issued_at = _numeric_date(payload, "iat", required=False)
    start = not_before if not_before is not None else issued_at
    if now >= expires + skew:
        raise assertion_out_of_time(now, start, expires)
    if not_before is not None and not_before > now + skew:
        raise assertion_out_of_time(now, start, expires)
    if issued_at is not None and issued_at > now + skew:
        raise assertion_out_of_time(now, start, expires)
    if max_lifetime is not None:
        begin = min(start, now) if start is not None else now
        if expires - begin > max_lifetime + skew:
            raise assertion_failed(
                f"The assertion is valid for more than {int(max_lifetime)} seconds; "
                "ask for a shorter lifetime (exp)."
            )
    latest_start = max((t for t in (not_before, issued_at) if t is not None), default=None)
    return (latest_start - skew if latest_start is not None else 0.0), expires + skew


def verify_signature(alg: str, key: Any, signing_input: bytes, signature: bytes) -> bool:
    """RS256/384/512, PS256/384/512 (any salt length) and ES256/384 — nothing symmetric, no none."""
    hash_for = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}
    family, bits = alg[:2], alg[2:]
    digest = hash_for.get(bits)
    if digest is None:
        return False
    try:
        if family == "RS" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signing_input, padding.PKCS1v15(), digest)
        elif family == "PS" and isinstance(key, rsa.RSAPublicKey):
            pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=padding.PSS.AUTO)
            key.verify(signature, signing_input, pss, digest)
        elif family == "ES" and isinstance(key, ec.EllipticCurvePublicKey):
            size = (key.curve.key_size + 7) // 8
            if len(signature) != 2 * size:
                return False
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(digest))
        else:
            return False
    except InvalidSignature:
        return False
    return True
