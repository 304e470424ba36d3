"""Helpers for the fault and clock unit tests (imported by name: tests/ is not a package)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from tenantlab.clock import FixedClock
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

ORIGIN = "https://localhost:5443"


class Client:
    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(send())


@dataclass
class Cloud:
    platform: Platform
    clock: FixedClock
    client: Client
    tenant: Tenant
    daemon_app_id: str
    secret: str
    admin_token: str

    def token(self, tenant: str | None = None, **form: str) -> httpx.Response:
        data = {
            "grant_type": "client_credentials",
            "client_id": self.daemon_app_id,
            "client_secret": self.secret,
            "scope": "https://graph.microsoft.com/.default",
            **form,
        }
        return self.client.request(
            "POST", f"/{tenant or self.tenant.id}/oauth2/v2.0/token", data=data
        )

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        return self.client.request(method, f"/_tenantlab{path}", headers=headers, **kwargs)
