"""`tenantlab quickstart` and `tenantlab up` end to end: real processes, TLS, ephemeral ports.

Each test runs the command in a subprocess with its own TENANTLAB_HOME, so the servers, MSAL and
the daemon talk HTTPS exactly as they do for a user.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tenantlab.daemon.console import main as daemon_main
from tenantlab.todo import TodoStore, open_todo_database

pytestmark = pytest.mark.integration

STEP_HEADERS = (
    "== [1/4] getUsers: Contoso (workforce), daemon-console-app",
    "== [2/4] getApp: Contoso (workforce), daemon-console-app",
    "== [3/4] ToDo scenario: Woodgrove (external), ciam-daemon-app",
    "== [4/4] getUsers: Woodgrove (external), ciam-daemon-app",
)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tenantlab.cli", *args]


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env["TENANTLAB_HOME"] = str(home)
    return env


def quickstart_once(home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command("quickstart", "--once", "--port", "0", "--todo-port", "0", *extra),
        env=environment(home),
        capture_output=True,
        text=True,
        check=False,
    )


def tenant_ids(output: str) -> dict[str, str]:
    created = re.findall(r"created tenant (\w+) \(([0-9a-f-]{36}),", output)
    reused = re.findall(r"reused (\w+) \(([0-9a-f-]{36})\) and (\w+) \(([0-9a-f-]{36})\)", output)
    found = dict(created)
    for a, a_id, b, b_id in reused:
        found.update({a: a_id, b: b_id})
    return found


def secrets_in(folder: Path) -> list[str]:
    python = json.loads((folder / "python" / "parameters.json").read_text())
    client = json.loads((folder / "dotnet" / "ToDoListClient" / "appsettings.json").read_text())
    return [python["secret"], client["AzureAd"]["ClientCredentials"][0]["ClientSecret"]]


def test_quickstart_once_runs_every_step_then_a_second_run_reuses_the_tenants(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    first = quickstart_once(home)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    for header in STEP_HEADERS:
        assert header in out
    assert out.count("token    acquired from the identity provider") == 3
    assert "token    from the cache" in out  # getApp reuses getUsers' Graph token
    assert "roles    ToDoList.Read.All, ToDoList.ReadWrite.All" in out
    assert out.count("Graph API call result: ") == 2
    # getApp: the Overview page's fields; the whole object in a file, not on the console.
    assert "   Display name             daemon-console-app" in out
    assert f"   Directory (tenant) ID    {tenant_ids(out)['Contoso']}" in out
    assert '"displayName": "daemon-console-app"' not in out
    full = json.loads((home / "quickstart" / "getApp.json").read_text())
    assert full["displayName"] == "daemon-console-app"
    assert f"   Application (client) ID  {full['appId']}" in out
    assert "Message: Eat bread" in out
    assert out.rstrip().endswith("stopped")
    assert "There are no to-do's in server" in out
    assert "quickstart: all 4 steps succeeded" in out
    for secret in secrets_in(home / "quickstart"):
        assert secret not in out
        assert secret not in first.stderr
    ids = tenant_ids(out)
    assert set(ids) == {"Contoso", "Woodgrove"}

    second = quickstart_once(home)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing to change" in second.stdout
    assert tenant_ids(second.stdout) == ids
    assert "quickstart: all 4 steps succeeded" in second.stdout


def test_a_failing_step_is_reported_the_others_run_and_the_exit_code_is_1(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path / "home")
    # The embedded ToDo API honours TENANTLAB_TODO_*: demand a role nobody holds for writes.
    env["TENANTLAB_TODO_WRITE_APP_PERMISSIONS"] = "ToDoList.Admin.All"
    result = subprocess.run(
        command("quickstart", "--once", "--port", "0", "--todo-port", "0"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    for header in STEP_HEADERS:
        assert header in out
    assert "Posting a to-do...\nerror: the ToDo API refused todo add" in out
    assert "quickstart: 1 of 4 steps failed: ToDo scenario" in out
    assert "Traceback" not in out + result.stderr
    for secret in secrets_in(tmp_path / "home" / "quickstart"):
        assert secret not in out


def test_a_busy_port_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = subprocess.run(
            command("quickstart", "--once", "--port", "0", "--todo-port", str(port)),
            env=environment(tmp_path / "home"),
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}:")
    assert "--todo-port" in result.stderr
    assert "Traceback" not in result.stderr


@dataclass
class Up:
    process: subprocess.Popen[str]
    home: Path
    output: list[str]

    @property
    def text(self) -> str:
        return "".join(self.output)

    @property
    def cloud_port(self) -> int:
        match = re.search(r"serving https://localhost:(\d+) ", self.text)
        assert match is not None, self.text
        return int(match.group(1))

    def daemon(self, *argv: str) -> Any:
        """`tenantlab daemon ARGV` (its own entry point), configured only by the sample file."""
        out, err = io.StringIO(), io.StringIO()
        code = daemon_main(list(argv), stdout=out, stderr=err, environ=environment(self.home))
        assert (code, err.getvalue()) == (0, ""), err.getvalue()
        return json.loads(out.getvalue())


@contextmanager
def running_up(home: Path) -> Iterator[Up]:
    """`tenantlab up` in a subprocess, returned once its status panel is printed."""
    process = subprocess.Popen(
        command("up", "--port", "0", "--todo-port", "0"),
        env=environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        for line in process.stdout:  # until the panel is complete (pytest-timeout bounds a hang)
            lines.append(line)
            if line.startswith("-") and any("NODE_EXTRA_CA_CERTS" in seen for seen in lines):
                break
        else:
            pytest.fail("tenantlab up ended before its panel:\n" + "".join(lines))
        yield Up(process, home, lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    with running_up(tmp_path / "home") as running:
        yield running


def test_every_written_config_works_against_the_running_servers(up: Up) -> None:
    folder = up.home / "quickstart"
    panel = up.text
    assert "tenantlab is up  (Ctrl+C stops it)" in panel
    for secret in secrets_in(folder):
        assert secret not in panel

    python = folder / "python" / "parameters.json"
    users = up.daemon("--config", str(python), "--op", "getUsers")
    assert "adele@contoso.onmicrosoft.com" in [u["userPrincipalName"] for u in users["value"]]
    assert up.daemon("--config", str(python), "--op", "getApp")["displayName"] == (
        "daemon-console-app"
    )
    certificate = folder / "python-certificate" / "parameters.json"
    customers = up.daemon("--config", str(certificate), "--op", "getUsers")
    assert "ana@woodgrove.onmicrosoft.com" in [u["userPrincipalName"] for u in customers["value"]]
    for config in (folder / "node" / ".env", folder / "java" / "application.properties"):
        assert len(up.daemon("--config", str(config), "--op", "getUsers")["value"]) == 5
    client = folder / "dotnet" / "ToDoListClient" / "appsettings.json"
    steps = up.daemon("--config", str(client), "--op", "scenario")
    assert [s["request"] for s in steps][:3] == ["POST", "GET", "POST"]
    kept = up.daemon("--config", str(client), "todo", "add", "survives Ctrl+C")
    todos = up.daemon("--config", str(folder / "node-ciam" / ".env"), "--op", "getToDos")
    assert kept in todos

    up.process.send_signal(signal.SIGINT)
    rest, _ = up.process.communicate()
    assert up.process.returncode == 0, rest
    assert rest.rstrip().endswith("stopped")

    api = json.loads((folder / "dotnet" / "ToDoListAPI" / "appsettings.json").read_text())
    database = open_todo_database(f"sqlite:///{up.home / 'todo.db'}")
    try:
        stored = TodoStore(database).list(tenant_id=api["AzureAd"]["TenantId"], owner=None)
    finally:
        database.dispose()
    assert [t.description for t in stored] == ["survives Ctrl+C"]
