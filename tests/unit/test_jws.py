"""tenantlab.jws, the one JWS verifier: what `extract` and `verify` refuse, and with which reason.

The attack catalogue (tests/unit/apiauth/test_attack_catalogue.py) runs the same code through
apiauth; Graph and the token service's client assertions have their own tests of their wire errors.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tenantlab import jws
from tenantlab.ids import b64url

RS256 = jws.JwsPolicy(algorithms=frozenset({"RS256"}))
LENIENT = jws.JwsPolicy(
    algorithms=frozenset({"RS256", "PS256", "ES256", "ES384"}), padding_tolerated=True
)
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
HEADER = '{"alg":"RS256","kid":"k1"}'


def b64(text: str | bytes) -> str:
    return b64url(text.encode() if isinstance(text, str) else text)


def token(header: str = HEADER, payload: str = '{"sub":"x"}', key: Any = KEY) -> str:
    signing_input = f"{b64(header)}.{b64(payload)}"
    alg = json.loads(header).get("alg", "RS256")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        digest = hashes.SHA256() if alg == "ES256" else hashes.SHA384()
        r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(digest)))
        size = (key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    elif alg == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = key.sign(signing_input.encode(), pss, hashes.SHA256())
    else:
        signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def reason(call: Any) -> str:
    with pytest.raises(jws.JwsError) as caught:
        call()
    return caught.value.reason


def test_a_good_token_extracts_and_verifies() -> None:
    parsed = jws.extract(token(), RS256)
    assert parsed.kid == "k1"
    assert parsed.claims == {"sub": "x"}
    jws.verify(parsed, KEY.public_key(), RS256)


# -- size, before any decoding ---------------------------------------------------------------


def test_the_size_cap_is_checked_before_any_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(jws, "b64url_decode_strict", lambda *a, **k: calls.append(a[1]))
    monkeypatch.setattr(jws.json, "loads", lambda *a, **k: calls.append("json"))
    huge = f"{b64(HEADER)}.{'A' * 10_000_000}.AAAA"
    assert reason(lambda: jws.extract(huge, RS256)) == "token_too_large"
    assert calls == []


def test_a_large_header_is_refused_before_decoding() -> None:
    text = f"{'A' * 5000}.e30.AAAA"
    assert reason(lambda: jws.extract(text, RS256)) == "header_too_large"


# -- base64url ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("eyJ9+/", "header_not_base64url"),
        ("eyJ9 ", "header_not_base64url"),
        ("e30=", "header_not_base64url"),  # padding, not tolerated by default
        ("e31", "header_not_canonical_base64url"),  # unused bits set
        ("A", "header_not_base64url"),
    ],
)
def test_only_canonical_unpadded_base64url(segment: str, expected: str) -> None:
    assert reason(lambda: jws.extract(f"{segment}.e30.AAAA", RS256)) == expected


def test_exact_padding_is_accepted_only_where_tolerated_and_signed_as_sent() -> None:
    header, payload, signature = token().split(".")

    def padded(segment: str) -> str:
        return segment + "=" * (-len(segment) % 4)

    text = ".".join(padded(s) for s in (header, payload, signature))
    assert text != token()
    assert reason(lambda: jws.extract(text, RS256)).endswith("_not_base64url")
    parsed = jws.extract(text, LENIENT)
    assert parsed.signing_input == f"{padded(header)}.{padded(payload)}".encode()


@pytest.mark.parametrize("pad", ["=", "===", "===="])
def test_wrong_padding_is_refused_even_where_padding_is_tolerated(pad: str) -> None:
    header, payload, signature = token().split(".")
    # a 342-character RS256 signature needs exactly "==".
    assert len(signature) % 4 == 2
    text = f"{header}.{payload}.{signature}{pad}"
    assert reason(lambda: jws.extract(text, LENIENT)) == "signature_not_base64url"


def test_padding_tolerance_still_verifies_the_padded_signing_input() -> None:
    header, payload, signature = token().split(".")
    text = f"{header}.{payload}.{signature}=="
    parsed = jws.extract(text, LENIENT)
    jws.verify(parsed, KEY.public_key(), LENIENT)


# -- JSON ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1E999", "-1E400"]
)
@pytest.mark.parametrize("where", ["header", "payload"])
def test_non_finite_numbers_are_not_json(literal: str, where: str) -> None:
    document = f'{{"alg":"RS256","exp":{literal}}}'
    text = token(header=document) if where == "header" else token(payload=document)
    assert reason(lambda: jws.extract(text, RS256)) == f"{where}_not_json"


def test_the_largest_finite_double_is_a_number() -> None:
    assert jws.extract(token(payload='{"x":1e308}'), RS256).claims == {"x": 1e308}


@pytest.mark.parametrize(
    "payload",
    ['{"aud":"a","aud":"b"}', '{"x":{"y":1,"y":2}}', '{"roles":[],"roles":["Admin"]}'],
)
def test_duplicate_members_are_refused_at_any_depth(payload: str) -> None:
    assert reason(lambda: jws.extract(token(payload=payload), RS256)) == "payload_not_json"


def test_duplicate_header_members_are_refused() -> None:
    text = token(header='{"alg":"none","alg":"RS256"}')
    assert reason(lambda: jws.extract(text, RS256)) == "header_not_json"


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_deep_nesting_is_refused_without_recursion(depth: int) -> None:
    big = jws.JwsPolicy(algorithms=frozenset({"RS256"}), max_length=1_000_000)
    text = token(payload='{"x":' + "[" * depth + "]" * depth + "}")
    with pytest.raises(jws.JwsError) as caught:
        jws.extract(text, big)
    assert caught.value.reason == "payload_not_json"
    assert "nested" in caught.value.detail


def test_nesting_up_to_the_limit_is_json() -> None:
    limit = jws.MAX_JSON_DEPTH
    inside = "[" * (limit - 1) + "]" * (limit - 1)
    assert jws.extract(token(payload=f'{{"x":{inside}}}'), RS256).claims["x"]
    deeper = "[" * limit + "]" * limit
    assert reason(lambda: jws.extract(token(payload=f'{{"x":{deeper}}}'), RS256))


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    payload = json.dumps({"name": "[" * 500 + "{" * 500, "q": '"[[[' * 50})
    assert jws.extract(token(payload=payload), RS256).claims["name"].startswith("[[")


def test_pathological_strings_cost_linear_time() -> None:
    payload = '{"x":' + '"\\"' * 5000 + "[" * 40
    big = jws.JwsPolicy(algorithms=frozenset({"RS256"}), max_length=1_000_000)
    started = time.process_time()
    for _ in range(10):
        assert reason(lambda: jws.extract(token(payload=payload), big)) == "payload_not_json"
    assert time.process_time() - started < 5  # a bound on work, not a timing claim


@pytest.mark.parametrize("payload", ["[]", '"x"', "1", "null", "\xff", '{"a":1}x'])
def test_a_payload_that_is_not_an_object_is_refused(payload: str) -> None:
    assert reason(lambda: jws.extract(token(payload=payload), RS256)).startswith("payload_not_json")


def test_invalid_utf8_is_not_json() -> None:
    payload = b64(b'{"a":"\xff"}')
    text = f"{b64(HEADER)}.{payload}.AAAA"
    assert reason(lambda: jws.extract(text, RS256)) == "payload_not_json"


# -- header ------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "HS256", "ES256", "", None, 1, ["RS256"]])
def test_algorithms_outside_the_policy_are_refused_before_any_key(alg: Any) -> None:
    header = json.dumps({"alg": alg} if alg is not None else {})
    assert reason(lambda: jws.extract(token(header=header), RS256)) == "alg_not_allowed"


def test_crit_is_refused() -> None:
    header = '{"alg":"RS256","crit":["b64"],"b64":false}'
    assert reason(lambda: jws.extract(token(header=header), RS256)) == "crit_not_understood"


def test_typ_is_checked_when_the_policy_names_types() -> None:
    typed = jws.JwsPolicy(algorithms=frozenset({"RS256"}), types=frozenset({"JWT"}))
    header = '{"alg":"RS256","typ":"secevent+jwt"}'
    assert reason(lambda: jws.extract(token(header=header), typed)) == "typ_not_allowed"
    assert jws.extract(token(header='{"alg":"RS256","typ":"JWT"}'), typed)


@pytest.mark.parametrize("typ", [["JWT"], {"JWT": 1}, 1, True])
def test_a_typ_that_is_not_a_string_is_refused_not_a_crash(typ: Any) -> None:
    """Found by the fuzz test: a list `typ` was an unhashable set lookup (500 at the ToDo API)."""
    typed = jws.JwsPolicy(algorithms=frozenset({"RS256"}), types=frozenset({"JWT"}))
    header = json.dumps({"alg": "RS256", "typ": typ})
    assert reason(lambda: jws.extract(token(header=header), typed)) == "typ_not_allowed"


def test_policies_cannot_allow_symmetric_algorithms_or_none() -> None:
    for alg in ("HS256", "none"):
        with pytest.raises(ValueError):
            jws.JwsPolicy(algorithms=frozenset({alg}))


@pytest.mark.parametrize("kid", [1, "", None, ["k"]])
def test_a_kid_that_is_not_a_string_is_none(kid: Any) -> None:
    header = json.dumps({"alg": "RS256", "kid": kid})
    assert jws.extract(token(header=header), RS256).kid is None


# -- verify ------------------------------------------------------------------------------------


def test_a_signature_by_another_key_is_invalid() -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    parsed = jws.extract(token(key=other), RS256)
    assert reason(lambda: jws.verify(parsed, KEY.public_key(), RS256)) == "signature_invalid"


def test_verify_rechecks_the_algorithm_against_its_own_policy() -> None:
    parsed = jws.extract(token(header='{"alg":"PS256"}'), LENIENT)
    jws.verify(parsed, KEY.public_key(), LENIENT)
    assert reason(lambda: jws.verify(parsed, KEY.public_key(), RS256)) == "alg_not_allowed"


def test_rsa_keys_below_2048_bits_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    parsed = jws.extract(token(key=small), RS256)
    assert reason(lambda: jws.verify(parsed, small.public_key(), RS256)) == "key_too_small"


def test_ec_signatures_need_the_curve_of_their_algorithm() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    parsed = jws.extract(token(header='{"alg":"ES256"}', key=p256), LENIENT)
    jws.verify(parsed, p256.public_key(), LENIENT)
    assert reason(lambda: jws.verify(parsed, p384.public_key(), LENIENT)) == "key_not_for_alg"
    assert reason(lambda: jws.verify(parsed, KEY.public_key(), LENIENT)) == "key_not_for_alg"
    rsa_signed = jws.extract(token(), LENIENT)
    assert reason(lambda: jws.verify(rsa_signed, p256.public_key(), LENIENT)) == "key_not_for_alg"


def test_a_psychic_ecdsa_signature_is_invalid() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    header = b64('{"alg":"ES256"}')
    text = f"{header}.{b64('{}')}.{b64url(bytes(64))}"
    parsed = jws.extract(text, LENIENT)
    assert reason(lambda: jws.verify(parsed, p256.public_key(), LENIENT)) == "signature_invalid"


def test_claims_are_checked_only_after_the_signature() -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    parsed = jws.extract(token(payload='{"exp":"soon"}', key=other), RS256)
    assert reason(lambda: jws.verify(parsed, KEY.public_key(), RS256)) == "signature_invalid"


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"exp": "1900000000"}, "exp_missing_or_not_a_number"),
        ({"exp": True}, "exp_missing_or_not_a_number"),
        ({"nbf": None}, None),
        ({"iat": [1]}, "iat_missing_or_not_a_number"),
        ({"exp": 1e308}, "exp_not_a_valid_time"),
        ({"exp": 10**30}, "exp_not_a_valid_time"),
        ({"nbf": -1}, "nbf_not_a_valid_time"),
        ({"exp": 253_402_300_799}, None),
        ({"iss": 5}, "iss_missing_or_not_a_string"),
        ({"sub": ["x"]}, "sub_missing_or_not_a_string"),
        ({"jti": {}}, "jti_missing_or_not_a_string"),
        ({"aud": {}}, "aud_missing_or_not_a_string_or_array"),
        ({"aud": []}, "aud_missing_or_not_a_string_or_array"),
        ({"aud": [["x"]]}, "aud_missing_or_not_a_string_or_array"),
        ({"aud": ["a", 1]}, "aud_missing_or_not_a_string_or_array"),
        ({"aud": ["a", "b"]}, None),
        ({"roles": "not-registered"}, None),
    ],
)
def test_registered_claims_have_their_types(claims: dict[str, Any], expected: str | None) -> None:
    parsed = jws.extract(token(payload=json.dumps(claims)), RS256)
    if expected is None:
        jws.verify(parsed, KEY.public_key(), RS256)
    else:
        assert reason(lambda: jws.verify(parsed, KEY.public_key(), RS256)) == expected


def test_required_claims_must_be_present() -> None:
    strict = jws.JwsPolicy(algorithms=frozenset({"RS256"}), required_claims=frozenset({"exp"}))
    parsed = jws.extract(token(payload="{}"), strict)
    assert reason(lambda: jws.verify(parsed, KEY.public_key(), strict)) == (
        "exp_missing_or_not_a_number"
    )
