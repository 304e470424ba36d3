"""The daemon under a 503 storm at the token endpoint: its retries ride it out (Retry-After
honoured) and single flight holds, so 30 concurrent calls cost one token acquisition whatever
the number of refusals before it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_daemon_operations import DaemonDeployment, deploy

from tenantlab.daemon import DaemonClient, load_settings
from tenantlab.faults import Fault
from tenantlab.storage.schema import Tenant
from tenantlab.testing import LiveCloud

pytestmark = pytest.mark.integration


@pytest.fixture
def deployment(
    tenantlab_cloud: LiveCloud, tenant: Tenant, tmp_path: Path
) -> Iterator[DaemonDeployment]:
    with deploy(tenantlab_cloud, tenant, tmp_path) as d:
        yield d
    tenantlab_cloud.faults.clear()


def test_retries_and_single_flight_hold_under_a_503_storm(
    tenantlab_cloud: LiveCloud, deployment: DaemonDeployment
) -> None:
    faults = tenantlab_cloud.platform.faults
    daemon_id = deployment.daemon_app_id
    storm = faults.add("token", status=503, retry_after=0, count=3, client_id=daemon_id)
    # Added second, so it fires only once the storm is over: it counts the POSTs that got through.
    through = faults.add("token", delay=0.001, client_id=daemon_id)
    settings = load_settings({}, deployment.base_env())
    calls = 30
    start = threading.Barrier(calls)
    results: list[int] = []
    failures: list[BaseException] = []

    with DaemonClient(settings) as daemon:

        def call() -> None:
            start.wait()
            try:
                results.append(len(daemon.todo.list_todos()))
            except BaseException as exc:  # reported below, with the thread's error
                failures.append(exc)

        threads = [threading.Thread(target=call) for _ in range(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert results == [0] * calls
        assert isinstance(storm, Fault)
        assert storm.hits == 3  # three refusals, each retried by the daemon's transport
        assert through.hits == 1  # and one token request that succeeded, for all 30 calls
        assert daemon.tokens.identity_provider_requests == 1


def test_a_storm_longer_than_the_retries_fails_the_run_in_one_line(
    tenantlab_cloud: LiveCloud, deployment: DaemonDeployment
) -> None:
    daemon_id = deployment.daemon_app_id
    storm = tenantlab_cloud.platform.faults.add(
        "token", status=503, retry_after=0, client_id=daemon_id
    )
    code, _out, err = deployment.run("--op", "getApp")
    assert code != 0
    # MSAL raises on a 5xx without reading Entra's body (client-compatibility.md §9).
    assert err.strip() == "error: the identity platform failed (HTTP Error: 503): try again later"
    assert storm.hits == 4  # the first POST and the daemon's three retries
