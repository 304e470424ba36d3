"""The token decoder: a pasted JWT split into header and claims, each explained, its signature
checked against the keys its tenant publishes, its lifetime judged by the platform clock.

The token is never stored or logged; it lives only in the request that decodes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tenantlab.clock import iso_z
from tenantlab.errors import TenantlabError
from tenantlab.ids import b64url_decode, is_guid, normalize_guid
from tenantlab.keys import PublicSigningKey, PublishedKey
from tenantlab.portal.formatting import relative_time

MAX_TOKEN_CHARS = 16_384
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")

HEADER_NOTES = {
    "typ": "Media type: JWT.",
    "alg": "Signature algorithm. Entra signs access tokens with RS256 (RSA + SHA-256).",
    "kid": "Which of the tenant's published signing keys made the signature (a JWKS entry's kid).",
    "x5t": "SHA-1 thumbprint of the signing certificate; v1.0 tokens carry it next to kid.",
    "nonce": "Present on tokens meant for Microsoft's own APIs; their signature is not "
    "checkable by third parties.",
}

CLAIM_NOTES = {
    "aud": "Audience: the resource the token is for (its appId, or its Application ID URI "
    "in v1.0 tokens). An API must reject tokens meant for someone else.",
    "iss": "Issuer: the tenant's token service that minted the token (v2.0: "
    "{authority}/v2.0, v1.0: https://sts.windows.net/{tenant}/).",
    "iat": "Issued at.",
    "nbf": "Not valid before.",
    "exp": "Expires at; APIs refuse the token after this moment.",
    "aio": "Opaque data Entra uses for token reuse; ignore it.",
    "azp": "Authorized party (v2.0): the client application's appId.",
    "azpacr": "How the client authenticated (v2.0): 0 public client, 1 secret, 2 certificate.",
    "appid": "The client application's appId (v1.0).",
    "appidacr": "How the client authenticated (v1.0): 0 public client, 1 secret, 2 certificate.",
    "idp": "Identity provider that authenticated the subject; for app tokens the tenant's issuer.",
    "idtyp": "Optional claim: 'app' for an application-only token, 'user' for a delegated one.",
    "oid": "Object id of the caller: here the client's service principal in this tenant.",
    "rh": "Opaque data Entra uses to revalidate tokens; ignore it.",
    "roles": "Application permissions (app roles) an administrator granted to the client for "
    "this API. Absent when none are granted.",
    "scp": "Delegated permissions (scopes) of a user-delegated token.",
    "sub": "Subject: for an app-only token, the client's service principal object id.",
    "tid": "Directory (tenant) ID of the tenant that issued the token.",
    "uti": "Token identifier, unique per token.",
    "ver": "Token version (1.0 or 2.0), set by the API's requestedAccessTokenVersion.",
    "xms_tcdt": "Tenant creation time.",
    "xms_ftd": "Opaque data Entra uses internally; ignore it.",
    "xms_idrel": "Opaque data Entra uses internally; ignore it.",
    "name": "Display name of the signed-in user.",
    "upn": "User principal name of the signed-in user.",
    "preferred_username": "The user's sign-in name (v2.0).",
    "unique_name": "The user's sign-in name (v1.0).",
    "acct": "Optional claim: 0 member user, 1 guest.",
    "ctry": "Optional claim: the user's country or region.",
    "tenant_region_scope": "Optional claim: region of the tenant.",
}

TIME_CLAIMS = ("iat", "nbf", "exp", "auth_time", "xms_tcdt")


class TokenDecodeError(TenantlabError):
    """The pasted text is not a compact JWS; the message says which part is wrong."""


@dataclass(frozen=True)
class Row:
    name: str
    value: str
    note: str = ""
    detail: str = ""  # a readable time for epoch claims


@dataclass(frozen=True)
class Verdict:
    """An outcome shown as a coloured badge: ok, warning or error."""

    status: str
    title: str
    text: str


@dataclass
class DecodedToken:
    header: dict[str, Any]
    claims: dict[str, Any]
    header_rows: list[Row] = field(default_factory=list)
    claim_rows: list[Row] = field(default_factory=list)
    signature: Verdict | None = None
    lifetime: Verdict | None = None

    @property
    def header_json(self) -> str:
        return json.dumps(self.header, indent=2, ensure_ascii=False)

    @property
    def claims_json(self) -> str:
        return json.dumps(self.claims, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class TenantKeys:
    """How the decoder learns keys: the tenant's published set and a lookup in every tenant."""

    tenant_name: Callable[[str], str | None]
    published: Callable[[str], list[PublishedKey]]
    find: Callable[[str], PublicSigningKey | None]


