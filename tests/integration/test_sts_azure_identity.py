"""Unmodified azure-identity ClientSecretCredential, sync (MSAL inside) and async (aiohttp)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential

pytestmark = pytest.mark.integration

Reader = Callable[[str], dict[str, Any]]
LiveCloud = Any  # fixture types: tests/integration/conftest.py
StsRegistration = Any


def test_sync_credential_with_instance_discovery_disabled(
    cloud: LiveCloud, sts_registration: StsRegistration, read_sts_token: Reader
) -> None:
    reg = sts_registration
    credential = ClientSecretCredential(
        reg.tenant.id,
        reg.daemon_app_id,
        reg.secret,
        authority=cloud.origin,
        disable_instance_discovery=True,
    )

    first = credential.get_token(f"{reg.api_uri}/.default")
    second = credential.get_token(f"{reg.api_uri}/.default")

    assert second.token == first.token  # served from the credential's cache
    assert first.expires_on > cloud.platform.clock.now() + 3000
    reg.check_daemon_token(read_sts_token(first.token), cloud.origin)


def test_async_credential(
    cloud: LiveCloud, sts_registration: StsRegistration, read_sts_token: Reader
) -> None:
    reg = sts_registration

    async def acquire() -> tuple[str, str]:
        async with AsyncClientSecretCredential(
            reg.tenant.id, reg.daemon_app_id, reg.secret, authority=cloud.origin
        ) as credential:
            first = await credential.get_token(f"{reg.api_uri}/.default")
            second = await credential.get_token(f"{reg.api_uri}/.default")
            return first.token, second.token

    first, second = asyncio.run(acquire())

    assert second == first
    reg.check_daemon_token(read_sts_token(first), cloud.origin)


def test_sync_credential_reports_a_wrong_secret(
    cloud: LiveCloud, sts_registration: StsRegistration
) -> None:
    reg = sts_registration
    credential = ClientSecretCredential(
        reg.tenant.id,
        reg.daemon_app_id,
        "wrong-secret-value",
        authority=cloud.origin,
        disable_instance_discovery=True,
    )

    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token(f"{reg.api_uri}/.default")

    assert "AADSTS7000215" in str(caught.value)


def test_async_credential_reports_an_unknown_tenant(cloud: LiveCloud) -> None:
    async def acquire() -> None:
        async with AsyncClientSecretCredential(
            "no-such-tenant.onmicrosoft.com",
            "6f1c2d3e-1111-4222-8333-944455556666",
            "some-secret-value",
            authority=cloud.origin,
        ) as credential:
            await credential.get_token("api://whatever/.default")

    with pytest.raises(ClientAuthenticationError) as caught:
        asyncio.run(acquire())

    assert "AADSTS90002" in str(caught.value)
    assert "invalid_tenant" in str(caught.value)
