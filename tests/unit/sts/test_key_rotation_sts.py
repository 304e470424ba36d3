"""Signing-key rotation seen through the token service, on a fixed clock (in-process ASGI)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import jwt
import pytest

from tenantlab.clock import FixedClock
from tenantlab.platform import Platform
from tenantlab.sts.app import create_app

ORIGIN = "https://localhost:5443"


def _call(platform: Platform, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(platform))
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


@pytest.fixture
def registration(platform: Platform) -> dict[str, str]:
    directory = platform.directory
    tenant = directory.create_tenant(display_name="Rotation", domain="rotation")
    api = directory.create_application(
        tenant=tenant.id,
        display_name="API",
        identifier_uris=["api://rotation-api"],
        requested_access_token_version=2,
    )
    daemon = directory.create_application(tenant=tenant.id, display_name="Daemon")
    secret = directory.add_password(tenant=tenant.id, app=daemon.app_id).secret_text
    return {"tenant": tenant.id, "client": daemon.app_id, "secret": secret, "api": api.app_id}


def _token(platform: Platform, reg: dict[str, str]) -> str:
    response = _call(
        platform,
        "POST",
        f"/{reg['tenant']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": reg["client"],
            "client_secret": reg["secret"],
            "scope": "api://rotation-api/.default",
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _jwks(platform: Platform, tenant: str) -> dict[str, dict[str, Any]]:
    response = _call(platform, "GET", f"/{tenant}/discovery/v2.0/keys")
    assert response.status_code == 200
    return {k["kid"]: k for k in response.json()["keys"]}


def _verify(token: str, jwks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Signature against the published JWKS; times are checked by the caller (fixed clock)."""
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK(jwks[kid], algorithm="RS256").key
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        options={
            "verify_aud": False,
            "verify_exp": False,
            "verify_iat": False,
            "verify_nbf": False,
        },
    )
    return claims


def test_a_token_signed_before_rotation_validates_until_it_expires_then_its_key_is_gone(
    platform: Platform, clock: FixedClock, registration: dict[str, str]
) -> None:
    tenant = registration["tenant"]
    before = _token(platform, registration)
    old_kid = jwt.get_unverified_header(before)["kid"]

    platform.keys.rotate(tenant)
    clock.advance(60)
    after = _token(platform, registration)
    new_kid = jwt.get_unverified_header(after)["kid"]
    assert new_kid != old_kid

    published = _jwks(platform, tenant)
    assert list(published) == [new_kid, old_kid]  # the signer first, the retired key still there
    old_claims = _verify(before, published)
    assert old_claims["exp"] > clock.now()  # still a live token ...
    assert _verify(after, published)["azp"] == registration["client"]

    clock.set(old_claims["exp"] + 1)  # ... until it expires; the key is kept for clock skew
    assert old_kid in _jwks(platform, tenant)
    clock.advance(300)
    remaining = _jwks(platform, tenant)
    assert list(remaining) == [new_kid]
    with pytest.raises(KeyError):
        _verify(before, remaining)
    assert _verify(after, remaining)["azp"] == registration["client"]


def test_rotating_twice_keeps_every_key_whose_tokens_may_still_be_alive(
    platform: Platform, clock: FixedClock, registration: dict[str, str]
) -> None:
    tenant = registration["tenant"]
    tokens = [_token(platform, registration)]
    for _ in range(2):
        platform.keys.rotate(tenant)
        clock.advance(600)
        tokens.append(_token(platform, registration))
    published = _jwks(platform, tenant)
    assert len(published) == 3
    assert all(_verify(t, published)["tid"] == tenant for t in tokens)
    clock.advance(3600 + 300 - 1200 + 1)  # past the first retired key's removal only
    assert len(_jwks(platform, tenant)) == 2
