"""An authority on an httpx.MockTransport: discovery (v2, v1), a JWKS, and a token minter.

Tokens are signed with tenantlab.keys.jose keys; negative cases use a second ("evil") key that
the authority never publishes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tenantlab.apiauth import TokenValidationSettings, TokenValidator
from tenantlab.clock import FixedClock
from tenantlab.ids import b64url
from tenantlab.keys import SigningKeyMaterial

INSTANCE = "https://login.test"
TENANT = "7a1c2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
OTHER_TENANT = "0b9a8c7d-6e5f-4d3c-8b2a-1f0e9d8c7b6a"
API_CLIENT_ID = "1a1b1c1d-2e2f-4a3b-8c4d-5e5f5a5b5c5d"
API_APP_ID_URI = f"api://{API_CLIENT_ID}"
DAEMON_CLIENT_ID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
DAEMON_SP_ID = "12345678-1234-4234-8234-123456789abc"
USER_ID = "99999999-8888-4777-8666-555555555555"
ISSUER_V2 = f"{INSTANCE}/{TENANT}/v2.0"
ISSUER_V1 = f"https://sts.windows.net/{TENANT}/"
NOW = 1_800_000_000


@dataclass
class FakeAuthority:
    """Serves metadata for INSTANCE/TENANT (and 'organizations'); records every request."""

    keys: list[dict[str, Any]]
    requests: list[str] = field(default_factory=list)
    failing: bool = False
    serve_v1: bool = True

    def jwks_fetches(self) -> int:
        return sum(1 for url in self.requests if url.endswith("/discovery/v2.0/keys"))

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.requests.append(url)
        if self.failing:
            return httpx.Response(503, text="down")
        for tenant in (TENANT, "organizations"):
            issuer_tenant = TENANT if tenant == TENANT else "{tenantid}"
            base = f"{INSTANCE}/{tenant}"
            if url == f"{base}/v2.0/.well-known/openid-configuration":
                return httpx.Response(
                    200,
                    json={
                        "issuer": f"{INSTANCE}/{issuer_tenant}/v2.0",
                        "jwks_uri": f"{base}/discovery/v2.0/keys",
                    },
                )
            if url == f"{base}/.well-known/openid-configuration" and self.serve_v1:
                return httpx.Response(
                    200,
                    json={
                        "issuer": f"https://sts.windows.net/{issuer_tenant}/",
                        "jwks_uri": f"{base}/discovery/keys",
                    },
                )
            if url == f"{base}/discovery/v2.0/keys":
                return httpx.Response(200, json={"keys": self.keys})
        return httpx.Response(404, json={"error": "not_found"})


def make_validator(authority: FakeAuthority, clock: FixedClock, **overrides: Any) -> TokenValidator:
    options: dict[str, Any] = {
        "instance": INSTANCE,
        "tenant": TENANT,
        "audiences": (API_CLIENT_ID, API_APP_ID_URI),
    }
    options.update(overrides)
    return TokenValidator(
        TokenValidationSettings(**options),
        transport=httpx.MockTransport(authority.handler),
        clock=clock,
    )


def app_claims(**overrides: Any) -> dict[str, Any]:
    """A v2 app-only token as Entra issues it for the daemon (client credentials)."""
    claims: dict[str, Any] = {
        "aud": API_CLIENT_ID,
        "iss": ISSUER_V2,
        "iat": NOW - 60,
        "nbf": NOW - 60,
        "exp": NOW + 3540,
        "azp": DAEMON_CLIENT_ID,
        "azpacr": "1",
        "idtyp": "app",
        "oid": DAEMON_SP_ID,
        "roles": ["ToDoList.Read.All", "ToDoList.ReadWrite.All"],
        "sub": DAEMON_SP_ID,
        "tid": TENANT,
        "uti": "AbCdEfGhIjKlMnOpQrStUv",
        "ver": "2.0",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def user_claims(**overrides: Any) -> dict[str, Any]:
    """A v2 delegated token for a user (resource owner password grant)."""
    base = app_claims(
        idtyp=None, roles=None, oid=USER_ID, sub="user-pairwise-subject", scp="ToDoList.Read"
    )
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def v1_claims(**overrides: Any) -> dict[str, Any]:
    base = app_claims(aud=API_APP_ID_URI, iss=ISSUER_V1, ver="1.0", azp=None, azpacr=None)
    base["appid"] = DAEMON_CLIENT_ID
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def raw_token(header: dict[str, Any], claims: dict[str, Any] | str, signature: bytes) -> str:
    """A token with arbitrary header, payload and signature bytes (for forgeries)."""
    payload = claims if isinstance(claims, str) else json.dumps(claims, separators=(",", ":"))
    return ".".join(
        [
            b64url(json.dumps(header, separators=(",", ":")).encode()),
            b64url(payload.encode()),
            b64url(signature),
        ]
    )


Minter = Callable[..., str]


def sign_custom(
    key: SigningKeyMaterial,
    header: dict[str, Any],
    claims: dict[str, Any] | str,
    *,
    pss: bool = False,
) -> str:
    """RS256 (or PS256) over an arbitrary header and payload, with `key`'s private key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    payload = claims if isinstance(claims, str) else json.dumps(claims, separators=(",", ":"))
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(payload.encode())
    )
    pad: padding.AsymmetricPadding = (
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        if pss
        else padding.PKCS1v15()
    )
    signature = key.private_key.sign(signing_input.encode(), pad, hashes.SHA256())
    return signing_input + "." + b64url(signature)
