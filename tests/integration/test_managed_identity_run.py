"""Managed identity under `tenantlab run --managed-identity HOST`: the SDKs with nothing set.

Inside the namespace the instance metadata service is at 169.254.169.254:80, where the SDKs look
on an Azure VM; with the App Service form `tenantlab run` also sets IDENTITY_ENDPOINT and
IDENTITY_HEADER, as App Service does. The script below sets no variable and passes no endpoint:
MSAL's ManagedIdentityClient, azure-identity's ManagedIdentityCredential and
DefaultAzureCredential() find the endpoint themselves, and Graph (graph.microsoft.com) and the
quickstart's ToDo API accept their tokens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from run_support import command, environment, require_namespaces, tenantlab_run

pytestmark = pytest.mark.integration

WOODGROVE = "woodgrove.onmicrosoft.com"  # the quickstart's tenant with the ToDo API
TODO_API = "ciam-ToDoList-api"

SCRIPT = r"""
import json, os, sys
import msal, requests
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

user_client_id, api = sys.argv[1], sys.argv[2]
graph = "https://graph.microsoft.com"
found = {name: os.environ.get(name) for name in
         ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST")}

def graph_users(token):
    bearer = {"Authorization": "Bearer " + token}
    return requests.get(graph + "/v1.0/users", headers=bearer).status_code

def todos(token):
    return requests.get("https://localhost:44351/api/todolist",
                        headers={"Authorization": "Bearer " + token}).status_code

seen = {"env": found}
system = msal.ManagedIdentityClient(
    msal.SystemAssignedManagedIdentity(), http_client=requests.Session())
token = system.acquire_token_for_client(resource=graph)["access_token"]
seen["msal_system_graph"] = graph_users(token)
user = msal.ManagedIdentityClient(
    msal.UserAssignedManagedIdentity(client_id=user_client_id), http_client=requests.Session())
seen["msal_user_todo"] = todos(user.acquire_token_for_client(resource=api)["access_token"])
with ManagedIdentityCredential() as credential:
    seen["mic_system_graph"] = graph_users(credential.get_token(graph + "/.default").token)
with ManagedIdentityCredential(client_id=user_client_id) as credential:
    seen["mic_user_todo"] = todos(credential.get_token(api + "/.default").token)
with DefaultAzureCredential() as credential:
    seen["dac_graph"] = graph_users(credential.get_token(graph + "/.default").token)
    seen["dac_todo"] = todos(credential.get_token(api + "/.default").token)
    seen["dac_claims"] = credential.get_token(api + "/.default").token.split(".")[1]
print(json.dumps(seen))
"""


def cli(home: Path, *args: str) -> str:
    done = subprocess.run(
        command(*args), env=environment(home), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("mi-run") / "home"
    first = tenantlab_run(home, "--quickstart", "--", "true")
    require_namespaces(first)
    assert first.returncode == 0, first.stderr
    cli(home, "managed-identity", "create", "--system-assigned", "vm1", "-t", WOODGROVE)
    user = json.loads(
        cli(
            home, "managed-identity", "create", "worker", "--host", "vm1", "-t", WOODGROVE, "--json"
        )
    )
    api = json.loads(cli(home, "app", "show", TODO_API, "-t", WOODGROVE, "--json"))
    for name in ("vm1", "worker"):
        cli(home, "app", "grant", name, "graph", "--role", "User.Read.All", "-t", WOODGROVE)
        cli(home, "app", "grant", name, TODO_API, "--role", "ToDoList.Read.All", "-t", WOODGROVE)
    return {"home": home, "user": user, "api": f"api://{api['appId']}"}


@pytest.mark.parametrize("form", ["app-service", "imds"])
def test_sdks_find_the_hosts_identity_with_nothing_set(
    host: dict[str, Any], tmp_path: Path, form: str
) -> None:
    script = tmp_path / "mi.py"
    script.write_text(SCRIPT)
    result = tenantlab_run(
        host["home"],
        "--quickstart",
        "--managed-identity",
        "vm1",
        "--identity-endpoint",
        form,
        "--",
        sys.executable,
        str(script),
        host["user"]["clientId"],
        host["api"],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout)
    if form == "imds":
        assert seen["env"] == dict.fromkeys(seen["env"])  # nothing set: 169.254.169.254 it is
    else:
        assert seen["env"]["IDENTITY_ENDPOINT"] == "http://169.254.169.254/msi/token"
        assert seen["env"]["IDENTITY_HEADER"]
        assert seen["env"]["AZURE_POD_IDENTITY_AUTHORITY_HOST"] is None
    for check in (
        "msal_system_graph",
        "msal_user_todo",
        "mic_system_graph",
        "mic_user_todo",
        "dac_graph",
        "dac_todo",
    ):
        assert seen[check] == 200, (check, seen)
    import base64

    payload = seen["dac_claims"]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["iss"].startswith("https://login.microsoftonline.com/")
    assert "/virtualMachines/vm1" in claims["xms_mirid"]


def test_an_unknown_host_is_one_line(host: dict[str, Any]) -> None:
    result = tenantlab_run(host["home"], "--managed-identity", "nowhere", "--", "true")
    assert result.returncode == 2
    assert result.stderr.startswith("error: no managed identity is on host 'nowhere'")
    assert len(result.stderr.strip().splitlines()) == 1
    assert os.path.exists(host["home"])
