"""Every row of the attack catalogue (reference/api-security.md §2) against TokenValidator.

InvalidToken is the 401 path, InsufficientScope the 403 path (their HTTP rendering is tested in
test_guard.py). Rows 16 (permissions) and 30 (identity keyed by oid) are covered by the ToDo API
tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tenantlab.apiauth import InsufficientScope, InvalidToken, TokenValidator
from tenantlab.clock import FixedClock
from tenantlab.ids import b64url
from tenantlab.keys import SigningKeyMaterial

from .fakes import (
    API_APP_ID_URI,
    API_CLIENT_ID,
    DAEMON_CLIENT_ID,
    INSTANCE,
    ISSUER_V1,
    NOW,
    OTHER_TENANT,
    TENANT,
    USER_ID,
    FakeAuthority,
    app_claims,
    make_validator,
    raw_token,
    sign_custom,
    user_claims,
    v1_claims,
)

pytestmark = pytest.mark.anyio


async def reason_of(validator: TokenValidator, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        await validator.validate(token)
    return caught.value.reason


async def test_the_baseline_app_token_is_accepted(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    principal = await validator.validate(good_key.sign(app_claims()))
    assert principal.is_app
    assert principal.roles == {"ToDoList.Read.All", "ToDoList.ReadWrite.All"}
    assert principal.client_id == DAEMON_CLIENT_ID
    assert principal.tenant_id == TENANT


async def test_the_baseline_user_token_is_accepted(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    principal = await validator.validate(good_key.sign(user_claims(scp="ToDoList.Read openid")))
    assert not principal.is_app
    assert principal.scopes == {"ToDoList.Read", "openid"}
    assert principal.object_id == USER_ID


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_01_alg_none_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial, alg: str
) -> None:
    token = raw_token({"alg": alg, "kid": good_key.kid}, app_claims(), b"")[: -0 or None]
    assert await reason_of(validator, token) in ("signature_missing", "alg_not_allowed")
    unsigned = token.rsplit(".", 1)[0] + "."
    assert await reason_of(validator, unsigned) in ("signature_missing", "alg_not_allowed")


def _public_key_forms(key: SigningKeyMaterial) -> list[bytes]:
    public = key.private_key.public_key()
    return [
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH),
        json.dumps(key.jwk(ISSUER_V1)).encode(),
    ]


async def test_02_hs256_keyed_with_the_public_key_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    for secret in _public_key_forms(good_key):
        header = {"alg": "HS256", "typ": "JWT", "kid": good_key.kid}
        signing_input = raw_token(header, app_claims(), b"").rsplit(".", 1)[0]
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert await reason_of(validator, signing_input + "." + b64url(mac)) == "alg_not_allowed"


async def test_03_unknown_kids_are_refused_with_at_most_one_jwks_fetch_per_cooldown(
    authority: FakeAuthority, clock: FixedClock, evil_key: SigningKeyMaterial
) -> None:
    validator = make_validator(authority, clock, refresh_cooldown=30)
    for n in range(50):
        token = sign_custom(evil_key, {"alg": "RS256", "kid": f"random-{n}"}, app_claims())
        assert await reason_of(validator, token) == "kid_unknown"
    # The first load, plus one forced refresh for the first unknown kid.
    assert authority.jwks_fetches() == 2
    clock.advance(29)
    await reason_of(validator, sign_custom(evil_key, {"alg": "RS256", "kid": "x"}, app_claims()))
    assert authority.jwks_fetches() == 2
    clock.advance(2)
    await reason_of(validator, sign_custom(evil_key, {"alg": "RS256", "kid": "y"}, app_claims()))
    assert authority.jwks_fetches() == 3


async def test_03_a_cooldown_below_30_seconds_is_raised_to_30(
    authority: FakeAuthority, clock: FixedClock
) -> None:
    assert make_validator(authority, clock, refresh_cooldown=1).metadata.cooldown == 30


async def test_04_known_kid_with_an_attacker_signature_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial, evil_key: SigningKeyMaterial
) -> None:
    token = sign_custom(evil_key, {"typ": "JWT", "alg": "RS256", "kid": good_key.kid}, app_claims())
    assert await reason_of(validator, token) == "signature_invalid"


@pytest.mark.parametrize(
    "kid", ["../../../../dev/null", "' UNION SELECT 'key' --", {"$ne": None}, 42, ["a"], ""]
)
async def test_05_kid_injection_is_only_ever_a_dictionary_key(
    validator: TokenValidator, evil_key: SigningKeyMaterial, kid: Any
) -> None:
    token = sign_custom(evil_key, {"alg": "RS256", "kid": kid}, app_claims())
    assert await reason_of(validator, token) in ("kid_unknown", "kid_missing")


@pytest.mark.parametrize("name", ["jku", "x5u"])
async def test_06_jku_and_x5u_are_ignored_and_never_fetched(
    validator: TokenValidator,
    authority: FakeAuthority,
    evil_key: SigningKeyMaterial,
    name: str,
) -> None:
    header = {"alg": "RS256", "kid": evil_key.kid, name: "https://attacker.test/jwks.json"}
    assert await reason_of(validator, sign_custom(evil_key, header, app_claims())) == "kid_unknown"
    assert authority.requests
    assert not [url for url in authority.requests if "attacker" in url]


async def test_07_embedded_jwk_and_x5c_are_ignored(
    validator: TokenValidator, good_key: SigningKeyMaterial, evil_key: SigningKeyMaterial
) -> None:
    evil_jwk = evil_key.jwk(ISSUER_V1)
    for kid in (evil_key.kid, good_key.kid):
        header = {"alg": "RS256", "kid": kid, "jwk": evil_jwk, "x5c": evil_jwk["x5c"]}
        token = sign_custom(evil_key, header, app_claims())
        assert await reason_of(validator, token) in ("kid_unknown", "signature_invalid")


async def test_08_expiry_is_enforced_beyond_the_leeway_only(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    assert await reason_of(validator, good_key.sign(app_claims(exp=NOW - 3600))) == "expired"
    assert await validator.validate(good_key.sign(app_claims(exp=NOW - 30)))
    assert await reason_of(validator, good_key.sign(app_claims(exp=NOW - 61))) == "expired"


async def test_08_a_cached_token_stops_working_when_it_expires(
    validator: TokenValidator, good_key: SigningKeyMaterial, clock: FixedClock
) -> None:
    token = good_key.sign(app_claims(exp=NOW + 10))
    assert await validator.validate(token)
    clock.advance(10 + 60)
    assert await reason_of(validator, token) == "expired"


async def test_09_nbf_in_the_future_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    assert await reason_of(validator, good_key.sign(app_claims(nbf=NOW + 3600))) == "not_yet_valid"


async def test_10_iat_far_in_the_future_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    token = good_key.sign(app_claims(iat=NOW + 86400))
    assert await reason_of(validator, token) == "issued_in_the_future"


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", None),
        ("exp", "1900000000"),
        ("exp", True),
        ("nbf", None),
        ("iat", "0"),
        ("iat", None),
    ],
)
async def test_11_missing_or_mistyped_time_claims_are_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial, claim: str, value: Any
) -> None:
    claims = app_claims()
    if value is None:
        del claims[claim]
    else:
        claims[claim] = value
    assert await reason_of(validator, good_key.sign(claims)) == f"{claim}_missing_or_not_a_number"


@pytest.mark.parametrize(
    "aud",
    [
        "00000003-0000-0000-c000-000000000000",
        "https://graph.microsoft.com",
        [API_CLIENT_ID],
        [API_CLIENT_ID, "https://graph.microsoft.com"],
        API_CLIENT_ID.upper(),
        None,
    ],
)
async def test_12_another_audience_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial, aud: Any
) -> None:
    token = good_key.sign(app_claims(aud=aud) if aud is not None else _without("aud"))
    assert await reason_of(validator, token) == "audience_mismatch"


async def test_12_app_id_uri_is_refused_when_only_the_client_id_is_configured(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    validator = make_validator(authority, clock, audiences=(API_CLIENT_ID,))
    token = good_key.sign(app_claims(aud=API_APP_ID_URI))
    assert await reason_of(validator, token) == "audience_mismatch"


def _without(name: str) -> dict[str, Any]:
    claims = app_claims()
    del claims[name]
    return claims


@pytest.mark.parametrize(
    "iss",
    [
        f"{INSTANCE}/{OTHER_TENANT}/v2.0",
        f"{INSTANCE}/{TENANT}",
        f"{INSTANCE}/{TENANT}/v2.0/",
        f"{INSTANCE}/{TENANT}/v2.0.evil.test",
        f"https://login.test.evil/{TENANT}/v2.0",
        f"{INSTANCE}/{{tenantid}}/v2.0",
    ],
)
async def test_13_another_issuer_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial, iss: str
) -> None:
    assert await reason_of(validator, good_key.sign(app_claims(iss=iss))) == "issuer_mismatch"


async def test_13_a_tid_that_is_not_the_issuers_tenant_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    assert (
        await reason_of(validator, good_key.sign(app_claims(tid=OTHER_TENANT))) == "tenant_mismatch"
    )


def multi_tenant(authority: FakeAuthority, clock: FixedClock) -> TokenValidator:
    return make_validator(authority, clock, tenant="organizations", allowed_tenants=(TENANT,))


async def test_14_multi_tenant_accepts_only_allowed_tenants(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    validator = multi_tenant(authority, clock)
    assert (await validator.validate(good_key.sign(app_claims()))).tenant_id == TENANT
    other = app_claims(tid=OTHER_TENANT, iss=f"{INSTANCE}/{OTHER_TENANT}/v2.0")
    assert await reason_of(validator, good_key.sign(other)) == "tenant_not_allowed"
    assert await reason_of(validator, good_key.sign(app_claims(tid="contoso"))) == "tid_not_a_guid"
    mixed = app_claims(iss=f"{INSTANCE}/{OTHER_TENANT}/v2.0")
    assert await reason_of(validator, good_key.sign(mixed)) == "issuer_mismatch"


async def test_14_the_signing_keys_own_issuer_must_match_the_tenant(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    authority.keys = [good_key.jwk(f"{INSTANCE}/{OTHER_TENANT}/v2.0")]
    validator = multi_tenant(authority, clock)
    token = good_key.sign(app_claims())
    assert await reason_of(validator, token) == "signing_key_issuer_mismatch"


async def test_15_a_client_app_outside_the_allow_list_gets_403(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    validator = make_validator(authority, clock, allowed_client_ids=(DAEMON_CLIENT_ID,))
    assert await validator.validate(good_key.sign(app_claims()))
    with pytest.raises(InsufficientScope) as caught:
        await validator.validate(good_key.sign(app_claims(azp=OTHER_TENANT)))
    assert caught.value.reason == "client_app_not_allowed"


@pytest.mark.parametrize(
    "guest",
    [{"acct": 1}, {"idp": "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"}],
    ids=["acct-1", "foreign-idp"],
)
async def test_29_guest_users_get_403_when_the_policy_refuses_them(
    authority: FakeAuthority,
    clock: FixedClock,
    good_key: SigningKeyMaterial,
    guest: dict[str, Any],
) -> None:
    token = good_key.sign(user_claims(scp="ToDoList.Read", **guest))
    allowing = make_validator(authority, clock)
    assert (await allowing.validate(token)).scopes == {"ToDoList.Read"}
    refusing = make_validator(authority, clock, allow_guest_users=False)
    assert await refusing.validate(good_key.sign(user_claims(scp="ToDoList.Read")))
    assert await refusing.validate(good_key.sign(app_claims(acct=1)))  # apps are never guests
    with pytest.raises(InsufficientScope) as caught:
        await refusing.validate(token)
    assert caught.value.reason == "guest_user_not_allowed"


@pytest.mark.parametrize(
    "claims",
    [
        app_claims(roles="ToDoList.Read.All"),
        app_claims(roles=[["ToDoList.Read.All"]]),
        app_claims(roles=[]),
        user_claims(scp=["ToDoList.Read"]),
        user_claims(scp=""),
    ],
)
async def test_16_mistyped_permission_claims_grant_nothing(
    validator: TokenValidator, good_key: SigningKeyMaterial, claims: dict[str, Any]
) -> None:
    from tenantlab.apiauth import Permission

    principal = await validator.validate(good_key.sign(claims))
    assert (principal.roles, principal.scopes) == (frozenset(), frozenset())
    read = Permission.of("read", scopes=["ToDoList.Read"], app_permissions=["ToDoList.Read.All"])
    assert not read.allows(principal)  # the route answers 403 insufficient_scope


async def test_17_a_stripped_signature_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    header_and_payload = good_key.sign(app_claims()).rsplit(".", 1)[0]
    assert await reason_of(validator, header_and_payload + ".") == "signature_missing"
    assert await reason_of(validator, header_and_payload) == "not_a_compact_jws"


async def test_18_tampered_payloads_and_signatures_are_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    header, _, signature = good_key.sign(app_claims(roles=["ToDoList.Read.All"])).split(".")
    forged_payload = b64url(json.dumps(app_claims(roles=["Admin"])).encode())
    tampered = f"{header}.{forged_payload}.{signature}"
    assert await reason_of(validator, tampered) == "signature_invalid"
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[10] ^= 0x01
    flipped = good_key.sign(app_claims()).rsplit(".", 1)[0] + "." + b64url(bytes(raw))
    assert await reason_of(validator, flipped) == "signature_invalid"


async def test_19_duplicate_members_are_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    body = json.dumps(app_claims())[:-1] + ', "aud": "evil"}'
    body = body.replace('"aud": ', '"aud": "evil", "aud": ', 1)
    token = sign_custom(good_key, {"alg": "RS256", "kid": good_key.kid}, body)
    assert await reason_of(validator, token) == "payload_not_json"
    header_b64 = b64url(b'{"alg":"none","alg":"RS256","kid":"' + good_key.kid.encode() + b'"}')
    rest = good_key.sign(app_claims()).split(".", 1)[1]
    assert await reason_of(validator, f"{header_b64}.{rest}") == "header_not_json"


async def test_20_oversized_and_degenerate_tokens_are_refused_quickly(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    huge = raw_token({"alg": "RS256", "kid": good_key.kid}, "x" * 1_000_000, b"s")
    assert await reason_of(validator, huge) == "token_too_large"
    assert await reason_of(validator, "." * 100_000) == "token_too_large"
    assert await reason_of(validator, "." * 10) == "not_a_compact_jws"
    nested = b64url(b"[" * 1500) + ".e30.c2ln"
    assert await reason_of(validator, nested) in ("header_not_json", "header_too_large")
    deep = b64url(b'{"alg":"RS256","x":' + b"[" * 100_000 + b"}")
    started = time.process_time()
    assert await reason_of(validator, deep + ".e30.c2ln") == "token_too_large"
    assert time.process_time() - started < 5  # a bound on work, not a timing claim


@pytest.mark.parametrize("mutation", ["unused_bits", "std_alphabet", "padding", "whitespace"])
async def test_21_non_canonical_base64url_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial, mutation: str
) -> None:
    token = good_key.sign(app_claims())
    header, payload, signature = token.split(".")
    if mutation == "unused_bits":
        # 256 bytes -> 342 chars; the last char carries 4 unused bits.
        last = signature[-1]
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        signature = signature[:-1] + alphabet[alphabet.index(last) ^ 0x01]
    elif mutation == "std_alphabet":
        signature = signature.replace("-", "+").replace("_", "/")
        if "+" not in signature and "/" not in signature:
            signature = signature[:-2] + "+/"
    elif mutation == "padding":
        signature += "=="
    else:
        payload = payload[:10] + " " + payload[10:]
    reason = await reason_of(validator, f"{header}.{payload}.{signature}")
    assert reason in (
        "signature_not_base64url",
        "signature_not_canonical_base64url",
        "payload_not_base64url",
        "signature_invalid",
    )


async def test_22_unknown_crit_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    header = {"alg": "RS256", "kid": good_key.kid, "crit": ["exp-ext"], "exp-ext": 1}
    token = sign_custom(good_key, header, app_claims())
    assert await reason_of(validator, token) == "crit_not_understood"


async def test_23_psychic_ecdsa_signature_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    token = raw_token({"alg": "ES256", "kid": good_key.kid}, app_claims(), bytes(64))
    assert await reason_of(validator, token) == "alg_not_allowed"


async def test_24_keys_below_2048_bits_are_never_loaded(
    authority: FakeAuthority, clock: FixedClock
) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    numbers = small.public_key().public_numbers()
    authority.keys = [
        {
            "kty": "RSA",
            "use": "sig",
            "kid": "small",
            "n": b64url(numbers.n.to_bytes(128, "big")),
            "e": "AQAB",
        }
    ]
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signing_input = raw_token({"alg": "RS256", "kid": "small"}, app_claims(), b"").rsplit(".", 1)[0]
    signature = small.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    validator = make_validator(authority, clock)
    assert await reason_of(validator, signing_input + "." + b64url(signature)) == "kid_unknown"


async def test_25_v1_tokens_are_accepted_only_with_v1_shape_and_when_enabled(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    validator = make_validator(authority, clock)
    token = good_key.sign(v1_claims(), with_x5t=True)
    principal = await validator.validate(token)
    assert (principal.version, principal.client_id) == ("1.0", DAEMON_CLIENT_ID)
    # A v1 token claiming a v2 issuer, and the reverse, are refused.
    assert await reason_of(
        validator, good_key.sign(v1_claims(iss=f"{INSTANCE}/{TENANT}/v2.0"))
    ) == ("issuer_mismatch")
    assert await reason_of(validator, good_key.sign(app_claims(iss=ISSUER_V1))) == "issuer_mismatch"
    v2_only = make_validator(authority, clock, accept_v1=False)
    assert await reason_of(v2_only, token) == "version_not_accepted"


async def test_26_an_id_token_is_not_an_access_token(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    id_token = user_claims(scp=None, nonce="n-0S6_WzA2Mj", sub="pairwise", name="Adele")
    assert await reason_of(validator, good_key.sign(id_token)) == "no_scp_or_roles"


async def test_27_ps256_with_the_right_key_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    token = sign_custom(good_key, {"alg": "PS256", "kid": good_key.kid}, app_claims(), pss=True)
    assert await reason_of(validator, token) == "alg_not_allowed"


async def test_28_jwe_compact_serialisation_is_refused(validator: TokenValidator) -> None:
    assert await reason_of(validator, "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d") == "not_a_compact_jws"


async def test_typ_other_than_an_access_token_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    header = {"alg": "RS256", "kid": good_key.kid, "typ": "dpop+jwt"}
    assert await reason_of(validator, sign_custom(good_key, header, app_claims())) == (
        "typ_not_allowed"
    )


@pytest.mark.parametrize("claim", ["tid", "oid"])
async def test_tid_and_oid_must_be_guids(
    validator: TokenValidator, good_key: SigningKeyMaterial, claim: str
) -> None:
    assert await reason_of(validator, good_key.sign(app_claims(**{claim: "not-a-guid"}))) == (
        f"{claim}_not_a_guid"
    )


async def test_an_app_token_carrying_scp_is_refused(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    assert await reason_of(validator, good_key.sign(app_claims(scp="ToDoList.Read"))) == (
        "app_token_with_scp"
    )


async def test_without_idtyp_roles_and_no_scp_means_an_app(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    assert (await validator.validate(good_key.sign(app_claims(idtyp=None)))).is_app
    both = user_claims(roles=["ToDoList.Read.All"])
    assert not (await validator.validate(good_key.sign(both))).is_app


async def test_a_wrong_audience_configuration_value_is_not_a_prefix_match(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    validator = make_validator(authority, clock, audiences=(API_CLIENT_ID,))
    token = good_key.sign(app_claims(aud=API_CLIENT_ID + "0"))
    assert await reason_of(validator, token) == "audience_mismatch"


async def test_every_single_character_mutation_is_a_401_never_a_crash(
    validator: TokenValidator, good_key: SigningKeyMaterial
) -> None:
    token = good_key.sign(app_claims())
    await validator.validate(token)
    refused = 0
    for position in range(len(token)):
        for replacement in ("A", "_", ".", "=", "\x00", "é"):
            if token[position] == replacement:
                continue
            mutated = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(InvalidToken):
                await validator.validate(mutated)
            refused += 1
    assert refused > 5 * len(token)
