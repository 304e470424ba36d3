"""Federated client assertions: exact matching, the issuer's keys, their cache and its cooldown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tenantlab.clock import FixedClock
from tenantlab.ids import FEDERATION_AUDIENCE, b64url
from tenantlab.sts.client_assertion import parse_assertion
from tenantlab.sts.errors import StsError
from tenantlab.sts.federated_keys import (
    FederatedKeyCache,
    FetchFailed,
    https_fetcher,
    public_key_from_jwk,
)
from tenantlab.sts.federation import FederatedCredentialSpec, verify_federated_assertion

NOW = 1_800_000_000.0
ISSUER = "https://oidc.cluster.example/abc"
SUBJECT = "system:serviceaccount:default:daemon"
JWKS_URI = "https://oidc.cluster.example/abc/openid/v1/jwks"
CREDENTIAL = FederatedCredentialSpec(
    id="fic-1", name="k8s", issuer=ISSUER, subject=SUBJECT, audiences=(FEDERATION_AUDIENCE,)
)


def _int(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def rsa_jwk(key: rsa.RSAPrivateKey, kid: str | None) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()
    jwk: dict[str, Any] = {"kty": "RSA", "use": "sig", "n": _int(numbers.n), "e": _int(numbers.e)}
    if kid is not None:
        jwk["kid"] = kid
    return jwk


def ec_jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "kid": kid, "x": _int(numbers.x), "y": _int(numbers.y)}


def sign(key: Any, header: dict[str, Any], payload: dict[str, Any]) -> str:
    def seg(value: dict[str, Any]) -> str:
        return b64url(json.dumps(value).encode())

    signing_input = f"{seg(header)}.{seg(payload)}".encode()
    if header["alg"] == "ES256":
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif header["alg"] == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = key.sign(signing_input, pss, hashes.SHA256())
    else:
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input.decode() + "." + b64url(signature)


def token_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": SUBJECT,
        "aud": [FEDERATION_AUDIENCE],
        "iat": int(NOW),
        "nbf": int(NOW),
        "exp": int(NOW) + 3600,
        "kubernetes.io": {"namespace": "default"},
    }
    claims.update(overrides)
    return claims


class FakeIssuer:
    """The documents an OIDC issuer serves, and a count of each GET (a unit-test stand-in)."""

    def __init__(self, jwks: list[dict[str, Any]]) -> None:
        self.jwks = jwks
        self.discovery: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": JWKS_URI}
        self.gets: list[str] = []
        self.broken = False

    async def fetch(self, url: str) -> bytes:
        self.gets.append(url)
        if self.broken:
            raise FetchFailed(f"GET {url} failed: ConnectError")
        if url == ISSUER + "/.well-known/openid-configuration":
            return json.dumps(self.discovery).encode()
        if url == JWKS_URI:
            return json.dumps({"keys": self.jwks}).encode()
        raise FetchFailed(f"GET {url} answered HTTP 404")


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa_key2() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def issuer(rsa_key: rsa.RSAPrivateKey) -> FakeIssuer:
    return FakeIssuer([rsa_jwk(rsa_key, "k1")])


@pytest.fixture
def cache(issuer: FakeIssuer, clock: FixedClock) -> FederatedKeyCache:
    return FederatedKeyCache(issuer.fetch, clock, refresh_cooldown=60, ttl=3600)


def verify(
    token: str,
    cache: FederatedKeyCache,
    credentials: list[FederatedCredentialSpec] | None = None,
    now: float = NOW,
) -> str:
    match = asyncio.run(
        verify_federated_assertion(
            parse_assertion(token), credentials=credentials or [CREDENTIAL], keys=cache, now=now
        )
    )
    return match.credential_id


def refused(call: Callable[[], object], code: int, status: int = 401) -> StsError:
    with pytest.raises(StsError) as caught:
        call()
    assert (caught.value.code, caught.value.status) == (code, status)
    return caught.value


def test_kubernetes_service_account_token_is_accepted(
    rsa_key: rsa.RSAPrivateKey, cache: FederatedKeyCache, issuer: FakeIssuer
) -> None:
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims())
    assert verify(token, cache) == "fic-1"
    assert verify(token, cache) == "fic-1"
    assert len(issuer.gets) == 2  # discovery + JWKS, once: cached afterwards


def test_the_matching_credential_among_several_is_reported(
    rsa_key: rsa.RSAPrivateKey, cache: FederatedKeyCache
) -> None:
    other = FederatedCredentialSpec("fic-0", "ci", ISSUER, "repo:x", (FEDERATION_AUDIENCE,))
    custom = FederatedCredentialSpec("fic-2", "custom", ISSUER, SUBJECT, ("api://custom",))
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims(aud="api://custom"))
    assert verify(token, cache, [other, CREDENTIAL, custom]) == "fic-2"


def test_ps256_and_es256_issuers(clock: FixedClock, rsa_key: rsa.RSAPrivateKey) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    fake = FakeIssuer([rsa_jwk(rsa_key, "r"), ec_jwk(ec_key, "e")])
    cache = FederatedKeyCache(fake.fetch, clock)
    assert verify(sign(ec_key, {"alg": "ES256", "kid": "e"}, token_claims()), cache)
    assert verify(sign(rsa_key, {"alg": "PS256", "kid": "r"}, token_claims()), cache)


def test_keys_without_kid_are_tried(clock: FixedClock, rsa_key: rsa.RSAPrivateKey) -> None:
    cache = FederatedKeyCache(FakeIssuer([rsa_jwk(rsa_key, None)]).fetch, clock)
    assert verify(sign(rsa_key, {"alg": "RS256"}, token_claims()), cache)
    assert verify(sign(rsa_key, {"alg": "RS256", "kid": "unlisted"}, token_claims()), cache)


# -- exact matching, in Entra's order ---------------------------------------------------------


def test_unknown_issuer_is_700211_without_any_fetch(
    rsa_key: rsa.RSAPrivateKey, cache: FederatedKeyCache, issuer: FakeIssuer
) -> None:
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims(iss=ISSUER + "/"))
    error = refused(lambda: verify(token, cache), 700211)
    assert f"issuer '{ISSUER}/'" in error.text
    assert error.error == "invalid_client"
    assert issuer.gets == []


def test_subject_is_case_sensitive_700213(
    rsa_key: rsa.RSAPrivateKey, cache: FederatedKeyCache
) -> None:
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims(sub=SUBJECT.upper()))
    assert "subject" in refused(lambda: verify(token, cache), 700213).text


@pytest.mark.parametrize("audience", ["api://azureadtokenexchange", ["other"], None])
def test_audience_must_match_exactly_700212(
    rsa_key: rsa.RSAPrivateKey, cache: FederatedKeyCache, audience: Any
) -> None:
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims(aud=audience))
    refused(lambda: verify(token, cache), 700212)


@pytest.mark.parametrize("audience", [5, {}, [], [["x"]]])
def test_an_audience_that_is_not_a_string_or_strings_is_a_malformed_token_700027(
    rsa_key: rsa.RSAPrivateKey, cache: FederatedKeyCache, audience: Any
) -> None:
    """The one verifier checks the registered claims' types right after the signature."""
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims(aud=audience))
    assert "audience (aud)" in refused(lambda: verify(token, cache), 700027).text


