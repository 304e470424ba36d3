"""The quickstart's configs in the hands of the official samples' own libraries.

What each Microsoft sample does with its file, done here with the same unmodified client library
(MSAL Python with requests, @azure/msal-node) against `tenantlab up` — plus exactly the one
option docs/official-samples.md tells users to add, and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msal
import pytest
import requests
from msal_node import run_client_credentials
from test_quickstart import Up, running_up

from tenantlab.daemon.formats import parse_dotenv

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    with running_up(tmp_path_factory.mktemp("quickstart") / "home") as running:
        yield running


@pytest.fixture
def trust(up: Up, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `source quickstart/env.sh` does for the samples."""
    for line in (up.home / "quickstart" / "env.sh").read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            monkeypatch.setenv(name, value)


def test_python_secret_sample_runs_unmodified_with_oidc_authority(up: Up, trust: None) -> None:
    config = json.loads((up.home / "quickstart" / "python" / "parameters.json").read_text())
    app = msal.ConfidentialClientApplication(
        config["client_id"],
        authority=config.get("authority"),
        oidc_authority=config.get("oidc_authority"),
        client_credential=config["secret"],
    )
    result = app.acquire_token_for_client(scopes=config["scope"])
    assert "access_token" in result, result.get("error_description")
    graph = requests.get(
        config["endpoint"], headers={"Authorization": "Bearer " + result["access_token"]}
    ).json()
    assert len(graph["value"]) == 5


def test_python_certificate_sample_needs_instance_discovery_off(up: Up, trust: None) -> None:
    folder = up.home / "quickstart" / "python-certificate"
    config = json.loads((folder / "parameters.json").read_text())
    app = msal.ConfidentialClientApplication(
        config["client_id"],
        authority=config["authority"],
        client_credential={
            "thumbprint": config["thumbprint"],
            "private_key": Path(config["private_key_file"]).read_text(),
        },
        instance_discovery=False,  # the one line docs/official-samples.md adds
    )
    result = app.acquire_token_for_client(scopes=config["scope"])
    assert "access_token" in result, result.get("error_description")
    graph = requests.get(
        config["endpoint"], headers={"Authorization": "Bearer " + result["access_token"]}
    ).json()
    assert "ana@woodgrove.onmicrosoft.com" in [u["userPrincipalName"] for u in graph["value"]]


def msal_node(node: str, up: Up, request: dict[str, Any]) -> dict[str, Any]:
    result = run_client_credentials(node, up.home / "ca-bundle.pem", request)
    assert "error" not in result, result
    return result


@pytest.mark.node
def test_node_samples_need_known_authorities(node: str, up: Up) -> None:
    folder = up.home / "quickstart"
    known = [f"localhost:{up.cloud_port}"]  # the one option msal-node needs
    console = parse_dotenv((folder / "node" / ".env").read_text())
    msal_node(
        node,
        up,
        {
            "authority": console["AAD_ENDPOINT"] + console["TENANT_ID"],
            "knownAuthorities": known,
            "clientId": console["CLIENT_ID"],
            "clientSecret": console["CLIENT_SECRET"],
            # As the sample's auth.js builds it: tenantlab's origin names Graph too.
            "scopes": [console["GRAPH_ENDPOINT"] + ".default"],
        },
    )
    ciam = parse_dotenv((folder / "node-ciam" / ".env").read_text())
    result = msal_node(
        node,
        up,
        {
            "authority": ciam["AUTHORITY"],
            "knownAuthorities": known,
            "clientId": ciam["CLIENT_ID"],
            "clientSecret": ciam["CLIENT_SECRET"],
            "scopes": [f"{ciam['SCOPES']}/.default"],  # as the sample's auth.js builds it
        },
    )
    token = result["results"][0]["accessToken"]
    todos = requests.get(
        ciam["API_ENDPOINT"],
        headers={"Authorization": f"Bearer {token}"},
        verify=str(up.home / "ca-bundle.pem"),
    )
    assert todos.status_code == 200
    assert isinstance(todos.json(), list)
