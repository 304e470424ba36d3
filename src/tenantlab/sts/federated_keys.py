"""External issuers' signing keys for federated credentials: fetched per issuer, bounded, cached.

The keys come from the issuer's OpenID discovery document and its JWKS, fetched over HTTPS with
the system CAs and the platform's CA bundle. Fetching is asynchronous on the server's event loop
(no worker thread: the shared pool Graph uses is never occupied by a slow issuer, and the issuer
may be this very server). Per issuer:

- single flight: concurrent requests wait for the one fetch in progress for *their* issuer; other
  issuers are never queued behind it (issue 11: one stalled issuer used to stall every tenant);
- bounded: discovery + JWKS together get `fetch_timeout` seconds, however slowly an issuer trickles;
- failures are remembered for `failure_backoff` seconds and answered at once with AADSTS50166,
  so a dead issuer costs one timeout per back-off, not one per request;
- keys are re-read after `ttl`, and a token naming an unknown `kid` triggers a refresh at most
  once per `refresh_cooldown`: a stream of bogus `kid`s cannot turn the STS into a request cannon.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.ids import b64url_decode
from tenantlab.sts.errors import external_endpoint_failed

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_KEYS = 100
# Keys are re-read at most this often when a token names an unknown kid.
DEFAULT_REFRESH_COOLDOWN = 60.0
# ... and at least this often anyway (issuers rotate).
DEFAULT_KEYS_TTL = 3600.0
# Discovery + JWKS of one issuer, start to end.
DEFAULT_FETCH_TIMEOUT = 5.0
# A failed issuer is not asked again for this long; requests meanwhile get the remembered 50166.
DEFAULT_FAILURE_BACKOFF = 30.0


class FetchFailed(Exception):
    """An issuer document could not be fetched or read; the message is safe to show."""


Fetch = Callable[[str], Awaitable[bytes]]


def https_fetcher(ca_bundles: Sequence[Path] = (), timeout: float = DEFAULT_FETCH_TIMEOUT) -> Fetch:
    """GET over HTTPS only, trusting the system CAs plus `ca_bundles`.

    A bundle may be written after the platform opened (or rewritten): the TLS context is rebuilt
    when a bundle's modification time changes, and kept otherwise (loading one costs ~10 ms).
    """
    built: dict[tuple[int, ...], ssl.SSLContext] = {}

    def trust() -> ssl.SSLContext:
        stamp = tuple(_mtime_ns(bundle) for bundle in ca_bundles)
        context = built.get(stamp)
        if context is None:
            context = ssl.create_default_context()
            for bundle in ca_bundles:
                try:
                    context.load_verify_locations(cafile=str(bundle))
                except (OSError, ssl.SSLError):
                    continue  # not written yet, or not a bundle: the system CAs still apply
            built.clear()
            built[stamp] = context
        return context

    async def fetch(url: str) -> bytes:
        if not url.startswith("https://"):
            raise FetchFailed(f"{url} is not an https URL")
        try:
            async with (
                httpx.AsyncClient(
                    verify=trust(), timeout=timeout, follow_redirects=False
                ) as client,
                client.stream("GET", url, headers={"Accept": "application/json"}) as response,
            ):
                if response.status_code != 200:
                    raise FetchFailed(f"GET {url} answered HTTP {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise FetchFailed(f"GET {url} returned more than 256 KiB")
                return bytes(body)
        except httpx.HTTPError as exc:
            raise FetchFailed(f"GET {url} failed: {type(exc).__name__}") from None

    return fetch


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _json_object(body: bytes, url: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
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


@dataclass
class _Issuer:
    """What is known about one issuer: its keys, its last failure, the fetch in progress."""

    keys: _IssuerKeys | None = None
    failure: str | None = None  # the reason of the last failed fetch, safe to show
    failed_at: float = 0.0
    # The one fetch in progress (single flight); its result is the keys or a failure reason.
    flight: asyncio.Task[_IssuerKeys | str] | None = None


class FederatedKeyCache:
    """Signing keys of external issuers, by issuer, from OIDC discovery + JWKS."""

    def __init__(
        self,
        fetch: Fetch,
        clock: Clock = SYSTEM_CLOCK,
        *,
        refresh_cooldown: float = DEFAULT_REFRESH_COOLDOWN,
        ttl: float = DEFAULT_KEYS_TTL,
        fetch_timeout: float = DEFAULT_FETCH_TIMEOUT,
        failure_backoff: float = DEFAULT_FAILURE_BACKOFF,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self.refresh_cooldown = refresh_cooldown
        self.ttl = ttl
        self.fetch_timeout = fetch_timeout
        self.failure_backoff = failure_backoff
        self._issuers: dict[str, _Issuer] = {}

    async def keys_for(self, issuer: str, kid: str | None) -> list[Any]:
        """Candidate keys for a token of `issuer` naming `kid` (all of them when it names none).

        Raises AADSTS50166 when the issuer's documents cannot be read, now or within the back-off.
        """
        state = self._issuers.setdefault(issuer, _Issuer())
        now = self._clock.now()
        cached = state.keys
        stale = cached is None or now - cached.fetched_at >= self.ttl
        unknown = cached is not None and kid is not None and kid not in cached.by_kid
        if stale or (unknown and cached and now - cached.fetched_at >= self.refresh_cooldown):
            if state.failure is not None and now - state.failed_at < self.failure_backoff:
                raise external_endpoint_failed(state.failure)
            result = await self._join_flight(issuer, state)
            if isinstance(result, str):
                raise external_endpoint_failed(result)
            cached = result
        assert cached is not None
        if kid is None:
            return [*cached.by_kid.values(), *cached.unnamed]
        found = cached.by_kid.get(kid)
        return [found] if found is not None else list(cached.unnamed)

    async def _join_flight(self, issuer: str, state: _Issuer) -> _IssuerKeys | str:
        """Wait for the issuer's fetch in progress, starting it if there is none."""
        flight = state.flight
        if flight is None or flight.get_loop() is not asyncio.get_running_loop():
            flight = asyncio.get_running_loop().create_task(self._fly(issuer, state))
            state.flight = flight
        # Shielded: a caller that goes away (client disconnect) does not cancel the others' fetch.
        return await asyncio.shield(flight)

    async def _fly(self, issuer: str, state: _Issuer) -> _IssuerKeys | str:
        try:
            async with asyncio.timeout(self.fetch_timeout):
                keys = await self._load(issuer)
        except TimeoutError:
            reason = f"{issuer} did not answer within {self.fetch_timeout:g} seconds"
        except FetchFailed as exc:
            reason = str(exc)
        else:
            state.keys, state.failure = keys, None
            return keys
        finally:
            if state.flight is asyncio.current_task():
                state.flight = None
        state.failure, state.failed_at = reason, self._clock.now()
        return reason

    async def _load(self, issuer: str) -> _IssuerKeys:
        """Discovery, then JWKS; FetchFailed with a reason safe to show."""
        where = issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = _json_object(await self._fetch(where), where)
        if document.get("issuer") != issuer:
            raise FetchFailed(f"{where} names another issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith("https://"):
            raise FetchFailed(f"{where} has no https jwks_uri")
        jwks = _json_object(await self._fetch(jwks_uri), jwks_uri)
        entries = jwks.get("keys")
        if not isinstance(entries, list):
            raise FetchFailed(f"{jwks_uri} has no 'keys' list")
        result = _IssuerKeys(fetched_at=self._clock.now())
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
