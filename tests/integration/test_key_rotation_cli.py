"""`tenantlab keys rotate` on a running server: new tokens switch keys, old ones still verify."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jwt
import msal
import pytest
from click.testing import CliRunner

from tenantlab.cli import cli

pytestmark = pytest.mark.integration

LiveCloud = Any  # fixture types live in tests/integration/conftest.py (tests is no package)
StsRegistration = Any
Reader = Callable[[str], dict[str, Any]]


def _fresh_token(cloud: LiveCloud, reg: StsRegistration) -> str:
    """A new MSAL app each time, so the token comes from the server, not MSAL's cache."""
    app = msal.ConfidentialClientApplication(
        reg.daemon_app_id,
        client_credential=reg.secret,
        authority=cloud.authority(reg.tenant.id),
        instance_discovery=False,
    )
    result = app.acquire_token_for_client(scopes=[f"{reg.api_uri}/.default"])
    assert result.get("token_source") == "identity_provider", result
    token: str = result["access_token"]
    return token


def test_rotation_by_the_cli_while_the_server_runs(
    cloud: LiveCloud,
    sts_registration: StsRegistration,
    read_sts_token: Reader,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg = sts_registration
    before = _fresh_token(cloud, reg)
    old_kid = jwt.get_unverified_header(before)["kid"]

    monkeypatch.setenv("TENANTLAB_HOME", str(cloud.home))
    result = CliRunner().invoke(cli, ["keys", "rotate", "--tenant", reg.tenant.id, "--json"])
    assert result.exit_code == 0, result.output
    (rotated,) = json.loads(result.output)["value"]
    assert rotated["active"] is True
    assert rotated["kid"] != old_kid

    after = _fresh_token(cloud, reg)
    assert jwt.get_unverified_header(after)["kid"] == rotated["kid"]
    # The token signed before the rotation still verifies against the JWKS published now.
    assert read_sts_token(before)["oid"] == reg.daemon_sp_id
    assert read_sts_token(after)["oid"] == reg.daemon_sp_id

    listed = CliRunner().invoke(cli, ["keys", "list", "--tenant", reg.tenant.id, "--json"])
    states = {k["kid"]: k for k in json.loads(listed.output)["value"]}
    assert states[old_kid]["active"] is False
    assert states[old_kid]["removeAfterDateTime"] is not None
