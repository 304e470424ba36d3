"""One slow federated issuer must not stall federated sign-in for anyone else (issue 11 item 2).

A real HTTPS issuer that accepts connections, completes TLS and never answers; a second, healthy
issuer for another tenant's app. Before the fix one process-wide lock serialised every issuer's
fetch (six stalled requests were answered at 5, 10, ... 30 s and the healthy exchange waited behind
them) and failures were not remembered. Timing checks are orderings and generous bounds (a loaded
2-core machine), not tight thresholds.
"""

from __future__ import annotations

import ssl
import threading
import time
from typing import Any

import httpx
import pytest
from issuers import SUBJECT, OidcIssuer, StalledIssuer, serve_issuer

from tenantlab.keys import ensure_tls
from tenantlab.sts.clientauth import JWT_BEARER_ASSERTION
from tenantlab.sts.federated_keys import DEFAULT_FETCH_TIMEOUT

pytestmark = pytest.mark.integration

LiveCloud = Any  # fixture types live in tests/integration/conftest.py (tests is no package)
STALLED_REQUESTS = 6


def _federated_daemon(cloud: LiveCloud, issuer_url: str, label: str) -> tuple[str, str]:
    directory = cloud.directory
    suffix = f"{label}{time.monotonic_ns() % 10**8}"
    tenant = directory.create_tenant(display_name=f"Stall {suffix}", domain=f"s{suffix}")
    daemon = directory.create_application(tenant=tenant.id, display_name="Daemon")
    directory.add_federated_credential(
        tenant=tenant.id, app=daemon.app_id, name="workload", issuer=issuer_url, subject=SUBJECT
    )
    return tenant.id, daemon.app_id


def _exchange(cloud: LiveCloud, tenant_id: str, client_id: str, assertion: str) -> httpx.Response:
    return httpx.post(
        f"{cloud.origin}/{tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_assertion_type": JWT_BEARER_ASSERTION,
            "client_assertion": assertion,
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=ssl.create_default_context(cafile=str(cloud.ca_bundle)),
        timeout=120,  # the server's bound is under test, not the client's
    )


def test_a_stalled_issuer_fails_fast_and_never_holds_up_another_tenant(cloud: LiveCloud) -> None:
    tls = ensure_tls(cloud.home)
    with (
        StalledIssuer(tls.server_cert, tls.server_key) as stalled,
        serve_issuer(tls.server_cert, tls.server_key) as healthy,
    ):
        stalled_tenant, stalled_client = _federated_daemon(cloud, stalled.url, "a")
        healthy_tenant, healthy_client = _federated_daemon(cloud, healthy.url, "b")
        # The stalled workload's token is well-formed; only its issuer's keys cannot be read.
        workload = OidcIssuer(stalled.url, healthy.key, healthy.kid).token()

        start = time.monotonic()
        finished: list[tuple[float, httpx.Response]] = []

        def stalled_exchange() -> None:
            response = _exchange(cloud, stalled_tenant, stalled_client, workload)
            finished.append((time.monotonic() - start, response))

        threads = [threading.Thread(target=stalled_exchange) for _ in range(STALLED_REQUESTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while stalled.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert stalled.connections >= 1, "the token service never called the stalled issuer"

        accepted = _exchange(cloud, healthy_tenant, healthy_client, healthy.token())
        healthy_done = time.monotonic() - start
        assert accepted.status_code == 200, accepted.text
        for thread in threads:
            thread.join(timeout=120)

        assert len(finished) == STALLED_REQUESTS
        for _, response in finished:
            assert response.status_code == 400, response.text
            assert response.json()["error_codes"] == [50166]
        first_failure = min(elapsed for elapsed, _ in finished)
        last_failure = max(elapsed for elapsed, _ in finished)
        # The healthy tenant never queued behind the stalled issuer ...
        assert healthy_done < first_failure, (healthy_done, first_failure)
        # ... the stalled requests shared one bounded fetch (serialised, the last would need
        # STALLED_REQUESTS bounds) ...
        assert last_failure < 3 * DEFAULT_FETCH_TIMEOUT, sorted(e for e, _ in finished)
        assert stalled.connections < STALLED_REQUESTS
        # ... and the failure is remembered: the next request is refused without a new attempt.
        connections = stalled.connections
        again = _exchange(cloud, stalled_tenant, stalled_client, workload)
        assert again.status_code == 400, again.text
        assert again.json()["error_codes"] == [50166]
        assert "did not answer within" in again.json()["error_description"]
        assert stalled.connections == connections
