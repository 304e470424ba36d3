"""Issue 11, item 1 at the ToDo API: signed tokens the old parser let through, or crashed on.

`json.loads` accepted `NaN`/`Infinity` (an `exp` of NaN compares false with everything, so the
token never expired) and a list `typ` was an unhashable set lookup (500). The one verifier
(`tenantlab.jws`, used through apiauth) refuses both with the RFC 6750 401.
"""

from __future__ import annotations

import json

import httpx
import pytest
from apiauth.fakes import app_claims, sign_custom

from tenantlab.keys import SigningKeyMaterial

pytestmark = pytest.mark.anyio


def _signed(key: SigningKeyMaterial, header: dict[str, object], payload: str) -> str:
    return sign_custom(key, header, payload)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e400", "1e308"])
@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
async def test_non_finite_or_absurd_time_claims_are_401(
    api: httpx.AsyncClient, signing_key: SigningKeyMaterial, claim: str, literal: str
) -> None:
    claims = app_claims()
    claims[claim] = 0
    payload = json.dumps(claims).replace(f'"{claim}": 0', f'"{claim}": {literal}')
    token = _signed(signing_key, {"alg": "RS256", "kid": signing_key.kid}, payload)
    response = await api.get("/api/todolist", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("typ", [["JWT"], {"a": 1}])
async def test_a_typ_that_is_not_a_string_is_401_not_500(
    api: httpx.AsyncClient, signing_key: SigningKeyMaterial, typ: object
) -> None:
    header = {"alg": "RS256", "kid": signing_key.kid, "typ": typ}
    token = _signed(signing_key, header, json.dumps(app_claims()))
    response = await api.get("/api/todolist", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_the_same_token_with_ordinary_numbers_is_accepted(
    api: httpx.AsyncClient, signing_key: SigningKeyMaterial
) -> None:
    token = _signed(signing_key, {"alg": "RS256", "kid": signing_key.kid}, json.dumps(app_claims()))
    response = await api.get("/api/todolist", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
