"""Unmodified @azure/msal-node (Node 20) against the live token service (see msal_node.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from msal_node import run_client_credentials

pytestmark = [pytest.mark.integration, pytest.mark.node]

Reader = Callable[[str], dict[str, Any]]
LiveCloud = Any  # fixture types: tests/integration/conftest.py
StsRegistration = Any


def _request(cloud: LiveCloud, reg: StsRegistration, tenant: str, **changes: Any) -> dict[str, Any]:
    return {
        "authority": f"{cloud.origin}/{tenant}",
        "knownAuthorities": [f"localhost:{cloud.port}"],
        "clientId": reg.daemon_app_id,
        "clientSecret": reg.secret,
        "scopes": [f"{reg.api_uri}/.default"],
        "calls": 2,
        **changes,
    }


def test_msal_node_gets_a_token_by_domain_alias_then_from_its_cache(
    node: str, cloud: LiveCloud, sts_registration: StsRegistration, read_sts_token: Reader
) -> None:
    reg = sts_registration
    # msal-node lowercases the authority: the tenant must be found by any case of its domain.
    domain = cloud.directory.tenant_domains(reg.tenant.id)[0].upper()

    output = run_client_credentials(node, cloud.ca_bundle, _request(cloud, reg, domain))

    assert "error" not in output, output
    first, second = output["results"]
    assert first["fromCache"] is False
    assert second["fromCache"] is True
    assert second["accessToken"] == first["accessToken"]
    reg.check_daemon_token(read_sts_token(first["accessToken"]), cloud.origin)


def test_msal_node_surfaces_a_wrong_secret_as_aadsts7000215(
    node: str, cloud: LiveCloud, sts_registration: StsRegistration
) -> None:
    reg = sts_registration

    output = run_client_credentials(
        node,
        cloud.ca_bundle,
        _request(cloud, reg, reg.tenant.id, clientSecret="not-the-secret", calls=1),
    )

    error = output["error"]
    assert error["errorCode"] == "invalid_client"
    assert str(error["errorNo"]) == "7000215"
    assert "AADSTS7000215" in error["message"]


def test_msal_node_surfaces_an_unknown_resource_as_aadsts500011(
    node: str, cloud: LiveCloud, sts_registration: StsRegistration
) -> None:
    reg = sts_registration

    output = run_client_credentials(
        node,
        cloud.ca_bundle,
        _request(cloud, reg, reg.tenant.id, scopes=["api://nobody-registered-this/.default"]),
    )

    error = output["error"]
    assert error["errorCode"] == "invalid_resource"
    assert str(error["errorNo"]) == "500011"