def test_expired_token_is_700024(rsa_key: rsa.RSAPrivateKey, cache: FederatedKeyCache) -> None:
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims())
    refused(lambda: verify(token, cache, now=NOW + 3600 + 301), 700024)


def test_signature_is_checked_before_the_subject(
    rsa_key2: rsa.RSAPrivateKey, cache: FederatedKeyCache
) -> None:
    token = sign(rsa_key2, {"alg": "RS256", "kid": "k1"}, token_claims(sub="attacker"))
    assert "signature" in refused(lambda: verify(token, cache), 700027).text


@pytest.mark.parametrize("alg", ["none", "HS256", "EdDSA"])
def test_disallowed_algorithms(
    rsa_key: rsa.RSAPrivateKey, cache: FederatedKeyCache, alg: str
) -> None:
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims())
    _, payload, signature = token.split(".")
    header = b64url(json.dumps({"alg": alg, "kid": "k1"}).encode())
    refused(lambda: verify(f"{header}.{payload}.{signature}", cache), 700027)


# -- keys: discovery, cache, refresh on unknown kid ---------------------------------------------


def test_unknown_kid_refreshes_once_per_cooldown(
    rsa_key: rsa.RSAPrivateKey,
    rsa_key2: rsa.RSAPrivateKey,
    cache: FederatedKeyCache,
    issuer: FakeIssuer,
    clock: FixedClock,
) -> None:
    assert verify(sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims()), cache)
    issuer.jwks.append(rsa_jwk(rsa_key2, "k2"))  # the issuer rotates ...
    rotated = sign(rsa_key2, {"alg": "RS256", "kid": "k2"}, token_claims())
    refused(lambda: verify(rotated, cache), 700027)  # ... but we read its keys just now
    bogus = sign(rsa_key2, {"alg": "RS256", "kid": "bogus"}, token_claims())
    refused(lambda: verify(bogus, cache), 700027)
    assert len(issuer.gets) == 2
    clock.advance(61)
    assert verify(rotated, cache)  # cooldown over: one refresh finds k2
    assert len(issuer.gets) == 4
    refused(lambda: verify(bogus, cache), 700027)
    assert len(issuer.gets) == 4


def test_keys_are_reread_after_their_ttl(
    rsa_key: rsa.RSAPrivateKey, cache: FederatedKeyCache, issuer: FakeIssuer, clock: FixedClock
) -> None:
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims(exp=int(NOW) + 7200))
    verify(token, cache)
    clock.advance(3600)
    verify(token, cache, now=NOW + 3600)
    assert len(issuer.gets) == 4


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"issuer": "https://elsewhere.example"}, "names another issuer"),
        ({"jwks_uri": "http://oidc.cluster.example/jwks"}, "no https jwks_uri"),
        ({"jwks_uri": None}, "no https jwks_uri"),
    ],
)
def test_bad_discovery_documents_are_50166(
    rsa_key: rsa.RSAPrivateKey,
    cache: FederatedKeyCache,
    issuer: FakeIssuer,
    change: dict[str, Any],
    reason: str,
) -> None:
    issuer.discovery.update(change)
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims())
    error = refused(lambda: verify(token, cache), 50166, 400)
    assert reason in error.text
    assert error.error == "invalid_request"


def test_unreachable_issuer_is_50166(
    rsa_key: rsa.RSAPrivateKey, cache: FederatedKeyCache, issuer: FakeIssuer
) -> None:
    issuer.broken = True
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims())
    assert (
        "Request to External OIDC endpoint failed"
        in refused(lambda: verify(token, cache), 50166, 400).text
    )


@pytest.mark.parametrize("body", [b"<html>", b"[1]", b'{"keys": "nope"}'])
def test_unreadable_jwks_is_50166(
    rsa_key: rsa.RSAPrivateKey, clock: FixedClock, body: bytes
) -> None:
    fake = FakeIssuer([])

    async def fetch(url: str) -> bytes:
        return body if url == JWKS_URI else await fake.fetch(url)

    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims())
    refused(lambda: verify(token, FederatedKeyCache(fetch, clock)), 50166, 400)


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "RSA", "n": 5, "e": "AQAB"},
        {"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "Ed25519", "x": "AA"},
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
    ],
)
def test_unusable_jwks_entries_are_skipped(jwk: dict[str, Any]) -> None:
    assert public_key_from_jwk(jwk) is None


def test_encryption_keys_are_not_used_for_signatures(
    rsa_key: rsa.RSAPrivateKey, clock: FixedClock
) -> None:
    jwk = rsa_jwk(rsa_key, "k1") | {"use": "enc"}
    cache = FederatedKeyCache(FakeIssuer([jwk]).fetch, clock)
    token = sign(rsa_key, {"alg": "RS256", "kid": "k1"}, token_claims())
    refused(lambda: verify(token, cache), 700027)


def test_https_fetcher_refuses_plain_http() -> None:
    fetch = https_fetcher()
    with pytest.raises(FetchFailed, match="not an https URL"):
        asyncio.run(fetch("http://127.0.0.1:1/.well-known/openid-configuration"))
