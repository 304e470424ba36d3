"""The ToDo API of Microsoft's daemon samples, registered in a test's tenant and served live.

What `todo_api` gives a test: a resource to call with real tokens, protected exactly as
`tenantlab todo serve` protects it (`tenantlab.apiauth`, roles ToDoList.Read.All and
ToDoList.ReadWrite.All for apps, scopes ToDoList.Read and ToDoList.ReadWrite for users), trusting
only that tenant. A user's daemon can be pointed at `url` and judged by what the API then holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tenantlab.testing.cloud import IDLE_SHUTDOWN
from tenantlab.testing.registrations import RegisteredApi
from tenantlab.testing.tenant import LiveTenant

APP_ROLES = ("ToDoList.Read.All", "ToDoList.ReadWrite.All")
SCOPES = ("ToDoList.Read", "ToDoList.ReadWrite")
PATH = "/api/todolist"


@dataclass(frozen=True)
class LiveTodoApi:
    """The running API: where it answers, and its registration (`api.default_scope`, roles)."""

    tenant: LiveTenant
    api: RegisteredApi
    url: str  # https://localhost:{port}, the origin; the list is at `url + PATH`

    @property
    def list_url(self) -> str:
        return f"{self.url}{PATH}"

    def client(self, token: str) -> httpx.Client:
        """An HTTPS client that trusts the cloud's CA and sends `token` as the bearer."""
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            verify=self.tenant.cloud.ssl_context(),
        )


@contextmanager
def start_todo_api(
    tenant: LiveTenant, folder: Path, *, token_version: int | None = 2
) -> Iterator[LiveTodoApi]:
    """Register the ToDo API in `tenant` (roles and scopes as the sample's), and serve it, with
    its items in `folder`, under real uvicorn over TLS until the block ends."""
    from tenantlab.keys import ensure_tls
    from tenantlab.testing.live import serve_in_thread
    from tenantlab.todo import TodoApi, TodoApiSettings

    api = tenant.api("ToDoList API", roles=APP_ROLES, scopes=SCOPES, token_version=token_version)
    cloud = tenant.cloud
    settings = TodoApiSettings(
        instance=cloud.origin,
        tenant_id=tenant.id,
        client_id=api.app_id,
        ca_bundle=cloud.ca_bundle,
        database_url=f"sqlite:///{folder / 'todo.db'}",
        home=folder,
    )
    tls = ensure_tls(cloud.home)
    with (
        TodoApi(settings) as todo,
        serve_in_thread(
            lambda _port: todo.app,
            certfile=tls.server_cert,
            keyfile=tls.server_key,
            graceful_shutdown=IDLE_SHUTDOWN,
        ) as server,
    ):
        yield LiveTodoApi(tenant=tenant, api=api, url=server.origin)
