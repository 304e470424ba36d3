"""The error table against a live tenantlab: each failure is one line on stderr with its fix,
stdout stays empty, and the exit code is 1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import certifi
import pytest
from test_daemon_operations import DaemonDeployment, deploy

from tenantlab.ids import new_guid
from tenantlab.testing import bind_loopback

pytestmark = pytest.mark.integration

LiveCloud = Any
Tenant = Any


@pytest.fixture
def deployment(cloud: LiveCloud, tenant: Tenant, tmp_path: Path) -> Iterator[DaemonDeployment]:
    with deploy(cloud, tenant, tmp_path, grants=(("api", "ToDoList.Read.All"),)) as d:
        yield d


def failing(d: DaemonDeployment, *argv: str, **env: str) -> str:
    code, out, err = d.run(*argv, env={**d.base_env(), **env})
    assert (code, out) == (1, ""), err
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert d.secret not in err
    return err.removeprefix("error: ").rstrip("\n")


def test_wrong_secret_value(deployment: DaemonDeployment) -> None:
    line = failing(
        deployment, "--op", "getToDos", TENANTLAB_DAEMON_CLIENT_SECRET="abc8Q~wrong-wrong-wrong"
    )
    assert line == "wrong secret: use the secret's Value, not its ID (AADSTS7000215)"


def test_unknown_client_id(deployment: DaemonDeployment) -> None:
    unknown = new_guid()
    line = failing(deployment, "--op", "getToDos", TENANTLAB_DAEMON_CLIENT_ID=unknown)
    assert line.startswith(f"no app with this client id in tenant {deployment.tenant_id}: ")
    assert line.endswith("(AADSTS700016)")


def test_graph_without_user_read_all(deployment: DaemonDeployment) -> None:
    line = failing(deployment, "--op", "getUsers")
    assert line == "Graph denied getUsers: grant User.Read.All (application) and admin consent"


def test_api_write_without_the_readwrite_role(deployment: DaemonDeployment) -> None:
    assert deployment.json("todo", "list") == []
    line = failing(deployment, "todo", "add", "Bake bread")
    assert line == (
        "the ToDo API refused todo add: the app needs the application permission "
        "ToDoList.ReadWrite.All with admin consent (the token's roles: ToDoList.Read.All)"
    )


def test_untrusted_certificate_gives_the_ca_bundle_hint(deployment: DaemonDeployment) -> None:
    system_bundle = certifi.where()
    line = failing(
        deployment,
        "--op",
        "getToDos",
        REQUESTS_CA_BUNDLE=system_bundle,
        SSL_CERT_FILE=system_bundle,
        CURL_CA_BUNDLE=system_bundle,
    )
    assert line.startswith(f"TLS: {deployment.cloud.origin} presented a certificate")
    assert "point --ca-bundle (or TENANTLAB_DAEMON_CA_BUNDLE) at tenantlab's CA bundle" in line


def test_ca_bundle_flag_wins_over_a_wrong_requests_ca_bundle(deployment: DaemonDeployment) -> None:
    """MSAL's own verify= would lose to REQUESTS_CA_BUNDLE; the daemon's http client does not."""
    system_bundle = certifi.where()
    env = {**deployment.base_env(), "REQUESTS_CA_BUNDLE": system_bundle}
    code, _, err = deployment.run(
        "--op", "getToDos", "--ca-bundle", str(deployment.cloud.ca_bundle), env=env
    )
    assert code == 0, err


def test_nothing_listening(deployment: DaemonDeployment) -> None:
    with bind_loopback() as sock:
        port = sock.getsockname()[1]
        sock.close()
        line = failing(
            deployment,
            "--op",
            "getToDos",
            TENANTLAB_DAEMON_AUTHORITY=f"https://localhost:{port}/{deployment.tenant_id}",
        )
    assert line.startswith(f"cannot connect to https://localhost:{port} (")
    assert "--ca-bundle" in line


def test_an_api_that_cannot_load_its_authority_names_the_metadata_url(
    cloud: LiveCloud, tenant: Tenant, tmp_path: Path
) -> None:
    with bind_loopback() as sock:
        port = sock.getsockname()[1]
    wrong = f"https://localhost:{port}"  # nothing listens there: the API's instance is wrong
    grants = (("api", "ToDoList.Read.All"),)
    with deploy(cloud, tenant, tmp_path, grants=grants, api_instance=wrong) as d:
        line = failing(d, "--op", "getToDos")
    metadata = f"{wrong}/{tenant.id}/v2.0/.well-known/openid-configuration"
    assert line.startswith(f"ToDo API answered 503 to GET {d.todo_url}/api/todolist: ")
    assert f"could not load {metadata}" in line
    assert "kept answering" not in line
