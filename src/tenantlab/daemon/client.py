"""The daemon's parts wired once per process: one httpx client (shared by MSAL and the API calls,
so connections are reused), one token provider, and the Graph and ToDo clients on top."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx
import msal

from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.daemon.api import ApiClient
from tenantlab.daemon.errors import DaemonConfigError
from tenantlab.daemon.graph import GraphClient
from tenantlab.daemon.settings import DaemonSettings
from tenantlab.daemon.todo import TodoClient
from tenantlab.daemon.tokens import TokenProvider
from tenantlab.daemon.transport import MsalHttpClient, RetryPolicy, create_http_client


class DaemonClient:
    def __init__(
        self,
        settings: DaemonSettings,
        *,
        clock: Clock = SYSTEM_CLOCK,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        app_factory: Callable[..., Any] = msal.ConfidentialClientApplication,
    ) -> None:
        self.settings = settings
        self.http = create_http_client(
            ca_bundle=settings.ca_bundle, timeout=settings.timeout, transport=transport
        )
        self.retry = RetryPolicy(max_retries=settings.max_retries, sleep=sleep, clock=clock)
        self.tokens = TokenProvider(
            settings,
            http_client=MsalHttpClient(self.http, self.retry),
            clock=clock,
            app_factory=app_factory,
        )
        self.graph = GraphClient(
            self._api("Microsoft Graph", settings.graph_scope), settings.graph_endpoint
        )
        self._todo: TodoClient | None = None

    @property
    def todo(self) -> TodoClient:
        """The ToDo API client; its URL and scope are only required by the operations using it."""
        if self._todo is None:
            if not self.settings.api_endpoint:
                raise DaemonConfigError(
                    "no ToDo API endpoint: set --api-endpoint (TENANTLAB_DAEMON_API_ENDPOINT, "
                    "API_ENDPOINT, DownstreamApi:BaseUrl), e.g. https://localhost:44351/api/todolist"
                )
            if not self.settings.api_scope:
                raise DaemonConfigError(
                    "no ToDo API scope: set --api-scope (TENANTLAB_DAEMON_API_SCOPE, SCOPES, "
                    "DownstreamApi:Scopes) to api://<API application id>/.default"
                )
            self._todo = TodoClient(
                self._api("ToDo API", self.settings.api_scope), self.settings.api_endpoint
            )
        return self._todo

    def _api(self, service: str, scope: str) -> ApiClient:
        return ApiClient(
            service=service, scope=scope, http=self.http, tokens=self.tokens, retry=self.retry
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> DaemonClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
