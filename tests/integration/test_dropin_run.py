"""`tenantlab run -- COMMAND`: Microsoft's samples and SDKs, unmodified, under Microsoft's names.

Each test runs `tenantlab run` in a subprocess with one data folder for the module (provisioned
once by `tenantlab run --quickstart -- true`). The samples are copied from tests/official-samples
and get only their config: ids, secret, certificate path, with Microsoft's real authority and
Graph URLs. Nothing in them names tenantlab, localhost or a port (the ToDo API's is the
sample's own default, 44351).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from run_support import (
    Quickstart,
    copy_sample,
    mounts,
    npm_installed,
    require_namespaces,
    tenantlab_run,
    write_json,
)

pytestmark = pytest.mark.integration

HOSTS = Path("/etc/hosts")


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Quickstart:
    home = tmp_path_factory.mktemp("dropin") / "home"
    first = tenantlab_run(home, "--quickstart", "--", "true")
    require_namespaces(first)
    assert first.returncode == 0, first.stderr
    return Quickstart(home)


def run_ok(q: Quickstart, *args: str, cwd: Path | None = None) -> str:
    result = tenantlab_run(q.home, *args, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_exit_code_stdout_and_stderr_are_the_commands(quickstart: Quickstart) -> None:
    result = tenantlab_run(
        quickstart.home, "--", "sh", "-c", "printf 'to stdout'; printf 'to stderr' >&2; exit 7"
    )
    assert (result.returncode, result.stdout, result.stderr) == (7, "to stdout", "to stderr")


def test_inside_microsofts_names_are_loopback_and_nothing_else_is_reachable(
    quickstart: Quickstart, tmp_path: Path
) -> None:
    hosts_before, mounts_before = HOSTS.read_bytes(), mounts()
    probe = tmp_path / "probe.py"
    probe.write_text(
        textwrap.dedent(
            """
            import errno, json, socket
            names = ["login.microsoftonline.com", "login.microsoft.com", "login.windows.net",
                     "sts.windows.net", "graph.microsoft.com", "woodgrove.ciamlogin.com"]
            try:
                socket.create_connection(("192.0.2.10", 443), timeout=5)
                outside = "reached"
            except OSError as exc:
                outside = errno.errorcode.get(exc.errno or 0, str(exc))
            interfaces = [name for _, name in socket.if_nameindex()]
            print(json.dumps({"resolved": {n: socket.gethostbyname(n) for n in names},
                              "outside": outside, "interfaces": interfaces}))
            """
        )
    )
    seen = json.loads(run_ok(quickstart, "--", sys.executable, str(probe)))
    assert set(seen["resolved"].values()) == {"127.0.0.1"}
    assert seen["outside"] == "ENETUNREACH"
    assert seen["interfaces"] == ["lo"]
    assert HOSTS.read_bytes() == hosts_before  # the mapping lived in the namespace only
    assert mounts() == mounts_before


def test_python_secret_sample_lists_users(quickstart: Quickstart, tmp_path: Path) -> None:
    sample = copy_sample("python-daemon/1-Call-MsGraph-WithSecret", tmp_path)
    mine = quickstart.python()
    config = json.loads((sample / "parameters.json").read_text())
    config.update(
        authority=f"https://login.microsoftonline.com/{mine['authority'].rsplit('/', 1)[1]}",
        oidc_authority=None,  # the sample's note: one of the two must be null
        client_id=mine["client_id"],
        secret=mine["secret"],
    )
    assert config["endpoint"] == "https://graph.microsoft.com/v1.0/users"  # the sample's own
    write_json(sample / "parameters.json", config)

    out = run_ok(
        quickstart,
        "--",
        sys.executable,
        "confidential_client_secret_sample.py",
        "parameters.json",
        cwd=sample,
    )
    head, _, body = out.partition("Graph API call result: \n")
    assert head == ""
    users = json.loads(body)
    assert users["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#users"
    assert "adele@contoso.onmicrosoft.com" in [u["userPrincipalName"] for u in users["value"]]


def test_python_certificate_sample_lists_users(quickstart: Quickstart, tmp_path: Path) -> None:
    sample = copy_sample("python-daemon/2-Call-MsGraph-WithCertificate", tmp_path)
    mine = quickstart.python_certificate()
    config = json.loads((sample / "parameters.json").read_text())
    config.update(
        # The External ID form Microsoft documents; this sample ignores oidc_authority.
        authority="https://woodgrove.ciamlogin.com/",
        client_id=mine["client_id"],
        thumbprint=mine["thumbprint"],
        private_key_file=mine["private_key_file"],
    )
    write_json(sample / "parameters.json", config)

    out = run_ok(
        quickstart,
        "--",
        sys.executable,
        "confidential_client_certificate_sample.py",
        "parameters.json",
        cwd=sample,
    )
    users = json.loads(out.partition("Graph API call result: \n")[2])
    assert "ana@woodgrove.onmicrosoft.com" in [u["userPrincipalName"] for u in users["value"]]


SDK_SCRIPT = """
import asyncio, json, sys
import jwt, msal, requests
from azure.identity import ClientSecretCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential
from msgraph import GraphServiceClient

