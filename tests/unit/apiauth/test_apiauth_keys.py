"""Key discovery, rotation, refresh policy and the validated-token cache."""

from __future__ import annotations

from typing import Any

import pytest

from tenantlab import jws as jws_module
from tenantlab.apiauth import AuthorityUnavailable, InvalidToken, TokenValidator
from tenantlab.apiauth.keys import load_jwks
from tenantlab.clock import FixedClock
from tenantlab.keys import SigningKeyMaterial, generate_signing_key

from .fakes import FakeAuthority, app_claims, make_validator

pytestmark = pytest.mark.anyio


async def test_a_rotated_key_is_picked_up_without_restart(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    validator = make_validator(authority, clock)
    assert await validator.validate(good_key.sign(app_claims()))
    rotated = generate_signing_key()
    authority.keys = [rotated.jwk("https://login.test/{tenantid}/v2.0"), *authority.keys]
    principal = await validator.validate(rotated.sign(app_claims()))
    assert principal.kid == rotated.kid
    assert authority.jwks_fetches() == 2


async def test_a_failed_refresh_keeps_the_last_good_keys(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    validator = make_validator(authority, clock)
    assert await validator.validate(good_key.sign(app_claims(uti="first")))
    authority.failing = True
    clock.advance(validator.metadata.refresh_interval + 1)
    # Periodic refresh fails in the background; a forced refresh for an unknown kid fails too.
    with pytest.raises(InvalidToken):
        await validator.validate(generate_signing_key().sign(app_claims()))
    assert await validator.validate(good_key.sign(app_claims(uti="second", exp=clock.now() + 60)))


async def test_the_first_load_failing_is_a_503_not_a_401(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    authority.failing = True
    validator = make_validator(authority, clock)
    with pytest.raises(AuthorityUnavailable):
        await validator.validate(good_key.sign(app_claims()))
    authority.failing = False
    with pytest.raises(AuthorityUnavailable):  # no fetch per request while it is down
        await validator.validate(good_key.sign(app_claims()))
    assert authority.requests == [validator.metadata.discovery_url]
    clock.advance(5)
    assert await validator.validate(good_key.sign(app_claims()))


async def test_keys_are_refreshed_periodically(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    import asyncio

    validator = make_validator(authority, clock, refresh_interval=3600)
    token = good_key.sign(app_claims(exp=clock.now() + 7200))
    await validator.validate(token)
    clock.advance(3601)
    await validator.validate(token)
    await asyncio.sleep(0)  # let the background refresh run
    await asyncio.sleep(0)
    assert authority.jwks_fetches() == 2


async def test_a_withdrawn_key_invalidates_cached_tokens(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    validator = make_validator(authority, clock)
    token = good_key.sign(app_claims())
    await validator.validate(token)
    replacement = generate_signing_key()
    authority.keys = [replacement.jwk("https://login.test/{tenantid}/v2.0")]
    await validator.validate(replacement.sign(app_claims()))  # forces the refresh
    with pytest.raises(InvalidToken):
        await validator.validate(token)


async def test_repeated_tokens_skip_the_signature_check(
    validator: TokenValidator, good_key: SigningKeyMaterial, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = jws_module.verify

    def counting(*args: Any) -> None:
        calls.append(1)
        original(*args)

    monkeypatch.setattr("tenantlab.apiauth.validator.jws.verify", counting)
    token = good_key.sign(app_claims())
    for _ in range(5):
        await validator.validate(token)
    assert len(calls) == 1
    assert len(validator.cache) == 1


async def test_the_cache_is_bounded(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    validator = make_validator(authority, clock, cache_size=3)
    for n in range(10):
        await validator.validate(good_key.sign(app_claims(uti=f"token-{n}")))
    assert len(validator.cache) == 3


def _jwk(key: SigningKeyMaterial, **changes: Any) -> dict[str, Any]:
    jwk = key.jwk("https://login.test/{tenantid}/v2.0")
    jwk.update(changes)
    return {k: v for k, v in jwk.items() if v is not None}


@pytest.mark.parametrize(
    "changes",
    [
        {"use": "enc"},
        {"key_ops": ["encrypt"]},
        {"key_ops": "verify"},
        {"alg": "RS512"},
        {"kty": "EC"},
        {"kid": None},
        {"n": "AQAB=="},
        {"e": "AA"},
    ],
)
def test_unfit_jwks_entries_are_left_out(
    good_key: SigningKeyMaterial, changes: dict[str, Any]
) -> None:
    assert load_jwks({"keys": [_jwk(good_key, **changes)]}) == {}


def test_fit_jwks_entries_are_kept(good_key: SigningKeyMaterial) -> None:
    keys = load_jwks({"keys": [_jwk(good_key, key_ops=["verify"], alg="RS256"), "junk"]})
    assert list(keys) == [good_key.kid]


async def test_a_key_published_for_encryption_does_not_verify_tokens(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    authority.keys = [_jwk(good_key, use="enc")]
    validator = make_validator(authority, clock)
    with pytest.raises(InvalidToken):
        await validator.validate(good_key.sign(app_claims()))


async def test_v1_tokens_are_refused_when_the_authority_has_no_v1_metadata(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    from .fakes import v1_claims

    authority.serve_v1 = False
    validator = make_validator(authority, clock)
    assert await validator.validate(good_key.sign(app_claims()))
    with pytest.raises(InvalidToken):
        await validator.validate(good_key.sign(v1_claims(), with_x5t=True))


async def test_a_non_https_jwks_uri_is_never_fetched(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    import httpx

    original = authority.handler

    def downgraded(request: httpx.Request) -> httpx.Response:
        response = original(request)
        if request.url.path.endswith("/v2.0/.well-known/openid-configuration"):
            document = response.json()
            document["jwks_uri"] = document["jwks_uri"].replace("https://", "http://")
            return httpx.Response(200, json=document)
        return response

    authority.handler = downgraded  # type: ignore[method-assign]
    validator = make_validator(authority, clock)
    with pytest.raises(AuthorityUnavailable):
        await validator.validate(good_key.sign(app_claims()))
    assert not [url for url in authority.requests if url.startswith("http://")]


def test_the_ca_bundle_comes_from_settings_then_the_environment(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    from tenantlab.apiauth.validator import ssl_context_for
    from tenantlab.keys import ensure_tls

    bundle = str(ensure_tls(tmp_path).ca_cert)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    assert ssl_context_for(None) is True
    assert isinstance(ssl_context_for(bundle), ssl.SSLContext)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
    context = ssl_context_for(None)
    assert isinstance(context, ssl.SSLContext)
    assert context.get_ca_certs()


def test_any_tenant_with_keys_is_refused_with_the_https_authority(
    authority: FakeAuthority, clock: FixedClock
) -> None:
    from tenantlab.errors import ConfigError

    with pytest.raises(ConfigError, match="key source"):
        make_validator(authority, clock, tenant="organizations", any_tenant_with_keys=True)
    with pytest.raises(ConfigError, match="organizations"):
        make_validator(authority, clock, any_tenant_with_keys=True)


async def test_require_scp_or_roles_off_lets_a_roleless_app_token_through_without_roles(
    authority: FakeAuthority, clock: FixedClock, good_key: SigningKeyMaterial
) -> None:
    strict = make_validator(authority, clock)
    roleless = good_key.sign(app_claims(roles=None))
    with pytest.raises(InvalidToken):
        await strict.validate(roleless)
    lenient = make_validator(authority, clock, require_scp_or_roles=False)
    principal = await lenient.validate(roleless)
    assert principal.is_app
    assert principal.roles == frozenset()
