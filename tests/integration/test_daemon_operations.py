"""The daemon against a live tenantlab (real uvicorn + TLS, real MSAL): every operation.

Also home of `deploy()`, which the other test_daemon_* modules import: a tenant with a ToDo API
registration (running under its own TLS server) and a daemon registration whose permissions
the test chooses, as an admin would grant them in the portal.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tenantlab.daemon.console import main
from tenantlab.keys import ensure_tls
from tenantlab.testing import serve_in_thread
from tenantlab.todo import TodoApiSettings, build_app

pytestmark = pytest.mark.integration

LiveCloud = Any  # fixture types live in tests/integration/conftest.py (tests is no package)
Tenant = Any

ALL_GRANTS = (
    ("api", "ToDoList.Read.All"),
    ("api", "ToDoList.ReadWrite.All"),
    ("graph", "User.Read.All"),
    ("graph", "Application.Read.All"),
)


@dataclass
class DaemonDeployment:
    cloud: LiveCloud
    tenant_id: str
    domain: str
    api_app_id: str
    daemon_app_id: str
    daemon_object_id: str
    secret: str
    todo_url: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def authority(self) -> str:
        return self.cloud.authority(self.tenant_id)

    @property
    def api_scope(self) -> str:
        return f"api://{self.api_app_id}/.default"

    def base_env(self) -> dict[str, str]:
        """The daemon configured by TENANTLAB_DAEMON_* variables alone (secret credential)."""
        return {
            **os.environ,
            "TENANTLAB_DAEMON_AUTHORITY": self.authority,
            "TENANTLAB_DAEMON_CLIENT_ID": self.daemon_app_id,
            "TENANTLAB_DAEMON_CLIENT_SECRET": self.secret,
            "TENANTLAB_DAEMON_GRAPH_ENDPOINT": self.cloud.origin,
            "TENANTLAB_DAEMON_API_ENDPOINT": f"{self.todo_url}/api/todolist",
            "TENANTLAB_DAEMON_API_SCOPE": self.api_scope,
        }

    def run(self, *argv: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
        """`tenantlab daemon ARGV` in this process (the real client, real MSAL, real TLS)."""
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), stdout=out, stderr=err, environ=dict(env or self.base_env()))
        return code, out.getvalue(), err.getvalue()

    def json(self, *argv: str, env: Mapping[str, str] | None = None) -> Any:
        code, out, err = self.run(*argv, env=env)
        assert code == 0, err
        assert err == ""
        return json.loads(out)


@contextmanager
def deploy(
    cloud: LiveCloud,
    tenant: Tenant,
    folder: Path,
    *,
    grants: tuple[tuple[str, str], ...] = ALL_GRANTS,
    users: int = 0,
    api_instance: str | None = None,
) -> Iterator[DaemonDeployment]:
    directory = cloud.directory
    api = directory.create_application(
        tenant=tenant.id,
        display_name="ciam-dotnet-api",
        identifier_uris=["api://{appId}"],
        requested_access_token_version=2,
    )
    for value in ("ToDoList.Read.All", "ToDoList.ReadWrite.All"):
        directory.add_app_role(tenant=tenant.id, app=api.app_id, value=value)
    daemon = directory.create_application(tenant=tenant.id, display_name="ciam-dotnet-daemon")
    secret = directory.add_password(tenant=tenant.id, app=daemon.app_id).secret_text
    for resource, role in grants:
        directory.grant_app_role(
            tenant=tenant.id,
            client=daemon.app_id,
            resource=api.app_id if resource == "api" else "https://graph.microsoft.com",
            role=role,
        )
    domain = directory.tenant_domains(tenant.id)[0]
    for index in range(users):
        directory.create_user(
            tenant=tenant.id,
            user_principal_name=f"user{index}@{domain}",
            display_name=f"User {index}",
        )
    settings = TodoApiSettings(
        instance=api_instance or cloud.origin,
        tenant_id=tenant.id,
        client_id=api.app_id,
        ca_bundle=cloud.ca_bundle,
        database_url=f"sqlite:///{folder / 'todo.db'}",
        home=folder,
    )
    tls = ensure_tls(cloud.home)
    with serve_in_thread(
        lambda _port: build_app(settings), certfile=tls.server_cert, keyfile=tls.server_key
    ) as server:
        yield DaemonDeployment(
            cloud=cloud,
            tenant_id=tenant.id,
            domain=domain,
            api_app_id=api.app_id,
            daemon_app_id=daemon.app_id,
            daemon_object_id=daemon.id,
            secret=secret,
            todo_url=server.origin,
        )


@pytest.fixture
def deployment(cloud: LiveCloud, tenant: Tenant, tmp_path: Path) -> Iterator[DaemonDeployment]:
    with deploy(cloud, tenant, tmp_path, users=5) as d:
        yield d


def test_get_users_follows_every_page(deployment: DaemonDeployment) -> None:
    result = deployment.json("--op", "getUsers", "--top", "2", "--select", "id,displayName")
    names = sorted(u["displayName"] for u in result["value"])
    assert [n for n in names if n.startswith("User ")] == [f"User {i}" for i in range(5)]
    assert "@odata.nextLink" not in result
    assert set(result["value"][0]) <= {"id", "displayName", "@odata.type"}


def test_get_users_max_pages_stops_and_keeps_the_next_link(deployment: DaemonDeployment) -> None:
    result = deployment.json("--op", "getUsers", "--top", "2", "--max-pages", "1")
    assert len(result["value"]) == 2
    assert result["@odata.nextLink"].startswith(f"{deployment.cloud.origin}/v1.0/users?")


def test_get_app_by_client_id_and_by_object_id(deployment: DaemonDeployment) -> None:
    by_app_id = deployment.json("--op", "getApp")
    assert by_app_id["appId"] == deployment.daemon_app_id
    assert by_app_id["id"] == deployment.daemon_object_id
    by_object = deployment.json("--op", "getApp", "--app-object-id", deployment.daemon_object_id)
    assert by_object["displayName"] == "ciam-dotnet-daemon"


def test_todo_operations_and_get_todos(deployment: DaemonDeployment) -> None:
    added = deployment.json("todo", "add", "Bake bread", "--owner", deployment.daemon_app_id)
    assert added["description"] == "Bake bread"
    item = str(added["id"])
    assert deployment.json("todo", "show", item)["owner"] == deployment.daemon_app_id
    assert deployment.json("--op", "todo", "edit", item, "Eat bread")["description"] == "Eat bread"
    assert [t["description"] for t in deployment.json("--op", "getToDos")] == ["Eat bread"]
    assert deployment.json("todo", "delete", item) == {"deleted": item}
    assert deployment.json("todo", "list") == []


def test_scenario_prints_the_samples_lines(deployment: DaemonDeployment) -> None:
    code, out, err = deployment.run("--op", "scenario", "--output", "table")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line for line in lines if not line.startswith(("ID: ", "User ID: "))] == [
        "Posting a to-do...",
        "Retrieving to-do's from server...",
        "To-do data:",
        "Message: Bake bread",
        "Posting a second to-do...",
        "Retrieving to-do's from server...",
        "To-do data:",
        "Message: Bake bread",
        "Message: Butter bread",
        "Deleting a to-do...",
        "Retrieving to-do's from server...",
        "To-do data:",
        "Message: Butter bread",
        "Editing a to-do...",
        "Retrieving to-do's from server...",
        "To-do data:",
        "Message: Eat bread",
        "Deleting remaining to-do...",
        "Retrieving to-do's from server...",
        "There are no to-do's in server",
    ]


def test_table_output(deployment: DaemonDeployment) -> None:
    code, out, _ = deployment.run("--op", "getUsers", "--output", "table")
    assert code == 0
    assert f"user3@{deployment.domain}" in out


def test_verbose_shows_token_source_and_the_cache_file_is_reused(
    deployment: DaemonDeployment, tmp_path: Path
) -> None:
    cache = tmp_path / "daemon-cache.json"
    env = {**deployment.base_env(), "TENANTLAB_DAEMON_TOKEN_CACHE": str(cache)}
    first = deployment.run("--op", "getToDos", "--verbose", env=env)
    second = deployment.run("--op", "getToDos", "--verbose", env=env)
    assert "token_source=identity_provider" in first[2]
    assert "token_source=cache" in second[2]
    assert "token_source=identity_provider" not in second[2]
    assert oct(cache.stat().st_mode & 0o777) == "0o600"
    assert deployment.secret not in cache.read_text()


def test_python_m_and_the_tenantlab_command(deployment: DaemonDeployment) -> None:
    """The real entry points, as subprocesses: JSON alone on stdout, exit code 0."""
    env = deployment.base_env()
    module = subprocess.run(
        [sys.executable, "-m", "tenantlab.daemon", "--op", "getApp"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert module.returncode == 0, module.stderr
    assert json.loads(module.stdout)["appId"] == deployment.daemon_app_id
    command = Path(sys.executable).parent / "tenantlab"
    cli = subprocess.run(
        [str(command), "daemon", "todo", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == []
