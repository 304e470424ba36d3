"""The token forge: each key kind verifies or fails as it should, judged by two oracles.

PyJWT (independent of our code) and `tenantlab.apiauth` (the validator APIs use), the latter
learning the tenant's keys from the real token service over an in-process ASGI transport.
A token forged with `key="tenant"` is compared with one the token service issues.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tenantlab.apiauth import InvalidToken, TokenValidationSettings, TokenValidator
from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.platform import Platform
from tenantlab.server import create_cloud_app
from tenantlab.testing.forge import OMIT, TokenForge, foreign_key, public_key_bytes

pytestmark = pytest.mark.anyio

ORIGIN = "https://localhost:5443"
CAPTURES = Path(__file__).parent / "sts" / "captures"
RANDOM_CLAIMS = {"aio", "uti", "xms_ftd"}  # opaque, fresh in every token


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Setup:
    platform: Platform
    clock: FixedClock
    tenant_id: str
    api_app_id: str
    api_uri: str
    v1_api_uri: str
    daemon_app_id: str
    secret: str
    forge: TokenForge

    def public_key(self) -> rsa.RSAPublicKey:
        return self.forge.signing_key().private_key.public_key()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One platform for the module: forging only reads the directory."""
    clock = FixedClock()
    settings = PlatformSettings(home=tmp_path_factory.mktemp("home"), public_url=ORIGIN)
    platform = Platform.open(settings, clock)
    directory = platform.directory
    tenant = directory.create_tenant(display_name="Forge", domain="forge")
    api = directory.create_application(
        tenant=tenant.id,
        display_name="Orders API",
        identifier_uris=["api://orders"],
        requested_access_token_version=2,
    )
    v1_api = directory.create_application(
        tenant=tenant.id, display_name="Legacy API", identifier_uris=["api://legacy"]
    )
    daemon = directory.create_application(tenant=tenant.id, display_name="Orders daemon")
    secret = directory.add_password(tenant=tenant.id, app=daemon.app_id).secret_text
    for app in (api.app_id, v1_api.app_id):
        directory.add_app_role(tenant=tenant.id, app=app, value="Orders.Read.All")
        directory.grant_app_role(
            tenant=tenant.id, client=daemon.app_id, resource=app, role="Orders.Read.All"
        )
    yield Setup(
        platform,
        clock,
        tenant.id,
        api.app_id,
        "api://orders",
        "api://legacy",
        daemon.app_id,
        secret,
        TokenForge(platform, tenant.id),
    )
    platform.close()


@pytest.fixture
async def validator(setup: Setup) -> AsyncIterator[TokenValidator]:
    settings = TokenValidationSettings(
        instance=ORIGIN,
        tenant=setup.tenant_id,
        audiences=(setup.api_app_id, setup.api_uri, setup.v1_api_uri),
    )
    transport = httpx.ASGITransport(app=create_cloud_app(setup.platform, portal=False))
    validator = TokenValidator(settings, transport=transport, clock=setup.clock)
    yield validator
    await validator.aclose()


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return tuple(  # type: ignore[return-value]
        json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))) for s in (header, payload)
    )


def pyjwt_decode(setup: Setup, token: str, **options: Any) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token,
        setup.public_key(),
        algorithms=["RS256"],
        audience=setup.api_app_id,
        issuer=f"{ORIGIN}/{setup.tenant_id}/v2.0",
        options={"require": ["exp", "nbf", "iat"], **options},
        leeway=0,
    )
    return claims


