"""The authority's OpenID metadata and signing keys, fetched over HTTPS and cached.

Policy (reference/api-security.md §1.4 item 4, the pattern MIW, PyJWT and jose converged on):
- loaded on first use with `httpx.AsyncClient` (never a blocking call on the event loop);
- refreshed in the background every `refresh_interval`;
- refreshed at once when a token names an unknown `kid` (key rotation), at most once per
  `cooldown` (>= 30 s) so random `kid`s cannot make the API hammer the authority;
- one refresh at a time (single flight); a failed refresh keeps the last good keys.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from tenantlab.apiauth.errors import AuthorityUnavailable
from tenantlab.apiauth.keys import VerificationKey, load_jwks
from tenantlab.clock import SYSTEM_CLOCK, Clock

logger = logging.getLogger("tenantlab.apiauth")

MIN_COOLDOWN = 30.0
# While the first load keeps failing, requests answer 503 at once and retry at most this often.
FIRST_LOAD_RETRY = 5.0
MAX_DOCUMENT_BYTES = 512 * 1024


@dataclass(frozen=True)
class Metadata:
    """What a validator needs from the authority: issuers (v2 and/or v1) and keys by `kid`.

    An issuer that is None is a token version the authority does not issue for this API.
    """

    issuer_v2: str | None
    issuer_v1: str | None
    keys: dict[str, VerificationKey]


class KeySource(Protocol):
    """Where a TokenValidator learns the issuers and signing keys it trusts.

    `AuthorityMetadata` learns them over HTTPS, as any API protected by Entra does. A service that
    is part of the authority itself (tenantlab's Graph) implements this over its own key store.
    """

    async def current(self) -> Metadata:
        """The issuers (and, for an HTTPS authority, its key set); may load them first."""
        ...

    async def key(self, kid: str, tenant_id: str | None = None) -> VerificationKey | None:
        """The key for `kid`; `tenant_id` is the token's unverified `tid`, a hint only.

        The validator binds the key to the token's tenant afterwards (the key's `issuer`).
        """
        ...

    def still_trusts(self, kid: str, tenant_id: str) -> bool:
        """Without waiting: is `kid` still published? (A cached token is re-checked if not.)"""
        ...

    async def aclose(self) -> None: ...


class AuthorityMetadata:
    """Discovery + JWKS of one authority (e.g. https://login.microsoftonline.com/{tenant})."""

    def __init__(
        self,
        authority: str,
        *,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
        refresh_interval: float = 12 * 3600,
        cooldown: float = 60.0,
        timeout: float = 10.0,
        want_v1: bool = True,
    ) -> None:
        self.authority = authority.rstrip("/")
        self._verify = verify
        self._transport = transport
        self._clock = clock
        self.refresh_interval = refresh_interval
        self.cooldown = max(cooldown, MIN_COOLDOWN)
        self._timeout = timeout
        self._want_v1 = want_v1
        self._current: Metadata | None = None
        self._loaded_at = 0.0
        self._last_forced = float("-inf")
        self._first_failed_at = float("-inf")
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self.fetch_count = 0  # documents fetched: lets tests and operators see refresh behaviour

    @property
    def discovery_url(self) -> str:
        return f"{self.authority}/v2.0/.well-known/openid-configuration"

    @property
    def v1_discovery_url(self) -> str:
        return f"{self.authority}/.well-known/openid-configuration"

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                verify=self._verify,
                transport=self._transport,
                timeout=self._timeout,
                follow_redirects=False,
                trust_env=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._background is not None:
            self._background.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def current(self) -> Metadata:
        """The cached metadata, loading it on first use; schedules the periodic refresh."""
        metadata = self._current
        if metadata is None:
            if self._clock.now() - self._first_failed_at < FIRST_LOAD_RETRY:
                raise AuthorityUnavailable("metadata_unavailable", self.discovery_url)
            async with self._lock:
                if self._current is None:
                    await self._refresh_locked(first=True)
            assert self._current is not None
            return self._current
        if self._clock.now() - self._loaded_at >= self.refresh_interval:
            self._refresh_in_background()
        return metadata

    def peek(self) -> Metadata | None:
        """The cached metadata without waiting (None before the first load); the hot path."""
        if (
            self._current is not None
            and self._clock.now() - self._loaded_at >= self.refresh_interval
        ):
            self._refresh_in_background()
        return self._current

    def still_trusts(self, kid: str, tenant_id: str) -> bool:
        known = self.peek()
        return known is not None and kid in known.keys

    async def key(self, kid: str, tenant_id: str | None = None) -> VerificationKey | None:
        """The key for `kid`, refreshing once (within the cooldown) if the kid is unknown.

        One JWKS serves every tenant of the authority: `tenant_id` is not needed here.
        """
        metadata = await self.current()
        key = metadata.keys.get(kid)
        if key is not None:
            return key
        async with self._lock:
            metadata = self._current or metadata
            key = metadata.keys.get(kid)
            if key is not None:  # another request refreshed while we waited
                return key
            now = self._clock.now()
            if now - self._last_forced < self.cooldown:
                return None
            self._last_forced = now
            await self._refresh_locked(first=False)
            return self._current.keys.get(kid) if self._current else None

    def _refresh_in_background(self) -> None:
        if self._background is not None and not self._background.done():
            return

        async def run() -> None:
            async with self._lock:
                if self._clock.now() - self._loaded_at >= self.refresh_interval:
                    await self._refresh_locked(first=False)

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._background = loop.create_task(run())

    async def _refresh_locked(self, *, first: bool) -> None:
        try:
            fresh = await self._fetch()
        except (httpx.HTTPError, ValueError) as exc:
            if first:
                self._first_failed_at = self._clock.now()
                logger.error("cannot load the metadata of %s: %s", self.authority, exc)
                raise AuthorityUnavailable("metadata_unavailable", self.discovery_url) from None
            # Stale keys are better than none: keep serving the last good set (MIW IDX20806).
            logger.warning(
                "metadata refresh of %s failed, keeping the last keys: %s", self.authority, exc
            )
            # Try again after a cooldown rather than a whole refresh interval.
            self._loaded_at = self._clock.now() - self.refresh_interval + self.cooldown
            return
        if self._current is not None:
            gone = set(self._current.keys) - set(fresh.keys)
            if gone:
                logger.info("signing keys withdrawn by %s: %s", self.authority, sorted(gone))
        self._current = fresh
        self._loaded_at = self._clock.now()

    async def _get_json(self, url: str) -> dict[str, Any]:
        if not url.startswith("https://"):
            raise ValueError(f"refusing a non-https metadata URL {url!r}")
        self.fetch_count += 1
        async with self._http().stream("GET", url, headers={"Accept": "application/json"}) as r:
            if r.status_code != 200:
                raise ValueError(f"GET {url} answered {r.status_code}")
            body = bytearray()
            async for chunk in r.aiter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise ValueError(f"GET {url}: document larger than {MAX_DOCUMENT_BYTES} bytes")
        document = json.loads(bytes(body))
        if not isinstance(document, dict):
            raise ValueError(f"GET {url}: not a JSON object")
        return document

    async def _fetch(self) -> Metadata:
        discovery = await self._get_json(self.discovery_url)
        issuer, jwks_uri = discovery.get("issuer"), discovery.get("jwks_uri")
        if not isinstance(issuer, str) or not isinstance(jwks_uri, str):
            raise ValueError("the discovery document lacks issuer or jwks_uri")
        keys = load_jwks(await self._get_json(jwks_uri))
        issuer_v1: str | None = None
        if self._want_v1:
            try:
                v1 = await self._get_json(self.v1_discovery_url)
            except (httpx.HTTPError, ValueError) as exc:
                logger.info("no v1 metadata at %s (v1 tokens refused): %s", self.authority, exc)
            else:
                found = v1.get("issuer")
                issuer_v1 = found if isinstance(found, str) else None
        return Metadata(issuer_v2=issuer, issuer_v1=issuer_v1, keys=keys)
