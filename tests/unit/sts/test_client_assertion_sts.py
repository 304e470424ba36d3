"""Client assertions through the token endpoint in-process (fixed clock): dispatch between the
certificate and the federated check, the acr claims, and the errors on the wire."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sts_support import ORIGIN, AsgiClient, StsSetup, decode_jwt

from tenantlab.ids import FEDERATION_AUDIENCE, b64url
from tenantlab.sts.app import StsApp
from tenantlab.sts.clientauth import JWT_BEARER_ASSERTION
from tenantlab.sts.federated_keys import FederatedKeyCache, FetchFailed

ISSUER = "https://issuer.example/cluster"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def certificate(sts: StsSetup, key: rsa.RSAPrivateKey) -> str:
    """Register a certificate valid around the fixed clock; return its x5t."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "daemon")])
    now = dt.datetime.fromtimestamp(sts.clock.now(), dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    sts.platform.directory.add_certificate(
        tenant=sts.tenant.id, app=sts.daemon_app_id, certificate_pem_or_der=der
    )
    return b64url(hashlib.sha1(der).digest())


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def assertion(sts: StsSetup, key: rsa.RSAPrivateKey, header: dict[str, Any], **claims: Any) -> str:
    now = int(sts.clock.now())
    payload: dict[str, Any] = {
        "aud": f"https://localhost:5443/{sts.tenant.id}/oauth2/v2.0/token",
        "iss": sts.daemon_app_id,
        "sub": sts.daemon_app_id,
        "iat": now,
        "exp": now + 600,
    }
    payload.update(claims)
    return jwt.encode(payload, _pem(key), algorithm=header.pop("alg", "RS256"), headers=header)


def assertion_form(sts: StsSetup, token: str, **changes: Any) -> dict[str, str]:
    return sts.form(
        client_secret=None,
        client_assertion_type=JWT_BEARER_ASSERTION,
        client_assertion=token,
        **changes,
    )


def test_certificate_assertion_gets_a_token_with_azpacr_2(
    sts: StsSetup, key: rsa.RSAPrivateKey, certificate: str
) -> None:
    token = assertion(sts, key, {"x5t": certificate})
    response = sts.token(data=assertion_form(sts, token))
    assert response.status_code == 200, response.text
    _, claims = decode_jwt(response.json()["access_token"])
    assert claims["azpacr"] == "2"
    assert claims["azp"] == sts.daemon_app_id


def test_v1_endpoint_with_a_certificate_gets_appidacr_2(
    sts: StsSetup, key: rsa.RSAPrivateKey, certificate: str
) -> None:
    token = assertion(
        sts, key, {"x5t": certificate}, aud=f"https://localhost:5443/{sts.domain}/oauth2/token"
    )
    form = assertion_form(sts, token, scope=None, resource="https://graph.microsoft.com")
    response = sts.client.post(f"/{sts.domain}/oauth2/token", data=form)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resource"] == "https://graph.microsoft.com"
    assert isinstance(body["expires_on"], str)
    _, claims = decode_jwt(body["access_token"])
    assert claims["appidacr"] == "2"
    assert claims["ver"] == "1.0"


def test_an_assertion_that_has_expired_by_the_clock_is_700024(
    sts: StsSetup, key: rsa.RSAPrivateKey, certificate: str
) -> None:
    token = assertion(sts, key, {"x5t": certificate})
    sts.clock.advance(600 + 301)
    response = sts.token(data=assertion_form(sts, token))
    assert response.status_code == 401
    body = response.json()
    assert (body["error"], body["error_codes"]) == ("invalid_client", [700024])
    assert token not in response.text


def test_a_re_sent_assertion_is_accepted_until_its_window_closes(
    sts: StsSetup, key: rsa.RSAPrivateKey, certificate: str
) -> None:
    token = assertion(sts, key, {"x5t": certificate})
    for _ in range(3):  # the same jti, as MSAL re-sends it
        assert sts.token(data=assertion_form(sts, token)).status_code == 200
    sts.clock.advance(600 + 299)
    assert sts.token(data=assertion_form(sts, token)).status_code == 200
    sts.clock.advance(2)  # past exp + the 5-minute skew: remembered or not, it is refused
    response = sts.token(data=assertion_form(sts, token))
    assert response.json()["error_codes"] == [700024]


def test_an_accepted_assertion_is_refused_once_its_certificate_is_removed(
    sts: StsSetup, key: rsa.RSAPrivateKey, certificate: str
) -> None:
    token = assertion(sts, key, {"x5t": certificate})
    assert sts.token(data=assertion_form(sts, token)).status_code == 200
    directory = sts.platform.directory
    app = directory.get_application(tenant=sts.tenant.id, app=sts.daemon_app_id)
    (registered,) = directory.key_credentials(app.id)
    directory.remove_certificate(
        tenant=sts.tenant.id, app=sts.daemon_app_id, key_id=registered.key_id
    )
    response = sts.token(data=assertion_form(sts, token))
    assert response.status_code == 401
    assert response.json()["error_codes"] == [700027]


def test_a_removed_certificate_no_longer_signs_for_the_app(
    sts: StsSetup, key: rsa.RSAPrivateKey, certificate: str
) -> None:
    directory = sts.platform.directory
    app = directory.get_application(tenant=sts.tenant.id, app=sts.daemon_app_id)
    (registered,) = directory.key_credentials(app.id)
    directory.remove_certificate(
        tenant=sts.tenant.id, app=sts.daemon_app_id, key_id=registered.key_id
    )
    response = sts.token(data=assertion_form(sts, assertion(sts, key, {"x5t": certificate})))
    assert response.status_code == 401
    assert response.json()["error_codes"] == [700027]


class Issuer:
    """Discovery + JWKS of an external issuer, served from memory (no sockets in unit tests)."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        numbers = key.public_key().public_numbers()
        self.jwks = {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": "k1",
                    "n": b64url(numbers.n.to_bytes(256, "big")),
                    "e": b64url(numbers.e.to_bytes(3, "big")),
                }
            ]
        }

    async def fetch(self, url: str) -> bytes:
        if url == ISSUER + "/.well-known/openid-configuration":
            return json.dumps({"issuer": ISSUER, "jwks_uri": ISSUER + "/jwks"}).encode()
        if url == ISSUER + "/jwks":
            return json.dumps(self.jwks).encode()
        raise FetchFailed(f"GET {url} answered HTTP 404")


@pytest.fixture
def federated(sts: StsSetup, key: rsa.RSAPrivateKey) -> StsSetup:
    # The issuer's keys come from an in-memory issuer, injected into this STS instance only.
    sts.app = StsApp(sts.platform, federated_keys=FederatedKeyCache(Issuer(key).fetch, sts.clock))
    sts.client = AsgiClient(sts.app, ORIGIN)
    sts.platform.directory.add_federated_credential(
        tenant=sts.tenant.id,
        app=sts.daemon_app_id,
        name="cluster",
        issuer=ISSUER,
        subject="system:serviceaccount:default:daemon",
    )
    return sts


def _federated_token(sts: StsSetup, key: rsa.RSAPrivateKey, **claims: Any) -> str:
    values = {
        "iss": ISSUER,
        "sub": "system:serviceaccount:default:daemon",
        "aud": FEDERATION_AUDIENCE,
        **claims,
    }
    return assertion(sts, key, {"kid": "k1"}, **values)


def test_federated_assertion_gets_a_token_with_azpacr_2(
    federated: StsSetup, key: rsa.RSAPrivateKey
) -> None:
    sts = federated
    response = sts.token(data=assertion_form(sts, _federated_token(sts, key)))
    assert response.status_code == 200, response.text
    _, claims = decode_jwt(response.json()["access_token"])
    assert claims["azpacr"] == "2"


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"iss": "https://other.example"}, 700211),
        ({"sub": "system:serviceaccount:default:other"}, 700213),
        ({"aud": "api://AzureADTokenExchange2"}, 700212),
    ],
)
def test_federated_mismatches_on_the_wire(
    federated: StsSetup, key: rsa.RSAPrivateKey, claims: dict[str, Any], code: int
) -> None:
    sts = federated
    response = sts.token(data=assertion_form(sts, _federated_token(sts, key, **claims)))
    assert response.status_code == 401
    body = response.json()
    assert (body["error"], body["error_codes"]) == ("invalid_client", [code])


def test_an_assertion_issued_by_another_client_is_treated_as_federated(
    sts: StsSetup, key: rsa.RSAPrivateKey, certificate: str
) -> None:
    """As in Entra: only iss == client_id makes a certificate assertion; anything else is an
    external issuer, unknown here (700211) — never a certificate check for someone else."""
    other = "5b5b5b5b-1111-4222-8333-444444444444"
    token = assertion(sts, key, {"x5t": certificate}, iss=other, sub=other)
    response = sts.token(data=assertion_form(sts, token))
    assert response.status_code == 401
    assert response.json()["error_codes"] == [700211]