async def reason(validator: TokenValidator, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        await validator.validate(token)
    return caught.value.reason


@pytest.fixture(autouse=True)
def _pyjwt_now(monkeypatch: pytest.MonkeyPatch, setup: Setup) -> None:
    """PyJWT reads `datetime.now`; make it the platform's fixed clock."""
    import datetime as dt

    class FrozenDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> FrozenDatetime:  # type: ignore[override]
            return cls.fromtimestamp(setup.clock.now(), tz)

    monkeypatch.setattr(jwt.api_jwt, "datetime", FrozenDatetime)


# -- key="tenant": what the token service would issue --------------------------------------------


async def test_a_tenant_signed_token_is_accepted_by_both_oracles(
    setup: Setup, validator: TokenValidator
) -> None:
    token = setup.forge.forge(audience=setup.api_uri, client_id=setup.daemon_app_id)
    claims = pyjwt_decode(setup, token)
    assert claims["roles"] == ["Orders.Read.All"]
    principal = await validator.validate(token)
    assert principal.is_app
    assert principal.roles == {"Orders.Read.All"}
    assert principal.client_id == setup.daemon_app_id


async def test_a_forged_token_differs_from_an_issued_one_only_in_random_claims(
    setup: Setup,
) -> None:
    transport = httpx.ASGITransport(app=create_cloud_app(setup.platform, portal=False))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        response = await client.post(
            f"/{setup.tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": setup.daemon_app_id,
                "client_secret": setup.secret,
                "scope": f"{setup.api_uri}/.default",
            },
        )
    issued_header, issued = parts(response.json()["access_token"])
    forged_header, forged = parts(
        setup.forge.forge(audience=setup.api_uri, client_id=setup.daemon_app_id)
    )
    assert forged_header == issued_header
    assert list(forged) == list(issued)  # the same claims, in Entra's order
    assert {k: v for k, v in forged.items() if k not in RANDOM_CLAIMS} == {
        k: v for k, v in issued.items() if k not in RANDOM_CLAIMS
    }


def test_the_v2_claim_names_are_those_of_a_captured_entra_token(setup: Setup) -> None:
    captured = json.loads((CAPTURES / "token-claims-client-credentials.json").read_text())
    # The capture's client held no role of its resource; Entra then omits `roles`.
    header, claims = parts(setup.forge.forge(audience=setup.api_uri, roles=[]))
    assert sorted(claims) == sorted(captured["claimNames"])
    assert sorted(header) == sorted(k for k, v in captured["header"].items() if v is not None)
    assert claims["ver"] == captured["structural"]["ver"]


async def test_the_resource_decides_v1_and_the_token_looks_like_entras_v1(
    setup: Setup, validator: TokenValidator
) -> None:
    token = setup.forge.forge(audience=setup.v1_api_uri, client_id=setup.daemon_app_id)
    header, claims = parts(token)
    assert header["x5t"] == header["kid"]
    assert claims["ver"] == "1.0"
    assert claims["aud"] == setup.v1_api_uri
    assert claims["iss"] == claims["idp"] == f"{ORIGIN}/{setup.tenant_id}/"
    assert claims["appid"] == setup.daemon_app_id
    assert "azp" not in claims
    principal = await validator.validate(token)
    assert principal.version == "1.0"
    assert principal.roles == {"Orders.Read.All"}


def test_version_can_be_forced_and_graph_tokens_are_v1(setup: Setup) -> None:
    _, claims = parts(setup.forge.forge(audience=setup.api_uri, version=1))
    assert claims["ver"] == "1.0"
    _, graph = parts(setup.forge.forge(audience="https://graph.microsoft.com"))
    assert graph["ver"] == "1.0"
    assert graph["idtyp"] == "app"
    assert graph["aud"] in ("https://graph.microsoft.com", MICROSOFT_GRAPH_APP_ID)


def test_an_unregistered_audience_is_named_as_given(setup: Setup) -> None:
    _, claims = parts(setup.forge.forge(audience="api://nowhere"))
    assert claims["aud"] == "api://nowhere"
    assert claims["ver"] == "2.0"
    assert "roles" not in claims


# -- what the caller changes ---------------------------------------------------------------------


async def test_expired_moves_every_time_claim(setup: Setup, validator: TokenValidator) -> None:
    token = setup.forge.forge(audience=setup.api_uri, client_id=setup.daemon_app_id, expired=True)
    _, claims = parts(token)
    now = setup.clock.now()
    assert claims["exp"] == now - 3600
    assert claims["exp"] - claims["iat"] == 3900
    assert claims["nbf"] == claims["iat"]
    with pytest.raises(jwt.ExpiredSignatureError):
        pyjwt_decode(setup, token)
    assert await reason(validator, token) == "expired"
    _, recent = parts(setup.forge.forge(audience=setup.api_uri, expired=30))
    assert recent["exp"] == now - 30


