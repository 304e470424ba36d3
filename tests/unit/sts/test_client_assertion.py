"""Certificate client assertions: the four shapes real clients send, and everything refused."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tenantlab.ids import b64url
from tenantlab.sts.client_assertion import (
    AudiencePolicy,
    RegisteredCertificate,
    parse_assertion,
    registered_certificate,
    verify_certificate_assertion,
)
from tenantlab.sts.errors import StsError

NOW = 1_800_000_000.0
CLIENT_ID = "6f1c2d3e-1111-4222-8333-944455556666"
TENANT_ID = "0d6a7f3b-aaaa-4bbb-8ccc-1234567890ab"
ORIGIN = "https://localhost:5443"
TOKEN_URL = f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/token"

POLICY = AudiencePolicy.for_tenant(
    origins=[ORIGIN],
    tenant_aliases=[TENANT_ID, "contoso.onmicrosoft.com"],
    issuers=[f"{ORIGIN}/{TENANT_ID}/v2.0"],
)


@dataclass
class ClientCert:
    key: rsa.RSAPrivateKey
    der: bytes

    @property
    def x5t(self) -> str:
        return b64url(hashlib.sha1(self.der).digest())

    @property
    def x5t_s256(self) -> str:
        return b64url(hashlib.sha256(self.der).digest())

    def registered(
        self, start: float = NOW - 86400, end: float = NOW + 86400
    ) -> RegisteredCertificate:
        return RegisteredCertificate.from_der("key-" + self.x5t[:6], self.der, start, end)


def make_cert(bits: int = 2048) -> ClientCert:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "daemon")])
    now = dt.datetime.fromtimestamp(NOW, dt.UTC)
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
    return ClientCert(key, cert.public_bytes(serialization.Encoding.DER))


@pytest.fixture(scope="module")
def cert() -> ClientCert:
    return make_cert()


@pytest.fixture(scope="module")
def other() -> ClientCert:
    return make_cert()


def _segment(value: dict[str, Any], pad: bool) -> str:
    raw = base64.urlsafe_b64encode(json.dumps(value).encode()).decode()
    return raw if pad else raw.rstrip("=")


def sign(
    key: rsa.RSAPrivateKey,
    header: dict[str, Any],
    payload: dict[str, Any],
    *,
    pad: bool = False,
    salt: int = 32,
) -> str:
    """A compact JWS as the clients make it (optionally with '='-padded segments, like aio)."""
    signing_input = f"{_segment(header, pad)}.{_segment(payload, pad)}".encode()
    alg = header.get("alg")
    if alg == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt)
        signature = key.sign(signing_input, pss, hashes.SHA256())
    else:
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    encoded = base64.urlsafe_b64encode(signature).decode()
    return signing_input.decode() + "." + (encoded if pad else encoded.rstrip("="))


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "aud": TOKEN_URL,
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "jti": "9c1b0a4e-0000-4000-8000-000000000001",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 600,
    }
    for name, value in overrides.items():
        if value is None:
            base.pop(name, None)
        else:
            base[name] = value
    return base


def check(
    token: str, certs: list[RegisteredCertificate], *, now: float = NOW, client_id: str = CLIENT_ID
) -> str:
    match = verify_certificate_assertion(
        parse_assertion(token), client_id=client_id, certificates=certs, audience=POLICY, now=now
    )
    return match.key_id


def refused(call: Callable[[], object], code: int = 700027) -> StsError:
    with pytest.raises(StsError) as caught:
        call()
    assert caught.value.code == code
    assert caught.value.error == "invalid_client"
    assert caught.value.status == 401
    return caught.value


# -- the four shapes of client-compatibility.md §7 ------------------------------------------------


def test_msal_python_thumbprint_shape_rs256_padded_x5t_fractional_times_no_nbf(
    cert: ClientCert,
) -> None:
    header = {"alg": "RS256", "typ": "JWT", "x5t": cert.x5t + "="}
    payload = claims(nbf=None, iat=NOW - 0.76, exp=NOW + 599.24)
    assert len(header["x5t"]) == 28
    assert check(sign(cert.key, header, payload), [cert.registered()]) == cert.registered().key_id


def test_msal_python_pfx_shape_ps256_x5c_with_newlines(cert: ClientCert) -> None:
    body = base64.b64encode(cert.der).decode()
    wrapped = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    header = {"alg": "PS256", "typ": "JWT", "x5t#S256": cert.x5t_s256 + "=", "x5c": [wrapped]}
    token = sign(cert.key, header, claims(nbf=None, iat=NOW + 0.067, exp=NOW + 600.067))
    assert check(token, [cert.registered()])


def test_msal_node_shapes_unpadded_thumbprints_integer_times(cert: ClientCert) -> None:
    payload = claims(iat=int(NOW) - 1, nbf=int(NOW), exp=int(NOW) + 600)
    pss = {"alg": "PS256", "typ": "JWT", "x5t#S256": cert.x5t_s256}
    pkcs = {"alg": "RS256", "typ": "JWT", "x5t": cert.x5t}
    assert check(sign(cert.key, pss, payload), [cert.registered()])
    assert check(sign(cert.key, pkcs, payload), [cert.registered()])


def test_azure_identity_aio_shape_padded_segments_no_iat(cert: ClientCert) -> None:
    header = {"typ": "JWT", "alg": "PS256", "x5t#S256": cert.x5t_s256 + "="}
    token = sign(cert.key, header, claims(iat=None, exp=NOW + 1800), pad=True)
    assert "=" in token
    assert check(token, [cert.registered()])


@pytest.mark.parametrize("salt", [32, padding.PSS.DIGEST_LENGTH, padding.PSS.MAX_LENGTH])
def test_ps256_any_salt_length(cert: ClientCert, salt: int) -> None:
    header = {"alg": "PS256", "x5t#S256": cert.x5t_s256}
    assert check(sign(cert.key, header, claims(), salt=salt), [cert.registered()])


def test_same_jti_is_accepted_again_within_its_lifetime(cert: ClientCert) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims())
    registered = [cert.registered()]
    assert check(token, registered, now=NOW) == check(token, registered, now=NOW + 540)


def test_the_right_certificate_is_chosen_among_several(cert: ClientCert, other: ClientCert) -> None:
    token = sign(other.key, {"alg": "RS256", "x5t": other.x5t}, claims())
    assert check(token, [cert.registered(), other.registered()]) == other.registered().key_id


def test_kid_with_the_portals_hex_thumbprint_names_the_key(cert: ClientCert) -> None:
    hex_thumbprint = hashlib.sha1(cert.der).hexdigest().upper()
    token = sign(cert.key, {"alg": "RS256", "kid": hex_thumbprint}, claims())
    assert check(token, [cert.registered()])


def test_x5c_alone_names_a_registered_certificate(cert: ClientCert) -> None:
    header = {"alg": "RS256", "x5c": [base64.b64encode(cert.der).decode()]}
    assert check(sign(cert.key, header, claims()), [cert.registered()])


# -- audiences -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "audience",
    [
        TOKEN_URL,
        f"{ORIGIN}/{TENANT_ID.upper()}/oauth2/v2.0/token",
        f"{ORIGIN}/contoso.onmicrosoft.com/oauth2/v2.0/token",
        f"{ORIGIN}/Contoso.OnMicrosoft.com/oauth2/v2.0/token",
        "HTTPS://LOCALHOST:5443/" + TENANT_ID + "/oauth2/v2.0/token",
        f"{ORIGIN}/{TENANT_ID}/oauth2/token",
        f"{ORIGIN}/{TENANT_ID}/v2.0",
        ["https://elsewhere.example/token", TOKEN_URL],
    ],
)
def test_audiences_accepted(cert: ClientCert, audience: Any) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims(aud=audience))
    assert check(token, [cert.registered()])


@pytest.mark.parametrize(
    "audience",
    [
        f"{ORIGIN}/11111111-2222-4333-8444-555555555555/oauth2/v2.0/token",
        f"https://localhost:5444/{TENANT_ID}/oauth2/v2.0/token",
        f"http://localhost:5443/{TENANT_ID}/oauth2/v2.0/token",
        f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/authorize",
        f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/token?x=1",
        f"{ORIGIN}/common/oauth2/v2.0/token",
        f"{ORIGIN}/{TENANT_ID}/V2.0",
        "",
        17,
        ["https://elsewhere.example/token"],
    ],
)
def test_audiences_refused(cert: ClientCert, audience: Any) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims(aud=audience))
    error = refused(lambda: check(token, [cert.registered()]))
    assert "aud" in error.text


# -- identity claims, keys, signatures ----------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "claim"),
    [
        ({"iss": "someone-else"}, "iss"),
        ({"sub": "someone-else"}, "sub"),
        ({"iss": None}, "iss"),
        ({"sub": 5}, "sub"),
    ],
)
def test_issuer_and_subject_must_be_the_client(
    cert: ClientCert, overrides: dict[str, Any], claim: str
) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims(**overrides))
    assert f"({claim})" in refused(lambda: check(token, [cert.registered()])).text


def test_client_id_compares_case_insensitively(cert: ClientCert) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims())
    assert check(token, [cert.registered()], client_id=CLIENT_ID.upper())


def test_unknown_certificate_names_the_thumbprint(cert: ClientCert, other: ClientCert) -> None:
    token = sign(other.key, {"alg": "RS256", "x5t": other.x5t}, claims())
    error = refused(lambda: check(token, [cert.registered()]))
    assert "The key was not found" in error.text
    assert other.x5t in error.text


def test_no_key_selector_at_all_is_refused(cert: ClientCert) -> None:
    token = sign(cert.key, {"alg": "RS256"}, claims())
    assert "not found" in refused(lambda: check(token, [cert.registered()])).text


def test_signature_by_another_key_under_a_registered_thumbprint(
    cert: ClientCert, other: ClientCert
) -> None:
    token = sign(other.key, {"alg": "RS256", "x5t": cert.x5t}, claims())
    assert "signature" in refused(lambda: check(token, [cert.registered()])).text


def test_tampered_payload_fails_the_signature(cert: ClientCert) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims())
    header, _, signature = token.split(".")
    forged = _segment(claims(sub=CLIENT_ID, jti="another"), pad=False)
    refused(lambda: check(f"{header}.{forged}.{signature}", [cert.registered()]))


def test_x5c_that_is_not_the_thumbprinted_certificate(cert: ClientCert, other: ClientCert) -> None:
    header = {"alg": "RS256", "x5t": cert.x5t, "x5c": [base64.b64encode(other.der).decode()]}
    assert (
        "x5c" in refused(lambda: check(sign(cert.key, header, claims()), [cert.registered()])).text
    )


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", "ES256", "", None])
def test_only_rs256_and_ps256(cert: ClientCert, alg: Any) -> None:
    header = {"alg": "RS256", "x5t": cert.x5t}
    token = sign(cert.key, header, claims())
    _, payload, signature = token.split(".")
    forged_header = _segment({"alg": alg, "x5t": cert.x5t}, pad=False)
    assert (
        "algorithm"
        in refused(
            lambda: check(f"{forged_header}.{payload}.{signature}", [cert.registered()])
        ).text
    )


def test_expired_certificate(cert: ClientCert) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims())
    expired = cert.registered(start=NOW - 7200, end=NOW - 1)
    assert "expired" in refused(lambda: check(token, [expired])).text


def test_certificate_not_yet_valid(cert: ClientCert) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims())
    future = cert.registered(start=NOW + 3600, end=NOW + 7200)
    assert "not yet valid" in refused(lambda: check(token, [future])).text


def test_rsa_keys_under_2048_bits_are_refused() -> None:
    weak = make_cert(1024)
    token = sign(weak.key, {"alg": "RS256", "x5t": weak.x5t}, claims())
    assert "2048" in refused(lambda: check(token, [weak.registered()])).text


def test_registered_certificate_cache_reuses_the_loaded_key(cert: ClientCert) -> None:
    first = registered_certificate("k1", cert.der, NOW - 1, NOW + 1)
    assert registered_certificate("k1", cert.der, NOW - 1, NOW + 1) is first
    assert registered_certificate("k1", cert.der, NOW - 1, NOW + 2).end_at == NOW + 2


# -- time ----------------------------------------------------------------------------------------


def test_expired_assertion_is_700024_with_times(cert: ClientCert) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims())
    error = refused(lambda: check(token, [cert.registered()], now=NOW + 600 + 301), 700024)
    assert "not within its valid time range" in error.text
    assert "Current time: " in error.text


def test_clock_skew_of_five_minutes_is_tolerated(cert: ClientCert) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims())
    assert check(token, [cert.registered()], now=NOW + 600 + 299)
    assert check(token, [cert.registered()], now=NOW - 299)


@pytest.mark.parametrize("overrides", [{"nbf": NOW + 400}, {"iat": NOW + 400, "nbf": None}])
def test_assertion_from_the_future_is_700024(cert: ClientCert, overrides: dict[str, Any]) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims(**overrides, exp=NOW + 900))
    refused(lambda: check(token, [cert.registered()]), 700024)


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"exp": None}, "'exp'"),
        ({"exp": str(NOW + 600)}, "not a number"),
        ({"exp": True}, "not a number"),
        ({"iat": "yesterday"}, "not a number"),
        ({"exp": NOW + 7200}, "more than 3600 seconds"),
        ({"exp": float("nan")}, "NaN is not a JSON number"),
        ({"exp": float("inf")}, "Infinity is not a JSON number"),
        ({"exp": 1e308}, "not a valid time"),
        ({"nbf": 10**400}, "not a valid time"),
        ({"iat": -1}, "not a valid time"),
    ],
)
def test_time_claims_that_are_missing_malformed_or_too_long(
    cert: ClientCert, overrides: dict[str, Any], text: str
) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims(**overrides))
    assert text in refused(lambda: check(token, [cert.registered()])).text


# -- malformed input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "..sig",
        "!!!.e30.c2ln",
        "bm90IGpzb24.e30.c2ln",
        "W10.e30.c2ln",
        "e30.e30.",
        "e30.e30." + "A" * 20_000,
        "\udcff.e30.c2ln",
    ],
)
def test_malformed_assertions_get_700027_not_a_crash(text: str) -> None:
    refused(lambda: parse_assertion(text))


def test_deeply_nested_json_is_refused_not_a_crash() -> None:
    nested = b64url(b"[" * 5000 + b"]" * 5000)
    refused(lambda: parse_assertion(f"e30.{nested}.c2ln"))


def test_a_far_future_nbf_is_reported_with_its_time(cert: ClientCert) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims(nbf=2e11, exp=2e11 + 60))
    assert (
        "valid from 8307-10-01T19:33:20Z"
        in refused(lambda: check(token, [cert.registered()]), 700024).text
    )


def test_critical_header_extensions_are_refused(cert: ClientCert) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t, "crit": ["exp"]}, claims())
    assert "critical" in refused(lambda: parse_assertion(token)).text


def test_x5c_that_is_not_a_list_of_base64(cert: ClientCert) -> None:
    for chain in ("MIIB", ["not base64!"], []):
        token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t, "x5c": chain}, claims())
        assert "x5c" in refused(lambda t=token: check(t, [cert.registered()])).text


def test_error_body_is_entras_token_error() -> None:
    with pytest.raises(StsError) as caught:
        parse_assertion("abc")
    body = caught.value.body(trace_id="t", correlation_id="c", now=NOW)
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [700027]
    assert str(body["error_description"]).startswith("AADSTS700027: ")


# -- the one verifier's strictness, where the old assertion parser was lenient (issue 11) --------


def _signed_text(key: rsa.RSAPrivateKey, header: dict[str, Any], payload_text: str) -> str:
    """RS256 over an arbitrary payload text (for JSON that json.dumps would not write)."""
    h = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
    p = base64.urlsafe_b64encode(payload_text.encode()).decode().rstrip("=")
    signature = key.sign(f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{h}.{p}." + base64.urlsafe_b64encode(signature).decode().rstrip("=")


@pytest.mark.parametrize(
    ("replace", "text"),
    [
        (('"jti": "9c1b0a4e-0000-4000-8000-000000000001"', '"jti": NaN'), "NaN"),
        (('"iat": 1800000000.0', '"iat": 1e400'), "overflows"),
        (('"sub": ', '"sub": "someone-else", "sub": '), "twice"),
        (
            ('"jti": "9c1b0a4e-0000-4000-8000-000000000001"', '"x": ' + "[" * 40 + "]" * 40),
            "nested",
        ),
    ],
)
def test_signed_assertions_with_non_i_json_are_refused(
    cert: ClientCert, replace: tuple[str, str], text: str
) -> None:
    payload = json.dumps(claims()).replace(*replace)
    assert payload != json.dumps(claims())
    token = _signed_text(cert.key, {"alg": "RS256", "x5t": cert.x5t}, payload)
    assert text in refused(lambda: check(token, [cert.registered()])).text


@pytest.mark.parametrize("pad", ["=", "===", "===="])
def test_wrong_padding_is_refused_while_exact_padding_is_accepted(
    cert: ClientCert, pad: str
) -> None:
    token = sign(cert.key, {"alg": "PS256", "x5t#S256": cert.x5t_s256}, claims(), pad=True)
    assert check(token, [cert.registered()])  # exact padding: azure-identity aio's shape
    header, payload, signature = sign(
        cert.key, {"alg": "PS256", "x5t#S256": cert.x5t_s256}, claims()
    ).split(".")
    assert len(signature) % 4 == 2  # 256 bytes need exactly "=="
    refused(lambda: parse_assertion(f"{header}.{payload}.{signature}{pad}"))


def test_a_mistyped_jti_is_refused_after_the_signature(cert: ClientCert) -> None:
    token = sign(cert.key, {"alg": "RS256", "x5t": cert.x5t}, claims(jti=["a"]))
    assert "(jti)" in refused(lambda: check(token, [cert.registered()])).text
