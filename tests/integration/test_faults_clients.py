"""Injected faults seen by real clients over TLS: MSAL Python, azure-identity, an API protected by
`tenantlab.apiauth`, and plain HTTP for drops and stalls. Each fault is narrowed to the test's
own tenant, so the session's other tests never meet it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

from tenantlab.apiauth import TokenValidationSettings, TokenValidator
from tenantlab.faults import Fault
from tenantlab.testing import LiveCloud, LiveTenant

pytestmark = pytest.mark.integration


@pytest.fixture
def tenant(tenantlab_tenant: LiveTenant) -> LiveTenant:
    """The plugin's tenant object (this folder's conftest gives the directory row instead)."""
    return tenantlab_tenant


@pytest.fixture(autouse=True)
def _no_faults_left(tenantlab_cloud: LiveCloud) -> Iterator[None]:
    yield
    tenantlab_cloud.faults.clear()


def local(fault: Any) -> Fault:
    assert isinstance(fault, Fault)  # the session's cloud runs in this process
    return fault


def test_msal_python_returns_a_429_as_entras_error_and_replays_it_for_retry_after(
    tenantlab_cloud: LiveCloud, tenant: LiveTenant
) -> None:
    """MSAL does not retry a 429: it hands back Entra's error and, for Retry-After seconds,
    answers the same request itself without sending it (client-compatibility.md §10)."""
    daemon = tenant.app("daemon", secret=True)
    msal_app = daemon.msal()
    fault = local(tenantlab_cloud.faults.add("token", status=429, retry_after=2, tenant=tenant.id))
    first = msal_app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert first["error"] == "temporarily_unavailable"
    assert first["error_codes"] == [90055]
    assert first["error_description"].startswith("AADSTS90055: ")
    again = msal_app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert again["error_codes"] == [90055]
    assert fault.hits == 1  # the second answer never left MSAL
    fault.remove()
    time.sleep(2.2)  # MSAL's own throttle lasts Retry-After seconds
    later = msal_app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in later, later


def test_msal_python_raises_on_a_5xx(tenantlab_cloud: LiveCloud, tenant: LiveTenant) -> None:
    import msal

    daemon = tenant.app("daemon", secret=True)
    with tenantlab_cloud.faults.add("token", status=500, tenant=tenant.id, count=1) as fault:
        with pytest.raises(Exception, match="500"):
            daemon.msal().acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
        assert local(fault).hits == 1
    assert msal.__version__  # MSAL itself, unmodified


@pytest.mark.parametrize("status", [429, 503])
def test_azure_identity_retries_honouring_retry_after_and_then_gets_its_token(
    tenantlab_cloud: LiveCloud, tenant: LiveTenant, status: int
) -> None:
    daemon = tenant.app("daemon", secret=True)
    fault = local(
        tenantlab_cloud.faults.add(
            "token", status=status, retry_after=1, count=2, client_id=daemon.client_id
        )
    )
    assert daemon.secret is not None
    credential = ClientSecretCredential(
        tenant.id,
        daemon.client_id,
        daemon.secret,
        authority=tenantlab_cloud.origin,
        disable_instance_discovery=True,
    )
    token = credential.get_token("https://graph.microsoft.com/.default")
    assert token.token
    assert fault.hits == 2  # two refusals retried by azure-core, the third POST succeeded
    assert not fault.active


def test_azure_identity_gives_up_after_retry_total(
    tenantlab_cloud: LiveCloud, tenant: LiveTenant
) -> None:
    daemon = tenant.app("daemon", secret=True)
    assert daemon.secret is not None
    fault = local(tenantlab_cloud.faults.add("token", status=503, retry_after=0, tenant=tenant.id))
    credential = ClientSecretCredential(
        tenant.id,
        daemon.client_id,
        daemon.secret,
        authority=tenantlab_cloud.origin,
        disable_instance_discovery=True,
        retry_total=2,
    )
    with pytest.raises(ClientAuthenticationError):
        credential.get_token("https://graph.microsoft.com/.default")
    assert fault.hits == 3  # the first POST and retry_total=2 retries


def test_an_apiauth_api_keeps_its_last_good_keys_while_jwks_fails(
    tenantlab_cloud: LiveCloud, tenant: LiveTenant
) -> None:
    """The signing key rotates, the JWKS endpoint answers 503: a token signed with the new key is
    refused (its key cannot be learnt), tokens of the known key keep being accepted."""
    api = tenant.api("orders-api", roles=["Orders.Read"])
    daemon = tenant.app("daemon", secret=True, roles={api: ["Orders.Read"]})
    settings = TokenValidationSettings(
        instance=tenantlab_cloud.origin,
        tenant=tenant.id,
        audiences=(api.app_id,),
        ca_bundle=tenantlab_cloud.ca_bundle,
    )
    first, second = daemon.token(api), daemon.token(api)  # both signed with today's key

    async def scenario() -> tuple[str, str, int]:
        validator = TokenValidator(settings)
        try:
            assert (await validator.validate(first)).client_id == daemon.client_id
            with tenantlab_cloud.faults.add("jwks", status=503, tenant=tenant.id) as fault:
                tenantlab_cloud.platform.rotate_signing_key(tenant.id)
                rotated = daemon.token(api)  # signed with the new key
                try:
                    await validator.validate(rotated)
                    refused = ""
                except Exception as exc:  # the API cannot learn the new key yet
                    refused = type(exc).__name__
                hits = local(fault).hits  # the validator did try to fetch the keys
                # Not from the validated-token cache: `second` was never seen before.
                accepted = await validator.validate(second)
                assert accepted.client_id == daemon.client_id
            # The JWKS answers again: the new key is learnt once the cooldown allows.
            return refused, str(accepted.client_id), hits
        finally:
            await validator.aclose()

    refused, _, hits = asyncio.run(scenario())
    assert refused == "InvalidToken"
    assert hits == 1


def test_a_dropped_connection_and_a_stall_over_real_tls(
    tenantlab_cloud: LiveCloud, tenant: LiveTenant
) -> None:
    discovery = f"{tenant.authority}/v2.0/.well-known/openid-configuration"
    with httpx.Client(verify=tenantlab_cloud.ssl_context(), timeout=5) as http:
        dropped = tenantlab_cloud.faults.add("discovery", drop=True, tenant=tenant.id, count=1)
        with dropped, pytest.raises(httpx.TransportError):
            http.get(discovery)
        with tenantlab_cloud.faults.add("discovery", stall=True, tenant=tenant.id) as stalled:
            with pytest.raises(httpx.ReadTimeout):
                http.get(discovery, timeout=0.5)
            assert local(stalled).hits == 1
        # The fault is gone, the server is fine.
        assert http.get(discovery).status_code == 200


def test_a_slow_jwks_answers_late_but_right(tenantlab_cloud: LiveCloud, tenant: LiveTenant) -> None:
    with tenantlab_cloud.faults.add("jwks", delay=0.3, tenant=tenant.id) as fault:
        answer = httpx.get(f"{tenant.jwks_uri}", verify=tenantlab_cloud.ssl_context())
        assert answer.status_code == 200
        assert answer.json()["keys"]
        assert local(fault).hits == 1