def _segment(text: str, what: str) -> bytes:
    # The standard decoder skips characters outside the alphabet; a pasted token must not.
    if not _BASE64URL.fullmatch(text):
        raise TokenDecodeError(f"the {what} is not base64url")
    try:
        return b64url_decode(text)
    except ValueError:
        raise TokenDecodeError(f"the {what} is not base64url") from None


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise TokenDecodeError(f"the {what} is not JSON") from None
    if not isinstance(value, dict):
        raise TokenDecodeError(f"the {what} is not a JSON object")
    return value


def split_token(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Header, claims, the signed bytes and the signature of a compact JWS."""
    token = "".join(token.split())
    if token.lower().startswith("bearer"):
        token = token[6:]
    if not token:
        raise TokenDecodeError("paste a token (three base64url parts separated by dots)")
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenDecodeError(f"the token is longer than {MAX_TOKEN_CHARS} characters")
    parts = token.split(".")
    if len(parts) == 5:
        raise TokenDecodeError("this is an encrypted token (JWE); only signed tokens decode here")
    if len(parts) != 3:
        raise TokenDecodeError(
            f"a JWT has three parts separated by dots; this one has {len(parts)}"
        )
    header = _json_object(_segment(parts[0], "header"), "header")
    claims = _json_object(_segment(parts[1], "payload"), "payload")
    signature = _segment(parts[2], "signature")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def _display(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _rows(values: dict[str, Any], notes: dict[str, str], now: float) -> list[Row]:
    rows = []
    for name, value in values.items():
        detail = ""
        if name in TIME_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
            detail = f"{iso_z(value)} ({relative_time(value, now)})"
        rows.append(Row(name, _display(value), notes.get(name, ""), detail))
    return rows


def check_signature(
    header: dict[str, Any],
    claims: dict[str, Any],
    signed: bytes,
    signature: bytes,
    keys: TenantKeys,
) -> Verdict:
    alg = header.get("alg")
    kid = header.get("kid") or header.get("x5t")
    if alg != "RS256":
        return Verdict(
            "error", "Not verified", f"alg {_display(alg)} is not RS256, which Entra uses."
        )
    if not isinstance(kid, str) or not kid:
        return Verdict("error", "Not verified", "the header names no key (kid).")
    tid = claims.get("tid")
    tenant_id = normalize_guid(tid) if isinstance(tid, str) and is_guid(tid) else None
    name = keys.tenant_name(tenant_id) if tenant_id else None
    if tenant_id is None or name is None:
        return Verdict(
            "error", "Not verified", "the token's tid claim names no tenant of this tenantlab."
        )
    published = {k.public.kid: k for k in keys.published(tenant_id)}
    key = published.get(kid)
    if key is None:
        elsewhere = keys.find(kid)
        where = (
            "a key of another tenant (or one removed from this tenant's keys)"
            if elsewhere
            else "no key tenantlab knows"
        )
        return Verdict(
            "error",
            "Unknown key",
            f"tenant {name} does not publish key {kid}; it is {where}. APIs will reject it.",
        )
    public_key = key.public.certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):  # pragma: no cover - signing keys are RSA
        return Verdict("error", "Not verified", "the key is not an RSA key")
    try:
        public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return Verdict(
            "error", "Invalid signature", f"the signature does not match key {kid} of {name}."
        )
    state = "the active signing key" if key.active else "a retired key, still published"
    return Verdict("ok", "Signature verified", f"signed with {state} of {name} (kid {kid}).")


def judge_lifetime(claims: dict[str, Any], now: float) -> Verdict:
    exp = claims.get("exp")
    nbf = claims.get("nbf")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return Verdict("warning", "No expiry", "the token has no numeric exp claim.")
    if isinstance(nbf, int | float) and not isinstance(nbf, bool) and nbf > now:
        return Verdict("warning", "Not yet valid", f"valid from {iso_z(nbf)}.")
    if exp <= now:
        return Verdict("error", "Expired", f"expired {relative_time(exp, now)} ({iso_z(exp)}).")
    return Verdict("ok", "Not expired", f"expires {relative_time(exp, now)} ({iso_z(exp)}).")


def decode_token(token: str, keys: TenantKeys, now: float) -> DecodedToken:
    header, claims, signed, signature = split_token(token)
    return DecodedToken(
        header=header,
        claims=claims,
        header_rows=_rows(header, HEADER_NOTES, now),
        claim_rows=_rows(claims, CLAIM_NOTES, now),
        signature=check_signature(header, claims, signed, signature, keys),
        lifetime=judge_lifetime(claims, now),
    )
