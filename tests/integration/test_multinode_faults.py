"""Three nodes behind nginx when parts fail: a node SIGKILLed under load, Redis stopped,
PostgreSQL restarted. What must hold: tokens keep coming, no acknowledged write is lost, nothing
needs a restart, and a missing Redis costs one warning per node, not an outage."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import msal
import pytest
from multinode import Cluster, fresh_database, running_cluster
from nodes import tenantlab

from pgcluster import PrivateCluster, _bin
from redisserver import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

EXAMPLE = Path(__file__).parents[2] / "examples" / "contoso.yaml"


@pytest.fixture
def own_postgres() -> Iterator[PrivateCluster]:
    """A private PostgreSQL this test may restart (the session's is shared with other tests)."""
    run_as = "postgres" if os.geteuid() == 0 else None
    if run_as:
        pwd.getpwnam(run_as)
    folder = Path(tempfile.mkdtemp(prefix="tenantlab-pg-faults-"))
    cluster = PrivateCluster(folder, run_as)
    try:
        problem = cluster.start()
        if problem:
            if os.environ.get("CI") == "true":
                pytest.fail(problem)
            pytest.skip(problem)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def cloud(
    tmp_path: Path, own_postgres: PrivateCluster, redis_server: RedisServer
) -> Iterator[tuple[Cluster, dict[str, str]]]:
    with (
        fresh_database(own_postgres.url) as url,
        running_cluster(
            tmp_path / "cloud", url, redis_server.url, extra_env={"graph_throttle_limit": "1000"}
        ) as cluster,
    ):
        report = json.loads(tenantlab(cluster.env(0), "seed", str(EXAMPLE), "--json").stdout)
        secret = next(s for s in report["secrets"] if s["appDisplayName"] == "ToDo Daemon")
        yield cluster, secret


def _token_form(secret: dict[str, str]) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": secret["appId"],
        "client_secret": secret["secretText"],
        "scope": "https://graph.microsoft.com/.default",
    }


def _graph_headers(cluster: Cluster, tenant_id: str) -> dict[str, str]:
    folder = cluster.folder / "node1" / "tenants" / tenant_id
    credentials = json.loads((folder / "management-app.json").read_text())
    result = msal.ConfidentialClientApplication(
        credentials["clientId"],
        client_credential=credentials["clientSecret"],
        authority=f"{cluster.public_url}/{tenant_id}",
        verify=str(cluster.ca_file),
        instance_discovery=False,
    ).acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    return {"Authorization": f"Bearer {result['access_token']}"}


@pytest.fixture(autouse=True)
def _trust_the_load_balancer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "cloud/loadbalancer/ca-bundle.pem"))


def test_a_node_killed_under_load_loses_no_acknowledged_write(
    cloud: tuple[Cluster, dict[str, str]],
) -> None:
    """nginx retries a token request on the next node when the killed node had not started to
    answer. A response the node had started to send (its headers written, its body not yet: a
    few microseconds per response) cannot be retried by any proxy, since the client already has
    its first bytes: the connection closes and the client sees a transport error, at most one
    per client with a request in flight when the node died, and never before the kill."""
    cluster, secret = cloud
    tenant_id = secret["tenantId"]
    headers = _graph_headers(cluster, tenant_id)
    token_url = f"/{tenant_id}/oauth2/v2.0/token"
    acknowledged: list[str] = []
    refused: list[int] = []
    token_statuses: list[int] = []
    cut_at: list[float] = []  # when a response was cut off mid-way (monotonic clock)
    killed_at: list[float] = []
    stop = threading.Event()

    def keep_sending(request: Callable[[httpx.Client], None]) -> None:
        with httpx.Client(base_url=cluster.public_url, verify=cluster.trust(), timeout=30) as c:
            while not stop.is_set():
                try:
                    request(c)
                except httpx.TransportError:
                    cut_at.append(time.monotonic())

    def write_user(c: httpx.Client) -> None:
        name = f"load-{uuid.uuid4().hex[:10]}"
        body = {
            "displayName": name,
            "userPrincipalName": f"{name}@contoso.onmicrosoft.com",
            "mailNickname": name,
            "accountEnabled": True,
            "passwordProfile": {"password": "Tenantlab-Load-Passw0rd!"},
        }
        answer = c.post("/v1.0/users", headers=headers, json=body)
        if answer.status_code == 201:
            acknowledged.append(answer.json()["id"])
        else:
            refused.append(answer.status_code)

    def get_token(c: httpx.Client) -> None:
        token_statuses.append(c.post(token_url, data=_token_form(secret)).status_code)

    clients = [write_user, write_user, get_token, get_token]
    with ThreadPoolExecutor(len(clients)) as pool:
        running = [pool.submit(keep_sending, request) for request in clients]
        try:
            _until(lambda: len(acknowledged) >= 3 and len(token_statuses) >= 10)
            written_before, tokens_before = len(acknowledged), len(token_statuses)
            killed_at.append(time.monotonic())
            cluster.nodes[1].stop(signal.SIGKILL)
            # Writes and tokens go on after it.
            _until(
                lambda: (
                    len(acknowledged) >= written_before + 6
                    and len(token_statuses) >= tokens_before + 10
                )
            )
        finally:
            stop.set()
        for future in running:
            future.result(timeout=60)

    assert set(token_statuses) == {200}, token_statuses  # nginx retried the unanswered ones
    assert set(refused) <= {502}, refused  # a write cut off is refused, never half-done
    assert len(cut_at) <= len(clients), cut_at
    assert all(moment >= killed_at[0] for moment in cut_at), (killed_at, cut_at)
    with httpx.Client(base_url=cluster.public_url, verify=cluster.trust(), timeout=30) as c:
        for user_id in acknowledged:
            assert c.get(f"/v1.0/users/{user_id}", headers=headers).status_code == 200


