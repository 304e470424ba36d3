"""The one strict compact-JWS verifier (RFC 7515): `extract` a token, then `verify` it.

    extract(text, policy) -> Jws        untrusted: split, decoded, header checked
    verify(jws, key, policy)            signature first, then the registered claims' types
    JwsError(reason)                    the one failure; each caller maps it to its wire error

Used by every place that reads a JWS: `apiauth` (APIs, Graph included) and the token service's
client assertions. Callers differ only in their `JwsPolicy`: the algorithms they allow, whether
'='-padded segments are tolerated (azure-identity's async credential pads its assertions,
client-compatibility.md §7), size caps, accepted `typ` values, the claims they require.

What is refused, whatever the policy (reference/api-security.md §2): anything over the size cap,
checked before any decoding; non-canonical base64url (other alphabets, whitespace, unused bits;
padding unless tolerated); JSON that is not I-JSON (RFC 7493: duplicate members, NaN/Infinity,
numbers that overflow a double, invalid UTF-8) or nests deeper than MAX_JSON_DEPTH, checked before
`json.loads` ever recurses; a `crit` header (RFC 7515 §4.1.11: we understand no extension);
registered claims of the wrong type (RFC 7519 §4.1), and NumericDates outside years 1970-9999.

Why not a JWT library: they accept more (padding, duplicate members, string NumericDates) and,
on the hot path, PyJWT spends most of its ~90 µs in per-character Python checks while the RSA
verify itself costs ~20 µs (api-security.md §4.1). Here: a split, C base64 decodes, two
`json.loads` and one OpenSSL verify; the depth scan only runs when brackets are many.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

DEFAULT_MAX_LENGTH = 16 * 1024
DEFAULT_MAX_HEADER_LENGTH = 4096
MAX_JSON_DEPTH = 32
MIN_RSA_BITS = 2048
LATEST_NUMERIC_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z
NUMERIC_DATE_CLAIMS = ("exp", "nbf", "iat")
STRING_CLAIMS = ("iss", "sub", "jti")

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
# A JSON string (possessive: no backtracking), a bracket, or a quote that starts no string.
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*+"|[\[\]{}]|"', re.DOTALL)
_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}


class JwsError(Exception):
    """A token or assertion is refused. `reason` is a short code for logs, never token text."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail  # what exactly, for callers that explain (the STS's AADSTS text)


@dataclass(frozen=True, slots=True)
class JwsPolicy:
    """What one kind of caller accepts; see the module docstring."""

    algorithms: frozenset[str]
    max_length: int = DEFAULT_MAX_LENGTH
    max_header_length: int = DEFAULT_MAX_HEADER_LENGTH
    padding_tolerated: bool = False
    types: frozenset[str] | None = None  # accepted `typ` values when present; None: any
    required_claims: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = {a for a in self.algorithms if a[:2] not in ("RS", "PS", "ES")}
        if unknown or not self.algorithms:
            # Symmetric algorithms and `none` would let a public key or nothing sign a token.
            raise ValueError(f"only RS*, PS* and ES* algorithms can be allowed, not {unknown}")


@dataclass(frozen=True, slots=True)
class Jws:
    """A compact JWS split and decoded. Nothing in it is trusted before `verify` returns."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        return str(self.header["alg"])

    @property
    def kid(self) -> str | None:
        """The `kid` if it is a non-empty string; only ever a dictionary key for a key lookup."""
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) and kid else None

    def claim_str(self, name: str) -> str | None:
        value = self.claims.get(name)
        return value if isinstance(value, str) else None


# -- extract --------------------------------------------------------------------------------------


def b64url_decode_strict(segment: str, what: str, *, padding_tolerated: bool = False) -> bytes:
    """Canonical base64url (RFC 7515 §2): one spelling per byte string, '=' only if tolerated."""
    core = segment
    if padding_tolerated and segment.endswith("="):
        core = segment.rstrip("=")
        if len(segment) % 4 or len(segment) - len(core) != -len(core) % 4:
            raise JwsError(f"{what}_not_base64url", "wrong '=' padding")
    if _B64URL.fullmatch(core) is None or len(core) % 4 == 1:
        raise JwsError(f"{what}_not_base64url", "not the base64url alphabet")
    raw = core.encode("ascii")
    try:
        data = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise JwsError(f"{what}_not_base64url") from None
    # Unused low bits in the last character would give several spellings of the same bytes.
    if base64.urlsafe_b64encode(data).rstrip(b"=") != raw:
        raise JwsError(f"{what}_not_canonical_base64url", "unused bits set")
    return data


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # A parser differential (last-wins here, first-wins elsewhere) must not decide access.
        raise _NotIJson("a member name appears twice")
    return result


class _NotIJson(ValueError):
    pass


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 overflows to inf
        raise _NotIJson("a number overflows")
    return value


def _no_constant(name: str) -> float:
    raise _NotIJson(f"{name} is not a JSON number")


def _depth_within(data: bytes, limit: int) -> bool:
    """Whether the JSON text nests at most `limit` deep, in one linear pass (strings skipped)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return True  # depth never exceeds the number of openers: the common case costs nothing
    depth = 0
    for match in _JSON_TOKEN.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return False
        elif token in (b"]", b"}"):
            depth -= 1
        elif token == b'"':
            return True  # an unterminated string: json.loads refuses it before going deeper
    return True


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    if not _depth_within(data, MAX_JSON_DEPTH):
        raise JwsError(f"{what}_not_json", f"nested deeper than {MAX_JSON_DEPTH}")
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_unique_members,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except _NotIJson as exc:
        raise JwsError(f"{what}_not_json", str(exc)) from None
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise JwsError(f"{what}_not_json") from None
    if not isinstance(value, dict):
        raise JwsError(f"{what}_not_json_object")
    return value


