"""The running server's record, `tenantlab env`'s status lines and `tenantlab portal password`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from click.testing import Result

from tenantlab.config import PlatformSettings
from tenantlab.portal.admin import LocalAdministrator
from tenantlab.served import (
    forget_server,
    public_origin,
    read_server,
    record_server,
    running_server,
    server_file,
)

Run = Callable[..., Result]
RunJson = Callable[..., Any]


def finished_pid() -> int:
    """The id of a process that has exited (a killed server's record points at one like it)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_record_of_this_process_is_read_and_forgotten(tmp_path: Path) -> None:
    settings = PlatformSettings(home=tmp_path, port=5443)
    assert public_origin(settings) == "https://localhost:5443"
    record_server(tmp_path, "https://localhost:9443/", todo_origin="https://localhost:9444")
    assert (os.stat(server_file(tmp_path)).st_mode & 0o777) == 0o600
    found = running_server(tmp_path)
    assert found is not None
    assert (found.origin, found.pid, found.todo_origin) == (
        "https://localhost:9443",
        os.getpid(),
        "https://localhost:9444",
    )
    assert public_origin(settings) == "https://localhost:9443"
    forget_server(tmp_path)
    assert not server_file(tmp_path).exists()


def test_a_killed_servers_record_is_stale_and_ignored(tmp_path: Path) -> None:
    server_file(tmp_path).write_text(
        json.dumps({"origin": "https://localhost:9443", "pid": finished_pid()})
    )
    assert read_server(tmp_path) is not None
    assert running_server(tmp_path) is None
    assert public_origin(PlatformSettings(home=tmp_path)) == "https://localhost:5443"
    forget_server(tmp_path)  # another process's record: left for the next server to overwrite
    assert server_file(tmp_path).exists()


def test_a_damaged_record_is_ignored(tmp_path: Path) -> None:
    server_file(tmp_path).write_text("{not json")
    assert read_server(tmp_path) is None


def test_tenant_show_uses_the_running_servers_origin(
    run: Run, run_json: RunJson, tmp_path: Path
) -> None:
    home = tmp_path / "tenantlab-home"
    created = run_json("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    record_server(home, "https://localhost:9443")
    assert f"https://localhost:9443/{created['id']}" in run("tenant", "show").stdout
    shown = run_json("tenant", "show", "--credentials")
    assert shown["authority"] == f"https://localhost:9443/{created['id']}"
    assert shown["graphEndpoint"] == "https://localhost:9443/v1.0"


def test_env_keeps_stdout_for_exports_and_says_the_rest_on_stderr(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TENANTLAB_PORTAL_PASSWORD", raising=False)
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    run("tenant", "use", "contoso")
    record_server(tmp_path / "tenantlab-home", "https://localhost:9443")
    result = run("env")
    assert all(line.startswith("export ") for line in result.stdout.splitlines())
    assert "server: https://localhost:9443 (running)" in result.stderr
    assert "current tenant: Contoso (contoso.onmicrosoft.com)" in result.stderr
    assert "https://localhost:9443/portal" in result.stderr
    assert "first server start creates the user admin" in result.stderr
    status = json.loads(run("env", "--json").stdout)
    assert status["currentTenant"]["domain"] == "contoso.onmicrosoft.com"
    assert status["server"] == {
        "origin": "https://localhost:9443",
        "running": True,
        "todoOrigin": None,
    }
    assert "SSL_CERT_FILE" in status["exports"]


def test_portal_password_resets_and_prints_it_once(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TENANTLAB_PORTAL_PASSWORD", raising=False)
    home = tmp_path / "tenantlab-home"
    admin = LocalAdministrator(home, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    admin.ensure("First-Passw0rd")
    before = admin.generation()
    result = run("portal", "password")
    new_password = result.stdout.strip()
    assert admin.verify("admin", new_password)
    assert not admin.verify("admin", "First-Passw0rd")
    assert before is not None
    assert admin.generation() == before + 1  # old sessions end
    assert "shown only now" in result.stderr
    assert new_password not in result.stderr
    assert "forgot it? `tenantlab portal password`" in run("env").stderr
    second = json.loads(run("portal", "password", "--json").stdout)
    assert second["userName"] == "admin"
    assert admin.verify("admin", second["password"])