def _until(condition: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_without_redis_tokens_and_graph_go_on_with_one_warning_per_node(
    cloud: tuple[Cluster, dict[str, str]], redis_server: RedisServer
) -> None:
    cluster, secret = cloud
    tenant_id = secret["tenantId"]
    tenantlab(cluster.env(0), "tenant", "graph-throttling", "on", "-t", "contoso")
    time.sleep(1.2)  # Graph's tenant rules follow within a second
    headers = _graph_headers(cluster, tenant_id)
    redis_server.stop()
    with httpx.Client(base_url=cluster.public_url, verify=cluster.trust(), timeout=30) as c:
        tokens = [
            c.post(f"/{tenant_id}/oauth2/v2.0/token", data=_token_form(secret)).status_code
            for _ in range(6)
        ]
        reads = [c.get("/v1.0/users", headers=headers).status_code for _ in range(12)]
    assert set(tokens) == {200}
    assert set(reads) == {200}
    for node in cluster.nodes:
        warnings = [line for line in node.stderr if "Redis at" in line and "unreachable" in line]
        assert len(warnings) == 1, node.stderr[-10:]


def test_nodes_reconnect_after_postgresql_restarts(
    cloud: tuple[Cluster, dict[str, str]], own_postgres: PrivateCluster
) -> None:
    cluster, secret = cloud
    tenant_id = secret["tenantId"]
    with httpx.Client(base_url=cluster.public_url, verify=cluster.trust(), timeout=30) as c:
        assert (
            c.post(f"/{tenant_id}/oauth2/v2.0/token", data=_token_form(secret)).status_code == 200
        )
        pg_ctl = _bin("pg_ctl")
        assert pg_ctl is not None

        def pg(*argv: str) -> None:
            command = [pg_ctl, "-D", str(own_postgres.data), *argv]
            if own_postgres.run_as:
                command = ["runuser", "-u", own_postgres.run_as, "--", *command]
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
            assert done.returncode == 0, done.stderr

        pg("-m", "fast", "-w", "stop")
        time.sleep(1)  # (requests that need the database fail meanwhile: 5xx, not hangs)
        options = f"-c listen_addresses='' -k {own_postgres.folder} -c fsync=off"
        pg("-o", options, "-l", str(own_postgres.folder / "log"), "-w", "start")
        # A change after the restart, made by an operator on node 1, reaches every node: their
        # pools and revision listeners reconnected on their own.
        added = tenantlab(cluster.env(0), "app", "secret", "add", "ToDo Daemon", "-t", "contoso")
        form = {**_token_form(secret), "client_secret": added.stdout.strip()}
        time.sleep(1.2)
        for index in range(len(cluster.nodes)):
            answer = httpx.post(
                f"{cluster.node_url(index)}/{tenant_id}/oauth2/v2.0/token", data=form
            )
            assert answer.status_code == 200, answer.text
        headers = _graph_headers(cluster, tenant_id)
        reads = [c.get("/v1.0/users", headers=headers).status_code for _ in range(6)]
        assert set(reads) == {200}
    for node in cluster.nodes:
        assert node.process.poll() is None  # no node died or was restarted
