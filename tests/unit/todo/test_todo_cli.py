"""`tenantlab todo-api` refuses to start without its identity, in one line saying the fix."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tenantlab.cli import cli


def test_without_tenant_and_client_it_says_what_to_set() -> None:
    result = CliRunner().invoke(cli, ["todo-api"])
    assert result.exit_code == 2
    assert "error: the ToDo API needs its tenant id" in result.output
    assert "Traceback" not in result.output


def test_the_samples_placeholders_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "appsettings.json"
    path.write_text(
        json.dumps(
            {
                "AzureAd": {
                    "Instance": "https://Enter_the_Tenant_Subdomain_Here.ciamlogin.com/",
                    "TenantId": "Enter_the_Tenant_Id_Here",
                    "ClientId": "Enter_the_Application_Id_Here",
                }
            }
        )
    )
    result = CliRunner().invoke(cli, ["todo-api", "--appsettings", str(path)])
    assert result.exit_code == 2
    assert "placeholder 'Enter_the_Tenant_Id_Here'" in result.output


def test_a_bad_port_value_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["todo-api", "--port", "70000"])
    assert result.exit_code == 2
    assert "--port" in result.output
