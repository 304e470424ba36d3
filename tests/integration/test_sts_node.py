"""Unmodified @azure/msal-node (Node 20) against the live token service.

The node scripts and their locked dependencies live in tests/node; `scripts/bootstrap` runs
`npm ci` there, and this module does it too when node_modules is missing. Without Node the tests
skip — except under CI=true, where a missing tool must fail the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.node]

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
Reader = Callable[[str], dict[str, Any]]
LiveCloud = Any  # fixture types: tests/integration/conftest.py
StsRegistration = Any


@pytest.fixture(scope="module")
def node() -> str:
    executable = shutil.which("node")
    if executable is None or shutil.which("npm") is None:
        message = "Node.js 20 and npm are needed for the msal-node interop tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: a missing tool fails the run)")
        pytest.skip(message)
    if not (NODE_DIR / "node_modules" / "@azure" / "msal-node").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=300
        )
    return executable


def run_msal_node(node: str, cloud: LiveCloud, request: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(cloud.ca_bundle)}
    done = subprocess.run(
        [node, "client_credentials.mjs"],
        cwd=NODE_DIR,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


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

    output = run_msal_node(node, cloud, _request(cloud, reg, domain))

    assert "error" not in output, output
    first, second = output["results"]
    assert first["fromCache"] is False
    assert second["fromCache"] is True
    assert second["accessToken"] == first["accessToken"]
    claims = read_sts_token(first["accessToken"])
    assert claims["aud"] == reg.api_app_id
    assert claims["iss"] == f"{cloud.origin}/{reg.tenant.id}/v2.0"
    assert claims["tid"] == reg.tenant.id
    assert claims["oid"] == reg.daemon_sp_id
    assert claims["azp"] == reg.daemon_app_id
    assert claims["ver"] == "2.0"
    assert claims["roles"] == reg.granted_roles


def test_msal_node_surfaces_a_wrong_secret_as_aadsts7000215(
    node: str, cloud: LiveCloud, sts_registration: StsRegistration
) -> None:
    reg = sts_registration

    output = run_msal_node(
        node, cloud, _request(cloud, reg, reg.tenant.id, clientSecret="not-the-secret", calls=1)
    )

    error = output["error"]
    assert error["errorCode"] == "invalid_client"
    assert str(error["errorNo"]) == "7000215"
    assert "AADSTS7000215" in error["message"]


def test_msal_node_surfaces_an_unknown_resource_as_aadsts500011(
    node: str, cloud: LiveCloud, sts_registration: StsRegistration
) -> None:
    reg = sts_registration

    output = run_msal_node(
        node,
        cloud,
        _request(cloud, reg, reg.tenant.id, scopes=["api://nobody-registered-this/.default"]),
    )

    error = output["error"]
    assert error["errorCode"] == "invalid_resource"
    assert str(error["errorNo"]) == "500011"
