"""Unmodified MSAL for Python against the live token service (TLS, ephemeral port)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msal
import pytest

pytestmark = pytest.mark.integration

# Fixture types live in tests/integration/conftest.py (not importable: tests is no package).
LiveCloud = Any
StsRegistration = Any

Reader = Callable[[str], dict[str, Any]]


def _app(
    cloud: LiveCloud, reg: StsRegistration, **kwargs: Any
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        reg.daemon_app_id, client_credential=reg.secret, **kwargs
    )


def test_msal_with_instance_discovery_off_gets_a_v2_token_then_serves_it_from_cache(
    cloud: LiveCloud, sts_registration: StsRegistration, read_sts_token: Reader
) -> None:
    reg = sts_registration
    app = _app(cloud, reg, authority=cloud.authority(reg.tenant.id), instance_discovery=False)

    first = app.acquire_token_for_client(scopes=[f"{reg.api_uri}/.default"])
    second = app.acquire_token_for_client(scopes=[f"{reg.api_uri}/.default"])

    assert first["token_source"] == "identity_provider", first
    assert first["token_type"] == "Bearer"
    assert 3500 < first["expires_in"] <= 3599
    assert second["token_source"] == "cache"
    assert second["access_token"] == first["access_token"]
    claims = read_sts_token(first["access_token"])
    reg.check_daemon_token(claims, cloud.origin)
    assert claims["sub"] == reg.daemon_sp_id
    assert claims["azpacr"] == "1"
    assert "appid" not in claims


def test_msal_with_oidc_authority_and_a_domain_alias(
    cloud: LiveCloud, sts_registration: StsRegistration, read_sts_token: Reader
) -> None:
    reg = sts_registration
    domain = cloud.directory.tenant_domains(reg.tenant.id)[0].upper()
    app = _app(cloud, reg, oidc_authority=f"{cloud.origin}/{reg.tenant.id}/v2.0")
    by_domain = _app(cloud, reg, authority=cloud.authority(domain), instance_discovery=False)

    result = app.acquire_token_for_client(scopes=[f"{reg.api_uri}/.default"])
    again = app.acquire_token_for_client(scopes=[f"{reg.api_uri}/.default"])
    aliased = by_domain.acquire_token_for_client(scopes=[f"{reg.api_uri}/.default"])

    assert result["token_source"] == "identity_provider", result
    assert again["token_source"] == "cache"
    assert read_sts_token(result["access_token"])["tid"] == reg.tenant.id
    assert read_sts_token(aliased["access_token"])["tid"] == reg.tenant.id


def test_graph_token_is_v1_with_idtyp_and_granted_roles(
    cloud: LiveCloud, sts_registration: StsRegistration, read_sts_token: Reader
) -> None:
    reg = sts_registration
    cloud.directory.grant_app_role(
        tenant=reg.tenant.id,
        client=reg.daemon_app_id,
        resource="https://graph.microsoft.com",
        role="User.Read.All",
    )
    app = _app(cloud, reg, authority=cloud.authority(reg.tenant.id), instance_discovery=False)

    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])

    claims = read_sts_token(result["access_token"])
    assert claims["ver"] == "1.0"
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["iss"] == f"{cloud.origin}/{reg.tenant.id}/"
    assert claims["appid"] == reg.daemon_app_id
    assert claims["appidacr"] == "1"
    assert claims["idtyp"] == "app"
    assert claims["oid"] == reg.daemon_sp_id
    assert claims["roles"] == ["User.Read.All"]
    assert "azp" not in claims


def test_a_resource_without_consent_gives_a_token_without_roles(
    cloud: LiveCloud, sts_registration: StsRegistration, read_sts_token: Reader
) -> None:
    reg = sts_registration
    other = cloud.directory.create_application(
        tenant=reg.tenant.id, display_name="Reports API", identifier_uris=["api://reports-{appId}"]
    )
    app = _app(cloud, reg, authority=cloud.authority(reg.tenant.id), instance_discovery=False)

    result = app.acquire_token_for_client(scopes=[f"api://reports-{other.app_id}/.default"])

    claims = read_sts_token(result["access_token"])
    assert claims["ver"] == "1.0"  # requestedAccessTokenVersion null -> v1
    assert claims["aud"] == f"api://reports-{other.app_id}"
    assert "roles" not in claims
    assert "idtyp" not in claims


def test_msal_validates_the_authority_through_our_instance_discovery(
    cloud: LiveCloud, sts_registration: StsRegistration, read_sts_token: Reader
) -> None:
    # MSAL asks {url}?api-version=1.0&authorization_endpoint=https://localhost/... (port dropped)
    # and follows the tenant_discovery_endpoint we answer. Only the success path stays local:
    # after a token error MSAL would ask login.microsoftonline.com for aliases.
    reg = sts_registration
    app = _app(
        cloud,
        reg,
        authority=cloud.authority(reg.tenant.id),
        instance_discovery=f"{cloud.origin}/common/discovery/instance",
    )

    result = app.acquire_token_for_client(scopes=[f"{reg.api_uri}/.default"])

    assert read_sts_token(result["access_token"])["aud"] == reg.api_app_id
