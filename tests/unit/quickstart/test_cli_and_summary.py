"""The two commands' surface (no servers started here) and the run's verdict."""

from __future__ import annotations

from click.testing import CliRunner

from tenantlab.cli import cli
from tenantlab.quickstart.steps import StepResult, summary


def test_quickstart_and_up_are_registered_with_their_options() -> None:
    for name in ("quickstart", "up"):
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        for option in ("--port", "--todo-port", "--out"):
            assert option in result.output
    assert "--once" in CliRunner().invoke(cli, ["quickstart", "--help"]).output


def test_a_bad_port_is_a_usage_error_not_a_traceback() -> None:
    result = CliRunner().invoke(cli, ["quickstart", "--once", "--todo-port", "70000"])
    assert result.exit_code == 2
    assert "70000 is not in the range 0<=x<=65535" in result.output
    assert "Traceback" not in result.output


def test_the_verdict_names_every_failed_step() -> None:
    assert summary([StepResult("getUsers", True), StepResult("getApp", True)]) == (
        True,
        "all 2 steps succeeded",
    )
    ok, text = summary(
        [StepResult("getUsers", True), StepResult("ToDo scenario", False), StepResult("x", False)]
    )
    assert not ok
    assert text == "2 of 3 steps failed: ToDo scenario, x"


def test_get_app_shows_the_overview_fields_the_quickstart_records() -> None:
    from tenantlab.quickstart.steps import overview_fields

    app = {
        "id": "6bb4d330-0000-4000-8000-000000000001",
        "appId": "0f8d2c4e-0000-4000-8000-000000000002",
        "displayName": "daemon-console-app",
        "signInAudience": "AzureADMyOrg",
        "passwordCredentials": [{"keyId": "k"}],
        "keyCredentials": [],
        "requiredResourceAccess": [{"resourceAppId": "x"}],
    }
    assert overview_fields(app, "eb96d44b-0000-4000-8000-000000000003") == [
        ("Display name", "daemon-console-app"),
        ("Application (client) ID", "0f8d2c4e-0000-4000-8000-000000000002"),
        ("Object ID", "6bb4d330-0000-4000-8000-000000000001"),
        ("Directory (tenant) ID", "eb96d44b-0000-4000-8000-000000000003"),
        ("Supported account types", "AzureADMyOrg"),
        ("Client credentials", "1 secret(s), 0 certificate(s)"),
    ]


def test_quickstart_takes_verbose() -> None:
    from tenantlab.cli import cli

    assert "verbose" in {p.name for p in cli.commands["quickstart"].params}
