"""`tenantlab serve --managed-identity-port` as a user runs it: a tenant file declares the
identities, `managed-identity env` points a separate Python process at the listener, and
DefaultAzureCredential() there gets a Graph token that Graph accepts. Ctrl+C stops both listeners.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest

pytestmark = pytest.mark.integration

SEED = """
tenants:
  - displayName: Contoso
    domain: contoso
    users:
      - userPrincipalName: adele
        displayName: Adele Vance
    managedIdentities:
      - name: vm1
        type: SystemAssigned
        grants:
          - resource: graph
            roles: [User.Read.All]
"""

CLIENT = r"""
import json, sys, urllib.request
from azure.identity import DefaultAzureCredential
with DefaultAzureCredential() as credential:
    token = credential.get_token("https://graph.microsoft.com/.default").token
request = urllib.request.Request(sys.argv[1] + "/v1.0/users",
                                 headers={"Authorization": "Bearer " + token})
with urllib.request.urlopen(request) as response:
    print(json.dumps([u["displayName"] for u in json.load(response)["value"]]))
"""


def environment(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TENANTLAB_", "AZURE_", "IDENTITY_", "MSI_", "IMDS_"))
    }
    env["TENANTLAB_HOME"] = str(home)
    return env


def tenantlab(home: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tenantlab.cli", *args],
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def test_serve_with_managed_identity_port(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seed = tmp_path / "tenant.yaml"
    seed.write_text(SEED)
    serve = ["serve", "--port", "0", "--managed-identity-port", "0", "--seed", str(seed)]
    process = subprocess.Popen(
        [sys.executable, "-m", "tenantlab.cli", *serve],
        env=environment(home),
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
        text = "".join(output)
        assert "created managed identity vm1" in text
        origin = next(x for x in output if x.startswith("tenantlab is serving ")).split()[3]
        listener = next(x for x in output if x.startswith("managed identity endpoints on "))
        endpoint = listener.split()[4]
        assert endpoint.startswith("http://127.0.0.1:")

        client_env = environment(home)
        for line in (
            tenantlab(home, "env").splitlines()
            + tenantlab(home, "managed-identity", "env", "vm1", "--endpoint", endpoint).splitlines()
        ):
            name, value = line.removeprefix("export ").split("=", 1)
            client_env[name] = value.strip("'\"")
        script = tmp_path / "client.py"
        script.write_text(CLIENT)
        done = subprocess.run(
            [sys.executable, str(script), origin],
            env=client_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Adele Vance" in json.loads(done.stdout)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail("tenantlab serve did not stop on Ctrl+C")
    assert code == 0
    port = int(endpoint.rsplit(":", 1)[1])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # the listener is closed too