workforce, ciam = json.loads(sys.stdin.read())
tenant = workforce["authority"].rsplit("/", 1)[1]

# azure-identity with no authority= and no instance-discovery option: Azure's defaults.
credential = ClientSecretCredential(tenant, workforce["client_id"], workforce["secret"])
graph_token = credential.get_token("https://graph.microsoft.com/.default").token

async def users():
    # msgraph-sdk with its default base URL, https://graph.microsoft.com/v1.0.
    async with AsyncClientSecretCredential(
        tenant, workforce["client_id"], workforce["secret"]
    ) as async_credential:
        client = GraphServiceClient(async_credential)
        page = await client.users.get()
        return [u.user_principal_name for u in page.value]

# The ToDo API's v2 token, from the External ID tenant, as the samples ask for it.
app = msal.ConfidentialClientApplication(
    ciam["CLIENT_ID"], authority=ciam["AUTHORITY"], client_credential=ciam["CLIENT_SECRET"]
)
api = app.acquire_token_for_client([ciam["SCOPES"] + "/.default"])
todos = requests.get(
    "https://localhost:44351/api/todolist",
    headers={"Authorization": "Bearer " + api["access_token"]},
)
claims = lambda token: jwt.decode(token, options={"verify_signature": False})
print(json.dumps({
    "graph": claims(graph_token),
    "users": asyncio.run(users()),
    "api": claims(api["access_token"]),
    "todo_status": todos.status_code,
}))
"""


def test_sdks_with_their_defaults_get_entras_issuers(
    quickstart: Quickstart, tmp_path: Path
) -> None:
    script = tmp_path / "sdks.py"
    script.write_text(SDK_SCRIPT)
    stdin = tmp_path / "stdin.json"
    stdin.write_text(json.dumps([quickstart.python(), quickstart.node_ciam()]))
    result = tenantlab_run(
        quickstart.home,
        "--quickstart",  # serves the quickstart's ToDo API on its port, 44351
        "--",
        "sh",
        "-c",
        f"{sys.executable} {script} < {stdin}",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    graph, api = seen["graph"], seen["api"]
    assert graph["iss"] == f"https://sts.windows.net/{graph['tid']}/"
    assert graph["aud"] == "https://graph.microsoft.com"
    assert "adele@contoso.onmicrosoft.com" in seen["users"]
    assert api["iss"] == f"https://login.microsoftonline.com/{api['tid']}/v2.0"
    assert api["ver"] == "2.0"
    assert seen["todo_status"] == 200


@pytest.mark.node
def test_node_console_sample_get_users(quickstart: Quickstart, node: str, tmp_path: Path) -> None:
    sample = copy_sample("nodejs-console", tmp_path)
    npm_installed(sample)
    mine = quickstart.node()
    (sample / ".env").write_text(
        f"TENANT_ID={mine['TENANT_ID']}\n"
        f"CLIENT_ID={mine['CLIENT_ID']}\n"
        f"CLIENT_SECRET={mine['CLIENT_SECRET']}\n"
        "AAD_ENDPOINT=https://login.microsoftonline.com/\n"
        "GRAPH_ENDPOINT=https://graph.microsoft.com/\n"
    )
    out = run_ok(quickstart, "--", node, ".", "--op", "getUsers", cwd=sample)
    lines = out.splitlines()
    assert lines[0] == "You have selected: getUsers"
    assert lines[1].startswith("request made to web API at: ")
    assert "'@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users'" in out
    assert "userPrincipalName: 'adele@contoso.onmicrosoft.com'" in out
    assert "Error" not in out


@pytest.mark.node
def test_external_id_node_sample_get_todos(
    quickstart: Quickstart, node: str, tmp_path: Path
) -> None:
    sample = copy_sample("ciam-node-daemon/App", tmp_path)
    npm_installed(sample)
    mine = quickstart.node_ciam()
    assert mine["SCOPES"] == mine["SCOPES"].removesuffix("/.default")  # auth.js appends it
    # authConfig.js reads these from the environment; dotenv loads them from .env. The sample's
    # own .env only turned TLS verification off: the local CA is trusted instead.
    (sample / ".env").write_text(
        f"CLIENT_ID={mine['CLIENT_ID']}\n"
        "AUTHORITY=https://woodgrove.ciamlogin.com/\n"
        f"CLIENT_SECRET={mine['CLIENT_SECRET']}\n"
        f"SCOPES={mine['SCOPES']}\n"
    )
    # One item to list, posted first in the same run by MSAL Python with the same app.
    post = tmp_path / "post.py"
    post.write_text(POST_TODO)
    out = run_ok(
        quickstart,
        "--quickstart",
        "--",
        "sh",
        "-c",
        f'{sys.executable} {post} "$1" && exec "$0" . --op getToDos',
        node,
        json.dumps(mine),
        cwd=sample,
    )
    assert out.startswith("posted\nYou have selected: getToDos\n")
    assert "@azure/msal-node" in out  # the sample's MSAL logger prints to stdout
    assert "request made to web API at: " in out
    assert "description: 'Water the plants'" in out
    assert "AxiosError" not in out
    assert "ServerError" not in out


POST_TODO = """
import json, sys, uuid
import msal, requests
env = json.loads(sys.argv[1])
app = msal.ConfidentialClientApplication(
    env["CLIENT_ID"], authority="https://woodgrove.ciamlogin.com/",
    client_credential=env["CLIENT_SECRET"],
)
token = app.acquire_token_for_client([env["SCOPES"] + "/.default"])["access_token"]
created = requests.post(
    "https://localhost:44351/api/todolist",
    json={"owner": str(uuid.uuid4()), "description": "Water the plants"},
    headers={"Authorization": "Bearer " + token},
)
assert created.status_code == 201, created.text
print("posted", flush=True)
"""


FETCH_JAVA = """
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

