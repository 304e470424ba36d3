"""`tenantlab daemon --op syncUsers` against a live tenantlab: a first round, then only changes.

Users are created, edited and deleted between runs through the directory (as Graph, the CLI or
the portal would); each run's report must name exactly them. The state file (delta link and the
users seen) sits beside the token cache, owner-only.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_daemon_operations import DaemonDeployment, deploy

pytestmark = pytest.mark.integration

LiveCloud = Any
Tenant = Any


@pytest.fixture
def deployment(cloud: LiveCloud, tenant: Tenant, tmp_path: Path) -> Iterator[DaemonDeployment]:
    with deploy(cloud, tenant, tmp_path, users=3) as d:
        d.env = {**d.base_env(), "TENANTLAB_DAEMON_TOKEN_CACHE": str(tmp_path / "cache.json")}
        yield d


def sync(deployment: DaemonDeployment, *args: str) -> Any:
    return deployment.json("--op", "syncUsers", *args, env=deployment.env)


def ids(users: list[dict[str, Any]]) -> set[str]:
    return {u["id"] for u in users}


def test_second_run_reports_only_adds_changes_and_removals(
    deployment: DaemonDeployment, tmp_path: Path
) -> None:
    directory, tenant, domain = deployment.cloud.directory, deployment.tenant_id, deployment.domain
    first = sync(deployment)
    assert first["round"] == "initial"
    names = {u["displayName"] for u in first["added"]}
    assert {"User 0", "User 1", "User 2"} <= names
    assert (first["changed"], first["removed"]) == ([], [])
    state = Path(first["state"])
    assert state == tmp_path / "cache.json.users-delta.json"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert "secret" not in state.read_text().lower()

    quiet = sync(deployment)
    assert (quiet["round"], quiet["added"], quiet["changed"], quiet["removed"]) == (
        "incremental",
        [],
        [],
        [],
    )

    added = directory.create_user(
        tenant=tenant, user_principal_name=f"megan@{domain}", display_name="Megan Bowen"
    )
    edited = directory.update_user(tenant=tenant, key=f"user1@{domain}", job_title="Pilot")
    gone = directory.get_user(tenant=tenant, key=f"user2@{domain}")
    directory.delete_user(tenant=tenant, key=gone.id)

    second = sync(deployment)
    assert second["round"] == "incremental"
    assert ids(second["added"]) == {added.id}
    assert ids(second["changed"]) == {edited.id}
    assert second["changed"][0]["jobTitle"] == "Pilot"
    assert second["removed"] == [
        {"id": gone.id, "displayName": "User 2", "userPrincipalName": f"user2@{domain}"}
    ]
    assert second["users"] == first["users"]  # one in, one out
    kept = json.loads(state.read_text())["users"]
    assert kept[edited.id]["jobTitle"] == "Pilot"
    assert gone.id not in kept


def test_table_output_prints_one_line_per_change(deployment: DaemonDeployment) -> None:
    sync(deployment)
    directory, tenant, domain = deployment.cloud.directory, deployment.tenant_id, deployment.domain
    added = directory.create_user(
        tenant=tenant, user_principal_name=f"alex@{domain}", display_name="Alex"
    )
    gone = directory.get_user(tenant=tenant, key=f"user0@{domain}")
    directory.delete_user(tenant=tenant, key=gone.id)
    code, out, err = deployment.run("--op", "syncUsers", "--output", "table", env=deployment.env)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert f"+ {added.id} alex@{domain}" in lines
    assert f"- {gone.id} user0@{domain}" in lines
    assert lines[-1].startswith("incremental round: 1 added, 0 changed, 1 removed;")


def test_a_link_graph_no_longer_knows_resynchronizes(
    deployment: DaemonDeployment, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    first = deployment.json("--op", "syncUsers", "--sync-state", str(state), env=deployment.env)
    document = json.loads(state.read_text())
    document["deltaLink"] = document["deltaLink"].split("$deltatoken=")[0] + "$deltatoken=bogus"
    state.write_text(json.dumps(document))
    gone = deployment.cloud.directory.get_user(
        tenant=deployment.tenant_id, key=f"user0@{deployment.domain}"
    )
    deployment.cloud.directory.delete_user(tenant=deployment.tenant_id, key=gone.id)
    code, out, err = deployment.run(
        "--op", "syncUsers", "--sync-state", str(state), env=deployment.env
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["round"] == "resync"
    assert ids(report["removed"]) == {gone.id}
    assert (report["added"], report["changed"]) == ([], [])
    assert report["users"] == first["users"] - 1
    assert "resynchronizing" in err


def test_without_a_place_for_the_state_it_says_what_to_pass(
    deployment: DaemonDeployment,
) -> None:
    code, out, err = deployment.run("--op", "syncUsers")
    assert (code, out) == (2, "")
    assert err.startswith("error: syncUsers keeps its delta link in a file: pass --sync-state")