async def test_issuer_audience_claims_and_headers_are_replaced_or_omitted(
    setup: Setup, validator: TokenValidator
) -> None:
    forge = setup.forge
    wrong_issuer = forge.forge(audience=setup.api_uri, issuer="https://evil.example/v2.0")
    with pytest.raises(jwt.InvalidIssuerError):
        pyjwt_decode(setup, wrong_issuer)
    wrong_audience = forge.forge(
        audience=setup.api_uri, client_id=setup.daemon_app_id, claims={"aud": "api://other"}
    )
    with pytest.raises(jwt.InvalidAudienceError):
        pyjwt_decode(setup, wrong_audience)
    assert await reason(validator, wrong_audience) == "audience_mismatch"
    no_roles = forge.forge(
        audience=setup.api_uri, client_id=setup.daemon_app_id, claims={"roles": OMIT}
    )
    assert "roles" not in parts(no_roles)[1]
    assert await reason(validator, no_roles) == "no_scp_or_roles"
    no_kid = forge.forge(audience=setup.api_uri, headers={"kid": OMIT, "jku": "https://x"})
    header, _ = parts(no_kid)
    assert "kid" not in header
    assert header["jku"] == "https://x"
    assert await reason(validator, no_kid) == "kid_missing"


# -- the forgeries --------------------------------------------------------------------------------


async def test_a_foreign_key_fails_both_oracles(setup: Setup, validator: TokenValidator) -> None:
    token = setup.forge.forge(audience=setup.api_uri, client_id=setup.daemon_app_id, key="foreign")
    assert parts(token)[0]["kid"] == foreign_key().kid != setup.forge.signing_key().kid
    with pytest.raises(jwt.InvalidSignatureError):
        pyjwt_decode(setup, token)
    # PyJWT with the foreign key itself: the token is otherwise valid.
    jwt.decode(
        token,
        foreign_key().private_key.public_key(),
        algorithms=["RS256"],
        audience=setup.api_app_id,
    )
    assert await reason(validator, token) == "kid_unknown"
    same_kid = setup.forge.forge(
        audience=setup.api_uri, key="foreign", headers={"kid": setup.forge.signing_key().kid}
    )
    assert await reason(validator, same_kid) == "signature_invalid"


async def test_alg_none_has_an_empty_signature_and_fails_both_oracles(
    setup: Setup, validator: TokenValidator
) -> None:
    token = setup.forge.forge(audience=setup.api_uri, client_id=setup.daemon_app_id, key="none")
    assert token.endswith(".")
    assert parts(token)[0]["alg"] == "none"
    with pytest.raises(jwt.InvalidAlgorithmError):
        pyjwt_decode(setup, token)
    # A validator that skips the signature reads it as a valid token: that is the attack.
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == setup.api_app_id
    assert await reason(validator, token) == "signature_missing"  # checked before the alg


@pytest.mark.parametrize("form", ["pem", "der", "jwk"])
async def test_hs256_keyed_with_the_public_key_fails_both_oracles(
    setup: Setup, validator: TokenValidator, form: Any
) -> None:
    token = setup.forge.forge(
        audience=setup.api_uri, key="hs256-with-public-key", public_key_form=form
    )
    assert parts(token)[0]["alg"] == "HS256"
    with pytest.raises(jwt.InvalidAlgorithmError):
        pyjwt_decode(setup, token)
    secret = public_key_bytes(setup.public_key(), form)
    # PyJWT ≥ 2.13 refuses every spelling of a public key as an HMAC secret (CVE-2022-29217,
    # CVE-2026-48526), so the MAC is checked by recomputing it.
    with pytest.raises(jwt.InvalidKeyError):
        jwt.decode(token, secret, algorithms=["HS256"], audience=setup.api_app_id)
    assert hmac_matches(token, secret)
    assert await reason(validator, token) == "alg_not_allowed"


def hmac_matches(token: str, secret: bytes) -> bool:
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.urlsafe_b64decode(signature + "="), expected)


def test_hs256_with_an_empty_key_is_an_hmac_over_nothing(setup: Setup) -> None:
    token = setup.forge.forge(audience=setup.api_uri, key="hs256-with-empty-key")
    assert parts(token)[0]["alg"] == "HS256"
    assert hmac_matches(token, b"")
    assert not hmac_matches(token, b"x")
