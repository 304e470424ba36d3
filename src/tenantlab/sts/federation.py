"""Federated identity credentials: client assertions issued by an external OpenID provider.

A workload (a Kubernetes pod, a CI job, another tenant) presents a JWT from its own issuer; an app
trusts it through a federated identity credential naming that issuer, subject and audiences. As in
Entra the match is exact and case-sensitive, checked in the order Entra reports it: issuer
(AADSTS700211), signature against the issuer's keys, time window (AADSTS700024), subject
(AADSTS700213), audience (AADSTS700212).

The issuer's keys come from its OpenID discovery document and JWKS, fetched over HTTPS with the
platform's CA bundle and cached per issuer. A token whose `kid` is not cached triggers one refresh,
at most once per cooldown, so a stream of bogus `kid`s cannot turn the STS into a request cannon.
Fetching blocks: call `verify_federated_assertion` from a worker thread, never on an event loop
(the issuer may be this very server).
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.ids import b64url_decode
from tenantlab.sts.assertion_jws import ParsedAssertion, check_time_window, verify_signature
from tenantlab.sts.errors import (
    assertion_failed,
    external_endpoint_failed,
    no_matching_audience,
    no_matching_issuer,
    no_matching_subject,
)

FEDERATED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"}
)
MAX_DOCUMENT_BYTES = 256 * 1024
MAX_KEYS = 100
# Keys are re-read at most this often when a token names an unknown kid.
DEFAULT_REFRESH_COOLDOWN = 60.0
# ... and at least this often anyway (issuers rotate).
DEFAULT_KEYS_TTL = 3600.0


class FetchFailed(Exception):
    """An issuer document could not be fetched or read; the message is safe to show."""


Fetch = Callable[[str], bytes]


def https_fetcher(ca_bundles: Sequence[Path] = (), timeout: float = 5.0) -> Fetch:
    """GET over HTTPS only, trusting the system CAs plus `ca_bundles` (read at each fetch).

    The platform passes its bundle (system CAs + local CA); the sequence may grow later, when
    another platform in the same process registers its own.
    """

    def fetch(url: str) -> bytes:
        if not url.startswith("https://"):
            raise FetchFailed(f"{url} is not an https URL")
        context = ssl.create_default_context()
        for bundle in ca_bundles:
            try:
                context.load_verify_locations(cafile=str(bundle))
            except (OSError, ssl.SSLError):
                continue  # not written yet, or not a bundle: the system CAs still apply
        try:
            with (
                httpx.Client(verify=context, timeout=timeout, follow_redirects=False) as client,
                client.stream("GET", url, headers={"Accept": "application/json"}) as response,
            ):
                if response.status_code != 200:
                    raise FetchFailed(f"GET {url} answered HTTP {response.status_code}")
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise FetchFailed(f"GET {url} returned more than 256 KiB")
                return body
        except httpx.HTTPError as exc:
            raise FetchFailed(f"GET {url} failed: {type(exc).__name__}") from None

    return fetch


def _json_object(body: bytes, url: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise FetchFailed(f"{url} is not JSON") from None
    if not isinstance(value, dict):
        raise FetchFailed(f"{url} is not a JSON object")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return int.from_bytes(b64url_decode(value), "big")


_CURVES: dict[str, ec.EllipticCurve] = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1()}


def public_key_from_jwk(jwk: dict[str, Any]) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey | None:
    """An RSA or EC public key from a JWK; None for anything else (symmetric, OKP, broken)."""
    try:
        if jwk.get("kty") == "RSA":
            return rsa.RSAPublicNumbers(_int(jwk.get("e")), _int(jwk.get("n"))).public_key()
        if jwk.get("kty") == "EC":
            curve = _CURVES.get(str(jwk.get("crv")))
            if curve is None:
                return None
            return ec.EllipticCurvePublicNumbers(
                _int(jwk.get("x")), _int(jwk.get("y")), curve
            ).public_key()
    except ValueError:
        return None
    return None


@dataclass
class _IssuerKeys:
    by_kid: dict[str, Any] = field(default_factory=dict)
    unnamed: list[Any] = field(default_factory=list)
    fetched_at: float = 0.0


class FederatedKeyCache:
    """Signing keys of external issuers, by issuer, from OIDC discovery + JWKS."""

    def __init__(
        self,
        fetch: Fetch,
        clock: Clock = SYSTEM_CLOCK,
        *,
        refresh_cooldown: float = DEFAULT_REFRESH_COOLDOWN,
        ttl: float = DEFAULT_KEYS_TTL,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self.refresh_cooldown = refresh_cooldown
        self.ttl = ttl
        self._issuers: dict[str, _IssuerKeys] = {}
        self._lock = threading.Lock()

    def keys_for(self, issuer: str, kid: str | None) -> list[Any]:
        """Candidate keys for a token of `issuer` naming `kid` (all of them when it names none)."""
        with self._lock:
            now = self._clock.now()
            cached = self._issuers.get(issuer)
            stale = cached is None or now - cached.fetched_at >= self.ttl
            unknown = cached is not None and kid is not None and kid not in cached.by_kid
            if stale or (unknown and cached and now - cached.fetched_at >= self.refresh_cooldown):
                cached = self._load(issuer, now)
                self._issuers[issuer] = cached
            assert cached is not None
            if kid is None:
                return [*cached.by_kid.values(), *cached.unnamed]
            found = cached.by_kid.get(kid)
            return [found] if found is not None else list(cached.unnamed)

    def _load(self, issuer: str, now: float) -> _IssuerKeys:
        where = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            document = _json_object(self._fetch(where), where)
            if document.get("issuer") != issuer:
                raise FetchFailed(f"{where} names another issuer")
            jwks_uri = document.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith("https://"):
                raise FetchFailed(f"{where} has no https jwks_uri")
            jwks = _json_object(self._fetch(jwks_uri), jwks_uri)
        except FetchFailed as exc:
            raise external_endpoint_failed(str(exc)) from None
        entries = jwks.get("keys")
        if not isinstance(entries, list):
            raise external_endpoint_failed(f"{jwks_uri} has no 'keys' list")
        result = _IssuerKeys(fetched_at=now)
        for entry in entries[:MAX_KEYS]:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            key = public_key_from_jwk(entry)
            if key is None:
                continue
            kid = entry.get("kid")
            if isinstance(kid, str) and kid:
                result.by_kid[kid] = key
            else:
                result.unnamed.append(key)
        return result


@dataclass(frozen=True)
class FederatedCredentialSpec:
    """A federated identity credential as the check needs it (from the directory's row)."""

    id: str
    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...]


