"""Issue 11, item 1: every crafted token an attacker sent to Graph gets Graph's 401, never a 500.

Unsigned ones used to crash Graph's own parser (unhashable `aud`, RecursionError); validly
signed ones used to be accepted (`crit`, duplicate `roles`, a padded signature, `exp` NaN,
Infinity or 1e308), and of two Authorization headers the last was used. Graph now protects itself
with `tenantlab.apiauth` (the one verifier, `tenantlab.jws`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tenantlab.ids import MICROSOFT_GRAPH_RESOURCE, b64url, b64url_decode
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

Mint = Callable[..., str]


def _b64(text: str) -> str:
    return b64url(text.encode())


def signed_raw(platform: Platform, tenant: Tenant, header: str, payload: str) -> str:
    """A token over arbitrary header and payload text, signed by the tenant's real active key."""
    key = platform.keys.active(tenant.id)
    signing_input = f"{_b64(header)}.{_b64(payload)}"
    signature = key.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def good_parts(mint: Mint) -> tuple[dict[str, Any], dict[str, Any]]:
    header_b64, payload_b64, _ = mint(["User.Read.All"]).split(".")
    return json.loads(b64url_decode(header_b64)), json.loads(b64url_decode(payload_b64))


def get_users(client: Any, token: str) -> Any:
    return client.get("/v1.0/users", headers={"Authorization": f"Bearer {token}"})


def refused(response: Any) -> dict[str, Any]:
    """Graph's 401 envelope (the shape itself is checked in test_graph_auth.py)."""
    assert response.status_code == 401, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert "Traceback" not in response.text
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm=""')
    return error


UNSIGNED = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}


@pytest.mark.parametrize(
    "aud", [[MICROSOFT_GRAPH_RESOURCE], {}, [], [[MICROSOFT_GRAPH_RESOURCE]], {"a": 1}]
)
def test_an_audience_that_is_not_a_string_is_401_not_500(client: Any, aud: Any) -> None:
    token = f"{UNSIGNED}.{_b64(json.dumps({'aud': aud}))}.AAAA"
    refused(get_users(client, token))


def test_the_exact_token_of_the_report_is_401(client: Any) -> None:
    token = "eyJhbGciOiJub25lIn0.eyJhdWQiOiBbImh0dHBzOi8vZ3JhcGgubWljcm9zb2Z0LmNvbSJdfQ.AAAA"
    refused(get_users(client, token))


@pytest.mark.parametrize("where", ["header", "payload"])
def test_5000_nested_arrays_are_401_not_a_recursion_error(client: Any, where: str) -> None:
    nested = _b64("[" * 5000 + "]" * 5000)
    rs256 = _b64('{"alg":"RS256","kid":"k"}')
    token = f"{nested}.e30.AAAA" if where == "header" else f"{rs256}.{nested}.AAAA"
    # 5000 '[' base64url-encode to 6,668 characters, under the 16 KiB cap: parsed, then refused.
    refused(get_users(client, token))


def test_a_10_mb_token_is_refused_before_anything_is_decoded(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tenantlab.jws

    decoded: list[str] = []
    original = tenantlab.jws.b64url_decode_strict

    def spy(segment: str, what: str, **kwargs: Any) -> bytes:
        decoded.append(what)
        return original(segment, what, **kwargs)

    monkeypatch.setattr(tenantlab.jws, "b64url_decode_strict", spy)
    rs256 = _b64('{"alg":"RS256"}')
    huge = f"{rs256}.{'A' * 10_000_000}.AAAA"
    error = refused(get_users(client, huge))
    assert error["message"] == "CompactToken parsing failed with error code: 80049217"
    assert decoded == []


def test_a_crit_header_is_refused_even_when_validly_signed(
    client: Any, platform: Platform, tenant: Tenant, mint: Mint
) -> None:
    header, claims = good_parts(mint)
    header.update({"crit": ["exp-ext"], "exp-ext": 1})
    token = signed_raw(platform, tenant, json.dumps(header), json.dumps(claims))
    refused(get_users(client, token))


def test_duplicate_roles_members_are_refused_even_when_validly_signed(
    client: Any, platform: Platform, tenant: Tenant, mint: Mint
) -> None:
    header, claims = good_parts(mint)
    claims.pop("roles")
    body = json.dumps(claims)[:-1] + ', "roles": [], "roles": ["User.ReadWrite.All"]}'
    token = signed_raw(platform, tenant, json.dumps(header), body)
    refused(get_users(client, token))


@pytest.mark.parametrize("pad", ["=", "=="])
def test_a_padded_signature_is_refused(client: Any, mint: Mint, pad: str) -> None:
    token = mint(["User.Read.All"])
    assert get_users(client, token).status_code == 200
    refused(get_users(client, token + pad))


@pytest.mark.parametrize("exp", ["NaN", "Infinity", "-Infinity", "1e308", "1e400", "1E999"])
def test_a_non_finite_or_absurd_exp_is_refused_even_when_validly_signed(
    client: Any, platform: Platform, tenant: Tenant, mint: Mint, exp: str
) -> None:
    header, claims = good_parts(mint)
    claims["exp"] = 0
    body = json.dumps(claims).replace('"exp": 0', f'"exp": {exp}')
    token = signed_raw(platform, tenant, json.dumps(header), body)
    refused(get_users(client, token))


@pytest.mark.parametrize("valid_first", [True, False])
def test_two_authorization_headers_are_401_not_the_last_one(
    client: Any, mint: Mint, valid_first: bool
) -> None:
    valid = f"Bearer {mint(['User.Read.All'])}"
    other = "Bearer not-a-token"
    pair = [valid, other] if valid_first else [other, valid]
    response = client.get("/v1.0/users", headers=[("Authorization", value) for value in pair])
    refused(response)


def test_signature_is_checked_before_claims(client: Any, mint: Mint) -> None:
    """A forged token learns nothing about its claims: only a valid signature earns the detail."""
    from tenantlab.keys.jose import generate_signing_key

    genuine = mint(["User.Read.All"], aud="api://elsewhere")
    foreign_signature = generate_signing_key().sign({"x": 1}).split(".")[2]
    forged = ".".join([*genuine.split(".")[:2], foreign_signature])
    assert refused(get_users(client, forged))["message"] == "Access token validation failure."
    invalid_audience = "Access token validation failure. Invalid audience."
    assert refused(get_users(client, genuine))["message"] == invalid_audience


def test_another_spelling_of_the_tenant_id_is_401_and_creates_no_key(
    client: Any, platform: Platform, tenant: Tenant, mint: Mint
) -> None:
    """Found by the fuzz test: an upper-cased `tid` (and issuer) made the key store create a key."""
    from sqlalchemy import func, select

    from tenantlab.storage.schema import SigningKey

    def keys() -> int:
        with platform.database.session() as session:
            return int(session.scalar(select(func.count()).select_from(SigningKey)) or 0)

    mint(["User.Read.All"])  # the tenant's first key exists
    before = keys()
    upper = tenant.id.upper()
    token = mint(["User.Read.All"], tid=upper, iss=f"{platform.settings.origin}/{upper}/")
    refused(get_users(client, token))
    assert keys() == before
