"""Graph in process: the ASGI app over a fresh platform (fixed clock), tokens minted with its keys.

Tokens here have the token service's v1 Graph shape (`sts/claims.py`), signed by the tenant's
active key, so these tests exercise Graph's validation without the token endpoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from tenantlab.bootstrap import read_management_credentials
from tenantlab.graph.app import create_app
from tenantlab.ids import MICROSOFT_GRAPH_RESOURCE, b64url, new_guid
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

Mint = Callable[..., str]


@pytest.fixture
def tenant(platform: Platform) -> Tenant:
    return platform.directory.create_tenant(display_name="Contoso", domain="contoso")


@pytest.fixture
def mint(platform: Platform, tenant: Tenant) -> Mint:
    """mint(roles=[...], tenant_id=..., **claim overrides) -> a signed v1 Graph token."""

    def make(
        roles: list[str] | None = None,
        tenant_id: str | None = None,
        **overrides: Any,
    ) -> str:
        tid = tenant_id or tenant.id
        now = int(platform.clock.now())
        issuer = f"{platform.settings.origin}/{tid}/"
        oid = new_guid()
        claims: dict[str, Any] = {
            "aud": MICROSOFT_GRAPH_RESOURCE,
            "iss": issuer,
            "iat": now - 300,
            "nbf": now - 300,
            "exp": now + 3600,
            "app_displayname": "daemon",
            "appid": overrides.pop("appid", "11111111-2222-3333-4444-555555555555"),
            "appidacr": "1",
            "idp": issuer,
            "idtyp": "app",
            "oid": oid,
            "sub": oid,
            "tid": tid,
            "uti": b64url(uuid.uuid4().bytes),
            "ver": "1.0",
        }
        if roles:
            claims["roles"] = roles
        claims.update(overrides)
        for name in [k for k, v in claims.items() if v is None]:
            del claims[name]
        return platform.keys.active(tid).sign(claims, with_x5t=True)

    return make


class GraphClient:
    """A synchronous face over httpx's in-process ASGI transport (no sockets)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="https://localhost:5443", headers=self.headers
            ) as http:
                return await http.request(method, url, **kwargs)

        return anyio.run(send)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


@pytest.fixture
def client(platform: Platform) -> GraphClient:
    return GraphClient(create_app(platform))


@pytest.fixture
def client_for() -> Callable[[Any], GraphClient]:
    """A client for another Graph app (say, one created with a small throttle budget)."""
    return GraphClient


@pytest.fixture
def as_app(client: GraphClient, mint: Mint) -> Callable[..., GraphClient]:
    """A client whose requests carry a token with `roles`."""

    def make(*roles: str, **overrides: Any) -> GraphClient:
        client.headers["Authorization"] = f"Bearer {mint(list(roles), **overrides)}"
        return client

    return make


@pytest.fixture
def manager(as_app: Callable[..., GraphClient]) -> GraphClient:
    """A client holding the management app's three permissions."""
    return as_app(
        "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "User.ReadWrite.All"
    )


@pytest.fixture
def management_credentials(platform: Platform, tenant: Tenant) -> Any:
    return read_management_credentials(platform.settings, tenant.id)
