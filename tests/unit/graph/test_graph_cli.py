"""`tenantlab tenant show --credentials` and `tenantlab tenant graph-throttling`, in process."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import delete

from tenantlab.cli import cli
from tenantlab.config import PlatformSettings
from tenantlab.platform import Platform
from tenantlab.storage.schema import ManagementAppCredential


def invoke(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout if code == 0 else result.stderr


def test_show_credentials_prints_the_management_apps_working_secret() -> None:
    invoke("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    shown = json.loads(
        invoke("tenant", "show", "contoso.onmicrosoft.com", "--credentials", "--json")
    )
    assert shown["permissions"] == [
        "Application.ReadWrite.All",
        "AppRoleAssignment.ReadWrite.All",
        "User.ReadWrite.All",
    ]
    home = Path(os.environ["TENANTLAB_HOME"])
    platform = Platform.open(PlatformSettings(home=home))
    try:
        [credential] = platform.directory.password_credentials(shown["objectId"])
        assert platform.directory.secret_matches(credential, shown["clientSecret"])
    finally:
        platform.close()
    text = invoke("tenant", "show", "contoso.onmicrosoft.com", "--credentials")
    assert shown["clientId"] in text
    assert "management-app.json" in text


def test_show_credentials_of_a_tenant_without_a_file_is_one_error_line() -> None:
    invoke("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    home = Path(os.environ["TENANTLAB_HOME"])
    for path in (home / "tenants").glob("*/management-app.json"):
        path.unlink()
    # The database's sealed copy still has them (another node's tenant has no file here) ...
    shown = invoke("tenant", "show", "contoso.onmicrosoft.com", "--credentials", "--json")
    assert json.loads(shown)["clientSecret"]
    platform = Platform.open(PlatformSettings(home=home))
    try:
        with platform.database.session() as session:
            session.execute(delete(ManagementAppCredential))
    finally:
        platform.close()
    # ... and a tenant made with neither (a platform without a data folder) is one error line.
    error = invoke("tenant", "show", "contoso.onmicrosoft.com", "--credentials", code=2)
    assert error.startswith("error: tenant ")
    assert "Traceback" not in error


def test_graph_throttling_switch() -> None:
    invoke("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    assert "is on" in invoke("tenant", "graph-throttling", "contoso.onmicrosoft.com", "on")
    platform = Platform.open(PlatformSettings(home=Path(os.environ["TENANTLAB_HOME"])))
    try:
        assert platform.directory.get_tenant("contoso.onmicrosoft.com").graph_throttling
    finally:
        platform.close()
