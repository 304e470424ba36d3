"""`tenantlab todo-api` killed by SIGKILL during a stream of writes loses no acknowledged write."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest

pytestmark = pytest.mark.integration

LiveCloud = Any
Tenant = Any
WRITERS = 4


def start_api(cloud: LiveCloud, tenant_id: str, api_app_id: str, db: Path) -> tuple[Any, str]:
    command = [
        sys.executable, "-m", "tenantlab.cli", "todo-api", "--instance", cloud.origin,
        "--tenant-id", tenant_id, "--client-id", api_app_id, "--port", "0",
        "--database-url", f"sqlite:///{db}", "--ca-bundle", str(cloud.ca_bundle),
    ]  # fmt: skip
    env = {**os.environ, "TENANTLAB_HOME": str(cloud.home)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"https://localhost:(\d+)/", first)
    if match is None:
        process.kill()
        raise AssertionError(f"todo-api did not start: {first!r}")
    return process, f"https://localhost:{match.group(1)}"


def test_acknowledged_writes_survive_sigkill(
    cloud: LiveCloud, tenant: Tenant, tmp_path: Path
) -> None:
    from test_todo_api_live import register

    api_app_id, daemon_app_id, secret = register(cloud, tenant)
    token = msal.ConfidentialClientApplication(
        daemon_app_id,
        client_credential=secret,
        authority=cloud.authority(tenant.id),
        instance_discovery=False,
    ).acquire_token_for_client(scopes=[f"api://{api_app_id}/.default"])["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    trust = ssl.create_default_context(cafile=str(cloud.ca_bundle))
    db = tmp_path / "todo.db"

    process, url = start_api(cloud, tenant.id, api_app_id, db)
    acknowledged: dict[int, str] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def writer(n: int) -> None:
        with httpx.Client(base_url=url, headers=headers, verify=trust, timeout=10) as client:
            for i in range(10_000):
                description = f"writer {n} item {i}"
                try:
                    response = client.post("/api/todolist", json={"description": description})
                except httpx.HTTPError:
                    return  # the server is gone: this write was never acknowledged
                if response.status_code != 201:
                    return
                with lock:
                    acknowledged[response.json()["id"]] = description
                    if len(acknowledged) >= 200:
                        enough.set()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    try:
        assert enough.wait(timeout=120), "the API acknowledged too few writes"
        os.kill(process.pid, signal.SIGKILL)  # while the writers are still writing
    finally:
        process.kill()
        process.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=30)

    process, url = start_api(cloud, tenant.id, api_app_id, db)
    try:
        with httpx.Client(base_url=url, headers=headers, verify=trust) as client:
            stored = {
                item["id"]: item["description"] for item in client.get("/api/todolist").json()
            }
    finally:
        process.terminate()
        process.wait(timeout=10)
    missing = {i: d for i, d in acknowledged.items() if stored.get(i) != d}
    assert len(acknowledged) >= 200
    assert missing == {}
