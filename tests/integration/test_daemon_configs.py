"""Each official sample's configuration file, pointed at a live tenantlab, runs the daemon.

Against real Entra the same files differ only in the authority and endpoint URLs (and the IDs
and secret the portal shows); docs/daemon.md has the real-Entra versions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_daemon_operations import DaemonDeployment, deploy

pytestmark = pytest.mark.integration

LiveCloud = Any
Tenant = Any


@pytest.fixture
def deployment(cloud: LiveCloud, tenant: Tenant, tmp_path: Path) -> Iterator[DaemonDeployment]:
    with deploy(cloud, tenant, tmp_path / "api", users=3) as d:
        yield d


def plain_env() -> dict[str, str]:
    """No TENANTLAB_DAEMON_* at all: everything comes from the sample's file."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_DAEMON_")}


def run_with(d: DaemonDeployment, config: Path, *argv: str) -> Any:
    return d.json("--config", str(config), *argv, env=plain_env())


def test_python_parameters_json(deployment: DaemonDeployment, tmp_path: Path) -> None:
    config = tmp_path / "parameters.json"
    config.write_text(
        json.dumps(
            {
                "authority": deployment.authority,
                "oidc_authority": None,
                "client_id": deployment.daemon_app_id,
                "scope": ["https://graph.microsoft.com/.default"],
                "secret": deployment.secret,
                "endpoint": f"{deployment.cloud.origin}/v1.0/users",
                "note": "authority or oidc_authority: one of them must be null",
            },
            indent=2,
        )
    )
    users = run_with(deployment, config, "--op", "getUsers")
    assert f"user0@{deployment.domain}" in [u["userPrincipalName"] for u in users["value"]]


def test_python_parameters_json_with_oidc_authority(
    deployment: DaemonDeployment, tmp_path: Path
) -> None:
    config = tmp_path / "parameters.json"
    config.write_text(
        json.dumps(
            {
                "authority": None,
                "oidc_authority": f"{deployment.authority}/v2.0",
                "client_id": deployment.daemon_app_id,
                "scope": ["https://graph.microsoft.com/.default"],
                "secret": deployment.secret,
                "endpoint": f"{deployment.cloud.origin}/v1.0/users",
            }
        )
    )
    assert run_with(deployment, config, "--op", "getApp")["appId"] == deployment.daemon_app_id


def test_python_parameters_json_as_shipped_with_both_authorities(
    deployment: DaemonDeployment, tmp_path: Path
) -> None:
    config = tmp_path / "parameters.json"
    config.write_text(
        json.dumps(
            {
                "authority": deployment.authority,
                "oidc_authority": f"{deployment.authority}/v2.0",
                "client_id": deployment.daemon_app_id,
                "scope": ["https://graph.microsoft.com/.default"],
                "secret": deployment.secret,
            }
        )
    )
    code, out, err = deployment.run("--config", str(config), "--op", "getUsers", env=plain_env())
    assert (code, out) == (2, "")
    assert err.startswith(
        "error: both authority in parameters.json and oidc_authority in parameters.json are set"
    )


def test_node_console_env(deployment: DaemonDeployment, tmp_path: Path) -> None:
    config = tmp_path / ".env"
    config.write_text(
        "# Credentials\n"
        f"TENANT_ID={deployment.tenant_id}\n"
        f"CLIENT_ID={deployment.daemon_app_id}\n"
        f"CLIENT_SECRET={deployment.secret}\n"
        "\n# Endpoints\n"
        f"AAD_ENDPOINT={deployment.cloud.origin}/ ## include the trailing slash\n"
        f"GRAPH_ENDPOINT={deployment.cloud.origin}/ ## include the trailing slash\n"
    )
    users = run_with(deployment, config, "--op", "getUsers")
    assert len(users["value"]) >= 3


def test_ciam_node_daemon_env_calls_the_todo_api(
    deployment: DaemonDeployment, tmp_path: Path
) -> None:
    config = tmp_path / ".env"
    config.write_text(
        f"CLIENT_ID={deployment.daemon_app_id}\n"
        f"AUTHORITY={deployment.authority}\n"
        f"CLIENT_SECRET={deployment.secret}\n"
        f"API_ENDPOINT={deployment.todo_url}/api/todolist\n"
        # the App ID URI alone: the sample's auth.js appends /.default itself
        f"SCOPES=api://{deployment.api_app_id}\n"
    )
    assert run_with(deployment, config, "--op", "getToDos") == []


def test_java_application_properties(deployment: DaemonDeployment, tmp_path: Path) -> None:
    config = tmp_path / "application.properties"
    config.write_text(
        f"AUTHORITY={deployment.authority}/\n"
        f"CLIENT_ID={deployment.daemon_app_id}\n"
        f"SECRET={deployment.secret}\n"
        "SCOPE=https://graph.microsoft.com/.default\n"
        "# not in the sample (it hard-codes Graph's URL): where Graph is\n"
        f"GRAPH_ENDPOINT={deployment.cloud.origin}\n"
    )
    users = run_with(deployment, config, "--op", "getUsers")
    assert len(users["value"]) >= 3


def test_dotnet_appsettings_json_runs_the_scenario(
    deployment: DaemonDeployment, tmp_path: Path
) -> None:
    config = tmp_path / "appsettings.json"
    config.write_text(
        "{\n"
        '  "AzureAd": {\n'
        f'    "Authority": "{deployment.authority}/",\n'
        f'    "ClientId": "{deployment.daemon_app_id}",\n'
        '    "ClientCredentials": [\n'
        f'      {{ "SourceType": "ClientSecret", "ClientSecret": "{deployment.secret}" }}\n'
        "    ]\n"
        "  },\n"
        '  "DownstreamApi": {\n'
        f'    "BaseUrl": "{deployment.todo_url}/",\n'
        '    "RelativePath": "api/todolist",\n'
        '    "RequestAppToken": true,\n'
        f'    "Scopes": [ "{deployment.api_scope}" ]\n'
        "  }\n"
        "}\n"
    )
    steps = run_with(deployment, config, "--op", "scenario")
    assert [s["request"] for s in steps] == [
        "POST",
        "GET",
        "POST",
        "GET",
        "DELETE",
        "GET",
        "PUT",
        "GET",
        "DELETE",
        "GET",
    ]
    assert steps[-1]["todos"] == []


def test_flags_beat_environment_beat_file(deployment: DaemonDeployment, tmp_path: Path) -> None:
    config = tmp_path / "parameters.json"
    config.write_text(
        json.dumps(
            {
                "authority": deployment.authority,
                "client_id": "Enter_the_Application_Id_Here",
                "secret": "wrong-value~from-the-file",
                "endpoint": f"{deployment.cloud.origin}/v1.0/users",
            }
        )
    )
    env = {**plain_env(), "TENANTLAB_DAEMON_CLIENT_ID": deployment.daemon_app_id}
    code, out, err = deployment.run("--config", str(config), "--op", "getApp", env=env)
    assert (code, out) == (1, "")
    assert "wrong secret" in err
    app = deployment.json(
        "--config", str(config), "--op", "getApp", "--client-secret", deployment.secret, env=env
    )
    assert app["appId"] == deployment.daemon_app_id