@dataclass(frozen=True)
class FederatedMatch:
    credential_id: str
    name: str
    issuer: str
    subject: str
    valid_from: float = 0.0  # the window in which the same assertion passes again
    valid_until: float = 0.0


def _audiences(payload: dict[str, Any]) -> list[str]:
    value = payload.get("aud")
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def verify_federated_assertion(
    parsed: ParsedAssertion,
    *,
    credentials: Sequence[FederatedCredentialSpec],
    keys: FederatedKeyCache,
    now: float,
) -> FederatedMatch:
    """Accept an external token when one of the app's federated credentials matches it exactly."""
    issuer = parsed.claim_str("iss") or ""
    candidates = [c for c in credentials if c.issuer == issuer]
    if not candidates:
        raise no_matching_issuer(issuer)
    alg = parsed.algorithm
    if alg not in FEDERATED_ALGORITHMS:
        raise assertion_failed(f"The algorithm '{alg or '(none)'}' is not allowed.")
    kid = parsed.header.get("kid")
    found = keys.keys_for(issuer, kid if isinstance(kid, str) and kid else None)
    if not any(verify_signature(alg, k, parsed.signing_input, parsed.signature) for k in found):
        raise assertion_failed(
            "The signature does not verify with any key the issuer publishes"
            + (f" (kid '{kid}')." if isinstance(kid, str) else ".")
        )
    start, until = check_time_window(parsed.payload, now, max_lifetime=None)
    subject = parsed.claim_str("sub") or ""
    candidates = [c for c in candidates if c.subject == subject]
    if not candidates:
        raise no_matching_subject(subject)
    presented = _audiences(parsed.payload)
    for credential in candidates:
        if any(a in credential.audiences for a in presented):
            return FederatedMatch(credential.id, credential.name, issuer, subject, start, until)
    raise no_matching_audience(", ".join(presented))
