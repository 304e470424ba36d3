"""The federated key cache per issuer: single flight, bounded fetch time, remembered failures.

No sockets: issuers are in-memory `fetch` functions that can be held open with an event. The
clock is fixed (back-off and TTL); only the fetch bound uses the event loop's own timer.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tenantlab.clock import FixedClock
from tenantlab.ids import b64url
from tenantlab.sts.errors import StsError
from tenantlab.sts.federated_keys import FederatedKeyCache, FetchFailed

STALLED = "https://stalled.example/issuer"
HEALTHY = "https://healthy.example/issuer"


def jwks(key: rsa.RSAPrivateKey) -> bytes:
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "kid": "k1",
        "n": b64url(numbers.n.to_bytes(256, "big")),
        "e": b64url(numbers.e.to_bytes(3, "big")),
    }
    return json.dumps({"keys": [jwk]}).encode()


class Issuers:
    """In-memory issuers; a held one answers once `release` is set, a dead one never."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key
        self.gets: list[str] = []
        self.held: set[str] = set()
        self.dead: set[str] = set()  # accept and never answer
        self.failing: set[str] = set()
        self.release = asyncio.Event()

    async def fetch(self, url: str) -> bytes:
        self.gets.append(url)
        issuer = url.split("/.well-known/")[0].removesuffix("/jwks")
        if issuer in self.held:
            await self.release.wait()
        if issuer in self.dead:
            await asyncio.sleep(3600)
        if issuer in self.failing:
            raise FetchFailed(f"GET {url} failed: ConnectError")
        if url.endswith("/.well-known/openid-configuration"):
            return json.dumps({"issuer": issuer, "jwks_uri": issuer + "/jwks"}).encode()
        return jwks(self.key)

    def count(self, issuer: str) -> int:
        return sum(1 for url in self.gets if url.startswith(issuer))


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_concurrent_requests_for_one_issuer_share_one_fetch(key: rsa.RSAPrivateKey) -> None:
    async def scenario() -> list[list[object]]:
        issuers = Issuers(key)
        issuers.held.add(HEALTHY)
        cache = FederatedKeyCache(issuers.fetch, FixedClock())
        waiting = [asyncio.create_task(cache.keys_for(HEALTHY, "k1")) for _ in range(5)]
        await asyncio.sleep(0.01)
        assert issuers.count(HEALTHY) == 1  # one discovery request in flight for five callers
        issuers.release.set()
        found = await asyncio.gather(*waiting)
        assert issuers.count(HEALTHY) == 2  # discovery + JWKS, once
        return found

    found = asyncio.run(scenario())
    assert all(len(keys) == 1 for keys in found)


def test_a_stalled_issuer_does_not_hold_up_another(key: rsa.RSAPrivateKey) -> None:
    async def scenario() -> None:
        issuers = Issuers(key)
        issuers.held.add(STALLED)
        cache = FederatedKeyCache(issuers.fetch, FixedClock(), fetch_timeout=60)
        stalled = [asyncio.create_task(cache.keys_for(STALLED, "k1")) for _ in range(3)]
        await asyncio.sleep(0.01)
        healthy = await asyncio.wait_for(cache.keys_for(HEALTHY, "k1"), timeout=10)
        assert len(healthy) == 1
        assert not any(task.done() for task in stalled)  # still waiting on their own issuer
        issuers.release.set()
        await asyncio.gather(*stalled)

    asyncio.run(scenario())


def test_fetch_time_is_bounded_and_the_failure_remembered(key: rsa.RSAPrivateKey) -> None:
    clock = FixedClock()
    issuers = Issuers(key)
    issuers.dead.add(STALLED)
    cache = FederatedKeyCache(issuers.fetch, clock, fetch_timeout=0.05, failure_backoff=30)

    def ask() -> StsError:
        async def call() -> None:
            await cache.keys_for(STALLED, "k1")

        with pytest.raises(StsError) as caught:
            asyncio.run(call())
        return caught.value

    first = ask()
    assert (first.code, first.status, first.error) == (50166, 400, "invalid_request")
    assert "did not answer within 0.05 seconds" in first.text
    assert issuers.count(STALLED) == 1
    clock.advance(29)
    again = ask()  # answered from memory: no new request to the dead issuer
    assert again.code == 50166
    assert "did not answer" in again.text
    assert issuers.count(STALLED) == 1
    clock.advance(2)  # the back-off is over: one new attempt
    ask()
    assert issuers.count(STALLED) == 2


def test_a_recovered_issuer_is_used_after_the_backoff(key: rsa.RSAPrivateKey) -> None:
    clock = FixedClock()
    issuers = Issuers(key)
    issuers.failing.add(HEALTHY)
    cache = FederatedKeyCache(issuers.fetch, clock, failure_backoff=30)
    with pytest.raises(StsError, match="ConnectError"):
        asyncio.run(cache.keys_for(HEALTHY, "k1"))
    issuers.failing.clear()
    with pytest.raises(StsError, match="ConnectError"):
        asyncio.run(cache.keys_for(HEALTHY, "k1"))  # within the back-off
    clock.advance(30)
    assert len(asyncio.run(cache.keys_for(HEALTHY, "k1"))) == 1


def test_a_caller_that_goes_away_does_not_cancel_the_shared_fetch(
    key: rsa.RSAPrivateKey,
) -> None:
    async def scenario() -> None:
        issuers = Issuers(key)
        issuers.held.add(HEALTHY)
        cache = FederatedKeyCache(issuers.fetch, FixedClock())
        leaving = asyncio.create_task(cache.keys_for(HEALTHY, "k1"))
        staying = asyncio.create_task(cache.keys_for(HEALTHY, "k1"))
        await asyncio.sleep(0.01)
        leaving.cancel()
        issuers.release.set()
        assert len(await staying) == 1
        assert issuers.count(HEALTHY) == 2

    asyncio.run(scenario())