public class Fetch {
    public static void main(String[] args) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create(args[0])).build(),
            HttpResponse.BodyHandlers.ofString());
        System.out.println(response.statusCode());
    }
}
"""


def test_curl_and_java_trust_the_local_ca_through_the_environment(
    quickstart: Quickstart, tmp_path: Path
) -> None:
    missing = [tool for tool in ("curl", "java", "javac") if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} needed (scripts/system-deps installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: a missing tool fails the run)")
        pytest.skip(message)
    (tmp_path / "Fetch.java").write_text(FETCH_JAVA)
    discovery = "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration"
    result = tenantlab_run(
        quickstart.home,
        "--",
        "sh",
        "-c",
        'curl -sS -o /dev/null -w "%{http_code}\\n" https://graph.microsoft.com/v1.0/users'
        f' && java Fetch.java "{discovery}"',
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    # Graph says 401 without a token: the TLS handshake with graph.microsoft.com succeeded.
    assert result.stdout.splitlines() == ["401", "200"]
    assert "Picked up JAVA_TOOL_OPTIONS: -Djavax.net.ssl.trustStore=" in result.stderr


SEED = """
tenants:
  - displayName: Fabrikam
    domain: fabrikam.onmicrosoft.com
    type: external
"""

DISCOVERY_PROBE = """
import json, socket, requests
url = "https://fabrikam.ciamlogin.com/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration"
print(json.dumps({"address": socket.gethostbyname("fabrikam.ciamlogin.com"),
                  "issuer": requests.get(url).json()["issuer"]}))
"""


def test_seed_provisions_first_and_its_tenants_ciam_host_is_served(tmp_path: Path) -> None:
    seed = tmp_path / "fabrikam.yaml"
    seed.write_text(SEED)
    probe = tmp_path / "probe.py"
    probe.write_text(DISCOVERY_PROBE)
    result = tenantlab_run(tmp_path / "home", "--seed", str(seed), "--", sys.executable, str(probe))
    require_namespaces(result)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["address"] == "127.0.0.1"
    assert seen["issuer"].startswith("https://login.microsoftonline.com/")
    assert seen["issuer"].endswith("/v2.0")
