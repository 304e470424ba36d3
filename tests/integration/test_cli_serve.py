"""`tenantlab serve` as a user runs it: a real process, TLS from the data folder, real clients."""

from __future__ import annotations

import base64
import json
import os
import queue
import signal
import socket
import ssl
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import msal
import pytest

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[2] / "examples" / "contoso.yaml"


def cli_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env["TENANTLAB_HOME"] = str(home)
    return env


def tenantlab(home: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "tenantlab.cli", *args],
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


class Served:
    def __init__(self, process: subprocess.Popen[str], output: list[str]) -> None:
        self.process = process
        self.output = output

    @property
    def origin(self) -> str:
        line = next(x for x in self.output if x.startswith("tenantlab is serving "))
        return line.split()[3]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    home = tmp_path / "home"
    process = subprocess.Popen(
        [sys.executable, "-m", "tenantlab.cli", "serve", "--port", "0", "--seed", str(EXAMPLE)],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    output: list[str] = []
    try:
        while not output or not output[-1].startswith("press Ctrl+C"):
            try:
                output.append(lines.get(timeout=90))
            except queue.Empty:
                pytest.fail(f"tenantlab serve did not start: {output}")
        yield Served(process, output), home
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def test_serve_seeds_prints_its_origin_and_msal_gets_a_token_through_the_env_bundle(
    served: tuple[Served, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, home = served
    origin = server.origin
    text = "".join(server.output)
    assert "tenant Contoso" in text
    assert 'eval "$(tenantlab env)"' in text
    assert "registered ToDo List API" in text

    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in tenantlab(home, "env").stdout.splitlines()
    )
    context = ssl.create_default_context(cafile=exports["SSL_CERT_FILE"])
    url = f"{origin}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration"
    with urllib.request.urlopen(url, context=context, timeout=30) as response:
        discovery = json.load(response)
    tenant = json.loads(
        tenantlab(home, "tenant", "show", "contoso.onmicrosoft.com", "--json").stdout
    )
    assert discovery["issuer"] == f"{origin}/{tenant['id']}/v2.0"
    # The served origin (port 0 picked a free one) is recorded: commands use it, not 5443.
    assert json.loads((home / "server.json").read_text())["origin"] == origin
    assert f"authority     {origin}/{tenant['id']}" in tenantlab(home, "tenant", "show").stdout

    api = json.loads(tenantlab(home, "app", "show", "ToDo List API", "--json").stdout)
    daemon = json.loads(tenantlab(home, "app", "show", "ToDo Daemon", "--json").stdout)
    [kept] = json.loads((home / "secrets" / f"{daemon['appId']}.json").read_text())
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    client = msal.ConfidentialClientApplication(
        daemon["appId"],
        client_credential=kept["secretText"],
        authority=f"{origin}/contoso.onmicrosoft.com",
        instance_discovery=False,
    )
    result = client.acquire_token_for_client(scopes=[f"api://{api['appId']}/.default"])
    assert "access_token" in result, result
    token = claims(result["access_token"])
    assert token["aud"] == api["appId"]
    assert token["tid"] == tenant["id"]
    assert token["azp"] == daemon["appId"]
    assert sorted(token["roles"]) == ["ToDoList.Read.All", "ToDoList.ReadWrite.All"]

    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=30) == 0
    assert not (home / "server.json").exists()  # a stopped server leaves no record behind
    assert server.process.stderr is not None
    stderr = server.process.stderr.read()
    assert "Traceback" not in stderr
    assert kept["secretText"] not in stderr


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = tenantlab(tmp_path, "serve", "--port", str(port), code=2)
    assert done.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")


def test_plain_http_needs_the_proxys_https_origin(tmp_path: Path) -> None:
    done = tenantlab(tmp_path, "serve", "--port", "0", "--http", code=2)
    assert "--public-url https://" in done.stderr
