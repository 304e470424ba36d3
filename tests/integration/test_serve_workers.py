"""`tenantlab serve --workers N`: N processes on one port, SQLite on one machine and PostgreSQL;
a worker that dies is replaced while the others answer."""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from loadbalancer import free_port
from nodes import Node, node_env, start_node, tenantlab

from pgcluster import TEST_KEY_ENCRYPTION_KEY
from tenantlab.config import PlatformSettings
from tenantlab.portal.admin import LocalAdministrator
from tenantlab.storage import open_database

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[2] / "examples" / "contoso.yaml"


def _tokens(node: Node, count: int, secret: str | None = None) -> list[int]:
    app_id, seeded = node.secrets()["ToDo Daemon"]
    url = f"https://127.0.0.1:{node.port}/contoso.onmicrosoft.com/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": app_id,
        "client_secret": secret or seeded,
        "scope": "https://graph.microsoft.com/.default",
    }
    trust = ssl.create_default_context(cafile=node.home / "ca-bundle.pem")
    with httpx.Client(verify=trust, timeout=30) as client:

        def one(_: int) -> int:
            return client.post(url, data=form).status_code

        # A worker may still be starting (imports, its platform): the first answer may wait.
        warm = client.post(url, data=form, timeout=120).status_code
        with ThreadPoolExecutor(8) as pool:
            return [warm, *pool.map(one, range(count))]


def _wait_for(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield node_env(tmp_path / "home")
        return
    # A shared database's nodes name the one origin they serve; here, the node's own port.
    port = free_port()
    yield node_env(
        tmp_path / "home",
        database_url=request.getfixturevalue("postgres_url"),
        key_encryption_key=TEST_KEY_ENCRYPTION_KEY,
        port=str(port),
        public_url=f"https://127.0.0.1:{port}",
    )


def test_workers_share_one_port_and_replace_a_killed_one(
    database_env: dict[str, str], tmp_path: Path
) -> None:
    port = database_env.get("TENANTLAB_PORT", "0")
    node = start_node(
        tmp_path / "home",
        "--port",
        port,
        "--workers",
        "2",
        "--seed",
        str(EXAMPLE),
        env=database_env,
    )
    try:
        assert "2 worker processes" in "".join(node.stdout)
        assert set(_tokens(node, 40)) == {200}
        _wait_for(lambda: len(node.workers()) == 2)
        first = node.workers()

        # A directory change made by another process reaches every worker.
        added = tenantlab(database_env, "app", "secret", "add", "ToDo Daemon", "-t", "contoso")
        assert set(_tokens(node, 16, secret=added.stdout.strip())) == {200}

        os.kill(first[0], signal.SIGKILL)
        assert set(_tokens(node, 20)) == {200}  # the other worker answers meanwhile
        _wait_for(lambda: len(node.workers()) == 2 and first[0] not in node.workers())
        assert set(_tokens(node, 20)) == {200}
    finally:
        code = node.stop()
    assert code == 0, node.stderr[-5:]
    assert node.stdout[-1].strip() == "stopped"
    stderr = "".join(node.stderr)
    assert "Traceback" not in stderr
    # The first-run password is made once, by the command, not by each worker (they raced).
    assert stderr.count("created the local administrator") == 1, stderr[-2000:]
    shown = re.search(r"password:\s+(\S+)", stderr)
    assert shown is not None
    url = database_env.get("TENANTLAB_DATABASE_URL")
    settings = PlatformSettings(home=node.home, **({"database_url": url} if url else {}))
    database = open_database(settings.resolved_database_url, migrate=False)
    try:
        assert LocalAdministrator(node.home, database=database).verify("admin", shown.group(1))
    finally:
        database.dispose()


def test_a_node_that_made_its_database_serves_after_another_process_writes(
    tmp_path: Path,
) -> None:
    """The node migrates a fresh SQLite file itself; `tenantlab seed` then writes from another
    process. The migration's lock must not drop the node's SQLite locks (it did: every token
    after the seed failed with "disk I/O error")."""
    env = node_env(tmp_path / "home")
    node = start_node(tmp_path / "home", env=env)
    try:
        report = json.loads(tenantlab(env, "seed", str(EXAMPLE), "--json").stdout)
        secret = next(s for s in report["secrets"] if s["appDisplayName"] == "ToDo Daemon")
        form = {
            "grant_type": "client_credentials",
            "client_id": secret["appId"],
            "client_secret": secret["secretText"],
            "scope": "https://graph.microsoft.com/.default",
        }
        trust = ssl.create_default_context(cafile=node.home / "ca-bundle.pem")
        url = f"https://127.0.0.1:{node.port}/{secret['tenantId']}/oauth2/v2.0/token"
        with httpx.Client(verify=trust, timeout=30) as client:
            statuses = [client.post(url, data=form).status_code for _ in range(60)]
    finally:
        node.stop()
    assert set(statuses) == {200}, statuses
    assert "disk I/O error" not in "".join(node.stderr)
