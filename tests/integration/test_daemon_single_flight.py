"""Single flight, counted by the server: 100 concurrent API calls in one daemon process cause
exactly one token request at the token endpoint."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send
from test_daemon_operations import DaemonDeployment, deploy

from tenantlab.config import PlatformSettings
from tenantlab.daemon import DaemonClient, load_settings
from tenantlab.directory import Directory
from tenantlab.keys import ensure_tls
from tenantlab.platform import Platform
from tenantlab.server import create_cloud_app
from tenantlab.testing import serve_in_thread

pytestmark = pytest.mark.integration

LiveCloud = Any
Tenant = Any


class TokenRequestCounter:
    """ASGI middleware: counts POSTs to any token endpoint, then passes the request on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.token_requests = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].endswith("/oauth2/v2.0/token")
        ):
            with self._lock:
                self.token_requests += 1
        await self.app(scope, receive, send)


@dataclass
class CountingCloud:
    """The same data folder as the session's cloud, served on its own port behind the counter."""

    platform: Platform
    origin: str
    ca_bundle: Path
    home: Path
    counter: TokenRequestCounter

    @property
    def directory(self) -> Directory:
        return self.platform.directory

    def authority(self, tenant: str) -> str:
        return f"{self.origin}/{tenant}"


@pytest.fixture
def counting_cloud(cloud: LiveCloud) -> Iterator[CountingCloud]:
    tls = ensure_tls(cloud.home)
    holder: dict[str, Any] = {}

    def factory(port: int) -> TokenRequestCounter:
        origin = f"https://localhost:{port}"
        settings = PlatformSettings(home=cloud.home, port=port, public_url=origin)
        holder["platform"] = Platform.open(settings)
        holder["counter"] = TokenRequestCounter(create_cloud_app(holder["platform"]))
        return holder["counter"]

    with serve_in_thread(factory, certfile=tls.server_cert, keyfile=tls.server_key) as server:
        yield CountingCloud(
            holder["platform"], server.origin, cloud.ca_bundle, cloud.home, holder["counter"]
        )
    holder["platform"].close()


@pytest.fixture
def deployment(
    counting_cloud: CountingCloud, tenant: Tenant, tmp_path: Path
) -> Iterator[DaemonDeployment]:
    with deploy(counting_cloud, tenant, tmp_path) as d:
        yield d


def test_100_concurrent_calls_make_exactly_one_token_request(
    deployment: DaemonDeployment, counting_cloud: CountingCloud
) -> None:
    settings = load_settings({}, deployment.base_env())
    calls = 100
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
        assert counting_cloud.counter.token_requests == 1
        assert daemon.tokens.identity_provider_requests == 1
