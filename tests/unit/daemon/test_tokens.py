"""MSAL's arguments, single-flight acquisition, the memo, eviction of rejected tokens, and the
persistent cache, with real MSAL talking to a fake identity platform (httpx.MockTransport)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest

from tenantlab.clock import FixedClock
from tenantlab.daemon.client import DaemonClient
from tenantlab.daemon.errors import DaemonConfigError, TokenAcquisitionError
from tenantlab.daemon.sources import is_microsoft_authority
from tenantlab.daemon.tokens import TokenProvider, msal_arguments
from tenantlab.daemon.transport import MsalHttpClient, RetryPolicy, create_http_client

from .fakes import API_SCOPE, SECRET, FakeCloud, settings


def msal_http(cloud: FakeCloud) -> MsalHttpClient:
    client = create_http_client(ca_bundle=None, timeout=5, transport=cloud.transport())
    return MsalHttpClient(client, RetryPolicy(max_retries=0))


def test_msal_arguments_for_a_non_microsoft_authority_pin_discovery_off_and_the_ca_bundle(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "ca-bundle.pem"
    bundle.write_text("unused")
    s = settings(authority="https://localhost:5443/t1", ca_bundle=bundle, timeout=12.0)
    cache = msal.TokenCache()
    http = MsalHttpClient(httpx.Client(), RetryPolicy())
    assert msal_arguments(s, token_cache=cache, http_client=http) == {
        "client_id": s.client_id,
        "client_credential": SECRET,
        "authority": "https://localhost:5443/t1",
        "token_cache": cache,
        "timeout": 12.0,
        "instance_discovery": False,
        "http_client": http,
    }


@pytest.mark.parametrize(
    "authority",
    [
        "https://login.microsoftonline.com/0f8fad5b-d9cb-469f-a165-70867728950e",
        "https://contoso.ciamlogin.com/",
    ],
)
def test_msal_arguments_for_microsoft_authorities_keep_msal_defaults(authority: str) -> None:
    s = settings(authority=authority, timeout=30.0)
    cache = msal.TokenCache()
    http = MsalHttpClient(httpx.Client(), RetryPolicy())
    assert msal_arguments(s, token_cache=cache, http_client=http) == {
        "client_id": s.client_id,
        "client_credential": SECRET,
        "authority": authority,
        "token_cache": cache,
        "timeout": 30.0,
    }


def test_oidc_authority_is_passed_as_such() -> None:
    s = settings(authority=None, oidc_authority="https://login.contoso.com/t/v2.0")
    args = msal_arguments(
        s, token_cache=None, http_client=MsalHttpClient(httpx.Client(), RetryPolicy())
    )
    assert args["oidc_authority"] == "https://login.contoso.com/t/v2.0"
    assert "authority" not in args
    assert args["instance_discovery"] is False


def test_microsoft_hosts() -> None:
    assert is_microsoft_authority("https://login.microsoftonline.com/t")
    assert is_microsoft_authority("https://contoso.ciamlogin.com/")
    assert not is_microsoft_authority("https://localhost:5443/t")
    assert not is_microsoft_authority("https://login.microsoftonline.com.evil.test/t")


def test_real_msal_gets_a_token_then_serves_it_from_the_memo() -> None:
    cloud = FakeCloud()
    provider = TokenProvider(settings(), http_client=msal_http(cloud))
    first = provider.token(API_SCOPE)
    second = provider.token(API_SCOPE)
    assert (first.source, second.source) == ("identity_provider", "cache")
    assert first.value == second.value
    assert cloud.token_requests == 1
    form = cloud.forms[0]
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == [API_SCOPE]
    assert "claims" not in form


def test_single_flight_many_threads_one_token_request() -> None:
    cloud = FakeCloud(token_delay=0.05)
    provider = TokenProvider(settings(), http_client=msal_http(cloud))
    start = threading.Barrier(50)
    values: list[str] = []

    def worker() -> None:
        start.wait()
        values.append(provider.token(API_SCOPE).value)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cloud.token_requests == 1
    assert len(set(values)) == 1
    assert len(values) == 50


def test_memo_expires_with_msals_five_minute_margin() -> None:
    clock = FixedClock()
    cloud = FakeCloud(expires_in=3599)
    provider = TokenProvider(settings(), http_client=msal_http(cloud), clock=clock)
    provider.token(API_SCOPE)
    clock.advance(3599 - 300 - 1)
    assert provider.token(API_SCOPE).source == "cache"
    clock.advance(2)
    # Past the memo: MSAL is asked again (its own cache runs on the real clock and still hits).
    assert provider.token(API_SCOPE).source == "cache"
    assert cloud.token_requests == 1


def test_a_rejected_token_is_evicted_and_replaced_once() -> None:
    cloud = FakeCloud()
    provider = TokenProvider(settings(), http_client=msal_http(cloud))
    bad = provider.token(API_SCOPE).value
    fresh = provider.token(API_SCOPE, stale=bad)
    assert fresh.value != bad
    assert fresh.source == "identity_provider"
    # A second caller holding the same stale token gets the replacement, not a third token.
    assert provider.token(API_SCOPE, stale=bad).value == fresh.value
    assert cloud.token_requests == 2


def test_error_dict_becomes_token_acquisition_error() -> None:
    body = {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x",
        "error_codes": [7000215],
        "correlation_id": "corr-1",
    }
    cloud = FakeCloud(token_error={"status": 401, "body": body})
    provider = TokenProvider(settings(), http_client=msal_http(cloud))
    with pytest.raises(TokenAcquisitionError) as caught:
        provider.token(API_SCOPE)
    assert caught.value.aadsts == 7000215
    assert caught.value.correlation_id == "corr-1"
    assert str(caught.value) == "invalid_client: AADSTS7000215: Invalid client secret provided."


def test_unknown_tenant_at_discovery_is_authority_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_tenant", "error_codes": [90002]})

    client = create_http_client(ca_bundle=None, timeout=5, transport=httpx.MockTransport(handler))
    provider = TokenProvider(settings(), http_client=MsalHttpClient(client, RetryPolicy()))
    with pytest.raises(TokenAcquisitionError) as caught:
        provider.token(API_SCOPE)
    assert caught.value.error == "authority_unavailable"


def test_throttled_token_requests_are_retried_after_retry_after() -> None:
    cloud = FakeCloud()
    answers = [httpx.Response(429, headers={"Retry-After": "2"}, json={"error": "throttled"})]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token") and answers:
            return answers.pop(0)
        return cloud.handle(request)

    waits: list[float] = []
    client = create_http_client(ca_bundle=None, timeout=5, transport=httpx.MockTransport(handler))
    http = MsalHttpClient(client, RetryPolicy(max_retries=2, sleep=waits.append))
    provider = TokenProvider(settings(), http_client=http)
    assert provider.token(API_SCOPE).source == "identity_provider"
    assert waits == [2.0]


def test_persistent_cache_file_is_owner_only_and_reused_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "tokens.json"
    cloud = FakeCloud()
    first = DaemonClient(settings(token_cache=path), transport=cloud.transport())
    token = first.tokens.token(API_SCOPE).value
    first.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert token not in os.listdir(path.parent)
    second = DaemonClient(settings(token_cache=path), transport=cloud.transport())
    again = second.tokens.token(API_SCOPE)
    second.close()
    assert (again.value, again.source) == (token, "cache")
    assert cloud.token_requests == 1


def test_cache_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("{}")
    path.chmod(0o644)
    with pytest.raises(DaemonConfigError, match="readable by other users: chmod 600"):
        TokenProvider(settings(token_cache=path))


def test_corrupt_cache_file_costs_one_token_request(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("not json")
    path.chmod(0o600)
    cloud = FakeCloud()
    provider = TokenProvider(settings(token_cache=path), http_client=msal_http(cloud))
    assert provider.token(API_SCOPE).source == "identity_provider"


def test_fake_app_factory_sees_the_arguments() -> None:
    seen: dict[str, Any] = {}

    class FakeApp:
        token_cache = msal.TokenCache()

        def __init__(self, **kwargs: Any) -> None:
            seen.update(kwargs)

        def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
            return {"access_token": "t", "expires_in": 3600, "token_source": "identity_provider"}

    provider = TokenProvider(settings(), app_factory=FakeApp)
    assert provider.token(API_SCOPE).value == "t"
    assert seen["instance_discovery"] is False
    assert provider.identity_provider_requests == 1


def test_msal_http_client_encodes_forms_as_requests_would() -> None:
    """MSAL hands over bytes assertions and None fields; requests copes, httpx alone would not."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    client = create_http_client(ca_bundle=None, timeout=5, transport=httpx.MockTransport(handler))
    http = MsalHttpClient(client, RetryPolicy())
    http.post(
        "https://idp.test/t/oauth2/v2.0/token",
        data={"client_assertion": b"h.p.s", "claims": None, "scope": "a b"},
        headers={"x-client-sku": "MSAL.Python", "x-app-name": None},
    )
    assert seen[0].content == b"client_assertion=h.p.s&scope=a+b"
    assert "x-app-name" not in seen[0].headers
    assert http.token_requests == 1