def extract(text: str, policy: JwsPolicy) -> Jws:
    """Split and decode a compact JWS and check its header. The signature is not verified yet."""
    if len(text) > policy.max_length:
        raise JwsError("token_too_large")
    parts = text.split(".")
    if len(parts) != 3:
        # 5 parts is a JWE (no decryption is configured); 2 parts is a stripped signature.
        raise JwsError("not_a_compact_jws")
    header_b64, payload_b64, signature_b64 = parts
    if len(header_b64) > policy.max_header_length:
        raise JwsError("header_too_large")
    if not signature_b64:
        raise JwsError("signature_missing")
    tolerated = policy.padding_tolerated
    header = _json_object(
        b64url_decode_strict(header_b64, "header", padding_tolerated=tolerated), "header"
    )
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in policy.algorithms:
        raise JwsError("alg_not_allowed", str(alg)[:32])
    if "crit" in header:
        # RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
        raise JwsError("crit_not_understood")
    typ = header.get("typ")
    # A list or an object is unhashable: test the type before the set membership.
    if (
        typ is not None
        and policy.types is not None
        and not (isinstance(typ, str) and typ in policy.types)
    ):
        raise JwsError("typ_not_allowed")
    signature = b64url_decode_strict(signature_b64, "signature", padding_tolerated=tolerated)
    if not signature:
        raise JwsError("signature_missing")
    claims = _json_object(
        b64url_decode_strict(payload_b64, "payload", padding_tolerated=tolerated), "payload"
    )
    return Jws(
        header=header,
        claims=claims,
        # The signature covers the segments exactly as sent (padding included, when tolerated).
        signing_input=f"{header_b64}.{payload_b64}".encode("ascii"),
        signature=signature,
    )


# -- verify ---------------------------------------------------------------------------------------


def _verify_signature(jws: Jws, key: object) -> None:
    alg = jws.alg
    family, digest_type = alg[:2], _HASHES.get(alg[2:])
    if digest_type is None:
        raise JwsError("alg_not_allowed", alg)
    digest = digest_type()
    try:
        if family in ("RS", "PS") and isinstance(key, rsa.RSAPublicKey):
            if key.key_size < MIN_RSA_BITS:  # RFC 7518 §3.3
                raise JwsError("key_too_small")
            pad: padding.AsymmetricPadding = (
                padding.PKCS1v15()
                if family == "RS"
                else padding.PSS(mgf=padding.MGF1(digest), salt_length=padding.PSS.AUTO)
            )
            key.verify(jws.signature, jws.signing_input, pad, digest)
        elif family == "ES" and isinstance(key, ec.EllipticCurvePublicKey):
            if key.curve.name != _CURVES.get(alg):  # RFC 7518 §3.4: each ES alg has its curve
                raise JwsError("key_not_for_alg")
            size = (key.curve.key_size + 7) // 8
            if len(jws.signature) != 2 * size:
                raise JwsError("signature_invalid")
            r = int.from_bytes(jws.signature[:size], "big")
            s = int.from_bytes(jws.signature[size:], "big")
            key.verify(encode_dss_signature(r, s), jws.signing_input, ec.ECDSA(digest))
        else:
            raise JwsError("key_not_for_alg")
    except InvalidSignature:
        raise JwsError("signature_invalid") from None


def _check_claim_types(claims: dict[str, Any], required: frozenset[str]) -> None:
    """RFC 7519 §4.1: NumericDates are JSON numbers, `iss`/`sub`/`jti` strings, `aud` either."""
    for name in NUMERIC_DATE_CLAIMS:
        value = claims.get(name)
        if value is None:
            if name in required:
                raise JwsError(f"{name}_missing_or_not_a_number")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise JwsError(f"{name}_missing_or_not_a_number")
        if not 0 <= value <= LATEST_NUMERIC_DATE:
            raise JwsError(f"{name}_not_a_valid_time")
    for name in STRING_CLAIMS:
        value = claims.get(name)
        if value is None and name not in required:
            continue
        if not isinstance(value, str):
            raise JwsError(f"{name}_missing_or_not_a_string")
    audience = claims.get("aud")
    if audience is None and "aud" not in required:
        return
    if isinstance(audience, str) or (
        isinstance(audience, list) and audience and all(isinstance(a, str) for a in audience)
    ):
        return
    raise JwsError("aud_missing_or_not_a_string_or_array")


def verify(jws: Jws, key: object, policy: JwsPolicy) -> None:
    """Check the signature with `key` under `policy`, then the registered claims' types.

    `key` is an RSA or EC public key from `cryptography`, chosen by the caller from keys it
    trusts (never from the token: `jwk`, `jku`, `x5c` and `x5u` are ignored here).
    """
    if jws.alg not in policy.algorithms:
        raise JwsError("alg_not_allowed", jws.alg[:32])
    _verify_signature(jws, key)
    _check_claim_types(jws.claims, policy.required_claims)
