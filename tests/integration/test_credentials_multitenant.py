"""Multi-tenant apps: a client of tenant A gets tokens in tenant B once consented there."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

import httpx
import msal
import pytest

from tenantlab.directory.errors import ValidationFailed
from tenantlab.ids import new_guid

pytestmark = pytest.mark.integration

LiveCloud = Any  # fixture types live in tests/integration/conftest.py (tests is no package)
StsRegistration = Any
Reader = Callable[[str], dict[str, Any]]


def _token(cloud: LiveCloud, tenant: str, client_id: str, secret: str, scope: str) -> Any:
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=cloud.authority(tenant),
        instance_discovery=False,
    )
    return app.acquire_token_for_client(scopes=[scope])


def test_multi_tenant_client_needs_a_service_principal_in_the_target_tenant(
    cloud: LiveCloud, sts_registration: StsRegistration, read_sts_token: Reader
) -> None:
    resource_tenant = sts_registration  # tenant B: the ToDo API lives here
    directory = cloud.directory
    home = directory.create_tenant(display_name="Vendor", domain=f"vendor{new_guid()[:8]}")
    vendor = directory.create_application(
        tenant=home.id, display_name="Vendor daemon", sign_in_audience="AzureADMultipleOrgs"
    )
    secret = directory.add_password(tenant=home.id, app=vendor.app_id).secret_text
    scope = f"{resource_tenant.api_uri}/.default"

    refused = _token(cloud, resource_tenant.tenant.id, vendor.app_id, secret, scope)
    assert refused["error"] == "unauthorized_client"
    assert refused["error_codes"] == [700016]

    # Admin consent in B: the service principal, then one app role of the API.
    sp = directory.create_service_principal(tenant=resource_tenant.tenant.id, app_id=vendor.app_id)
    directory.grant_app_role(
        tenant=resource_tenant.tenant.id,
        client=vendor.app_id,
        resource=resource_tenant.api_uri,
        role="ToDoList.ReadWrite.All",
    )
    granted = _token(cloud, resource_tenant.tenant.id, vendor.app_id, secret, scope)
    assert "access_token" in granted, granted
    claims = read_sts_token(granted["access_token"])
    assert claims["tid"] == resource_tenant.tenant.id
    assert claims["oid"] == sp.id
    assert claims["azp"] == vendor.app_id
    assert claims["roles"] == ["ToDoList.ReadWrite.All"]

    # Its home tenant still knows it too, with its own service principal and no roles there.
    home_token = _token(
        cloud, home.id, vendor.app_id, secret, "https://graph.microsoft.com/.default"
    )
    assert "access_token" in home_token, home_token
    home_claims = read_sts_token(home_token["access_token"])
    assert home_claims["tid"] == home.id
    assert "roles" not in home_claims


def test_single_tenant_client_is_unknown_elsewhere_and_cannot_be_consented(
    cloud: LiveCloud, sts_registration: StsRegistration
) -> None:
    directory = cloud.directory
    other = directory.create_tenant(display_name="Other", domain=f"other{new_guid()[:8]}")
    trust = ssl.create_default_context(cafile=str(cloud.ca_bundle))
    response = httpx.post(
        f"{cloud.origin}/{other.id}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sts_registration.daemon_app_id,
            "client_secret": sts_registration.secret,
            "resource": "https://graph.microsoft.com",
        },
        verify=trust,
    )
    assert response.status_code == 400
    assert response.json()["error_codes"] == [700016]
    with pytest.raises(ValidationFailed, match="single-tenant"):
        directory.create_service_principal(tenant=other.id, app_id=sts_registration.daemon_app_id)
