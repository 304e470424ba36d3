"""AADSTS errors as real clients see them: MSAL Python's result dicts, and the raw HTTP status.

Every case asserts the code (`error_codes`), the `error` value and the HTTP status. MSAL Python
replays an identical HTTP 400 for 60 s, so each case uses its own application object (and most
their own registration), never a request another test already sent.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import msal
import pytest

from tenantlab.ids import new_guid

pytestmark = pytest.mark.integration

LiveCloud = Any  # fixture types: tests/integration/conftest.py
StsRegistration = Any


def _msal(
    cloud: LiveCloud, tenant: str, client_id: str, secret: str
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=cloud.authority(tenant),
        instance_discovery=False,
    )


def _raw_post(cloud: LiveCloud, tenant: str, form: dict[str, str]) -> httpx.Response:
    trust = ssl.create_default_context(cafile=str(cloud.ca_bundle))
    return httpx.post(f"{cloud.origin}/{tenant}/oauth2/v2.0/token", data=form, verify=trust)


def _assert_error(result: dict[str, Any], code: int, error: str) -> None:
    assert result.get("error") == error, result
    assert result["error_codes"] == [code]
    assert result["error_description"].startswith(f"AADSTS{code}: ")
    assert "Trace ID: " in result["error_description"]
    assert "Correlation ID: " in result["error_description"]


def _check(
    cloud: LiveCloud, reg: StsRegistration, form: dict[str, str], code: int, error: str, status: int
) -> None:
    """The same request without MSAL, for the status MSAL does not expose."""
    response = _raw_post(cloud, reg.tenant.id, form)
    assert response.status_code == status
    assert response.json()["error_codes"] == [code]
    assert response.json()["error"] == error
    assert "no-store" in response.headers["cache-control"]


def _form(reg: StsRegistration, **changes: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": reg.daemon_app_id,
        "client_secret": reg.secret,
        "scope": f"{reg.api_uri}/.default",
        **changes,
    }


def test_wrong_secret_is_7000215(cloud: LiveCloud, sts_registration: StsRegistration) -> None:
    reg = sts_registration
    result = _msal(cloud, reg.tenant.id, reg.daemon_app_id, "wrong").acquire_token_for_client(
        scopes=[f"{reg.api_uri}/.default"]
    )
    _assert_error(result, 7000215, "invalid_client")
    _check(cloud, reg, _form(reg, client_secret="wrong-again"), 7000215, "invalid_client", 401)


def test_expired_secret_is_7000222(cloud: LiveCloud, sts_registration: StsRegistration) -> None:
    reg = sts_registration
    now = cloud.platform.clock.now()
    expired = cloud.directory.add_password(
        tenant=reg.tenant.id, app=reg.daemon_app_id, start=now - 86400 * 3, end=now - 86400
    ).secret_text
    result = _msal(cloud, reg.tenant.id, reg.daemon_app_id, expired).acquire_token_for_client(
        scopes=[f"{reg.api_uri}/.default"]
    )
    _assert_error(result, 7000222, "invalid_client")
    _check(
        cloud,
        reg,
        _form(reg, client_secret=expired, scope=f"{reg.api_app_id}/.default"),
        7000222,
        "invalid_client",
        401,
    )


def test_unknown_client_is_700016(cloud: LiveCloud, sts_registration: StsRegistration) -> None:
    reg = sts_registration
    stranger = new_guid()
    result = _msal(cloud, reg.tenant.id, stranger, "some-secret").acquire_token_for_client(
        scopes=[f"{reg.api_uri}/.default"]
    )
    _assert_error(result, 700016, "unauthorized_client")
    _check(cloud, reg, _form(reg, client_id=new_guid()), 700016, "unauthorized_client", 400)


def test_unknown_tenant_is_90002(cloud: LiveCloud) -> None:
    tenant = f"nobody-{new_guid()[:8]}.onmicrosoft.com"
    with pytest.raises(ValueError, match="Unable to get authority configuration"):
        _msal(cloud, tenant, new_guid(), "some-secret")
    response = _raw_post(cloud, tenant, {"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_tenant"
    assert response.json()["error_codes"] == [90002]


@pytest.mark.parametrize(
    ("scope", "code"),
    [
        ("{api}/ToDoList.Read.All", 1002012),
        ("{api}/.default https://graph.microsoft.com/.default", 70011),
    ],
)
def test_scope_without_default_or_for_two_resources_is_invalid_scope(
    cloud: LiveCloud, sts_registration: StsRegistration, scope: str, code: int
) -> None:
    reg = sts_registration
    scopes = scope.format(api=reg.api_uri).split(" ")
    result = _msal(cloud, reg.tenant.id, reg.daemon_app_id, reg.secret).acquire_token_for_client(
        scopes=scopes
    )
    _assert_error(result, code, "invalid_scope")
    _check(cloud, reg, _form(reg, scope=" ".join(reversed(scopes))), code, "invalid_scope", 400)


def test_unknown_resource_is_500011(cloud: LiveCloud, sts_registration: StsRegistration) -> None:
    reg = sts_registration
    result = _msal(cloud, reg.tenant.id, reg.daemon_app_id, reg.secret).acquire_token_for_client(
        scopes=["api://not-a-registered-resource/.default"]
    )
    _assert_error(result, 500011, "invalid_resource")
    assert "api://not-a-registered-resource" in result["error_description"]
    _check(
        cloud, reg, _form(reg, scope="api://also-unknown/.default"), 500011, "invalid_resource", 400
    )


def test_assignment_required_without_assignment_is_501051(
    cloud: LiveCloud, sts_registration: StsRegistration
) -> None:
    reg = sts_registration
    directory = cloud.directory
    directory.set_assignment_required(tenant=reg.tenant.id, key=reg.api_uri, required=True)
    outsider = directory.create_application(tenant=reg.tenant.id, display_name="Outsider")
    secret = directory.add_password(tenant=reg.tenant.id, app=outsider.app_id).secret_text

    refused = _msal(cloud, reg.tenant.id, outsider.app_id, secret).acquire_token_for_client(
        scopes=[f"{reg.api_uri}/.default"]
    )
    allowed = _msal(cloud, reg.tenant.id, reg.daemon_app_id, reg.secret).acquire_token_for_client(
        scopes=[f"{reg.api_uri}/.default"]
    )

    _assert_error(refused, 501051, "invalid_grant")
    assert "access_token" in allowed
    _check(
        cloud,
        reg,
        _form(
            reg, client_id=outsider.app_id, client_secret=secret, scope=f"{reg.api_app_id}/.default"
        ),
        501051,
        "invalid_grant",
        400,
    )


@pytest.mark.parametrize("segment", ["common", "organizations"])
def test_common_endpoints_refuse_client_credentials_with_9001023(
    cloud: LiveCloud, sts_registration: StsRegistration, segment: str
) -> None:
    reg = sts_registration
    response = _raw_post(cloud, segment, _form(reg))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_codes"] == [9001023]


def test_unsupported_grant_and_missing_parameter(
    cloud: LiveCloud, sts_registration: StsRegistration
) -> None:
    reg = sts_registration
    _check(cloud, reg, _form(reg, grant_type="no_such_grant"), 70003, "unsupported_grant_type", 400)
    without_grant = _form(reg)
    del without_grant["grant_type"]
    _check(cloud, reg, without_grant, 900144, "invalid_request", 400)


def test_correlation_id_is_echoed(cloud: LiveCloud, sts_registration: StsRegistration) -> None:
    reg = sts_registration
    correlation = new_guid()
    trust = ssl.create_default_context(cafile=str(cloud.ca_bundle))
    response = httpx.post(
        f"{cloud.origin}/{reg.tenant.id}/oauth2/v2.0/token",
        data=_form(reg, client_secret="nope"),
        headers={"client-request-id": correlation},
        verify=trust,
    )
    assert response.json()["correlation_id"] == correlation
    assert response.headers["client-request-id"] == correlation
    assert f"Correlation ID: {correlation}" in response.json()["error_description"]
