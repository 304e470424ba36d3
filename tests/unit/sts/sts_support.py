"""Helpers for the token service's unit tests (imported by name: tests/ is not a package)."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tenantlab.clock import FixedClock
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant
from tenantlab.sts.app import StsApp

# Copies of reference/entra-captures (real Entra responses; provenance in captures/NOTICE.md).
CAPTURES = Path(__file__).parent / "captures"
ORIGIN = "https://localhost:5443"
READ_ROLE = "11111111-2222-4333-8444-555555555555"


def captured(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CAPTURES / name).read_text())
    return data


def decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")

    def part(segment: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        )
        return value

    return part(header), part(payload)


class AsgiClient:
    """A synchronous facade over httpx's in-process ASGI transport (no sockets, no threads)."""

    def __init__(self, app: StsApp, base_url: str) -> None:
        self.app = app
        self.base_url = base_url

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(send())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


@dataclass
class StsSetup:
    platform: Platform
    clock: FixedClock
    app: StsApp
    client: AsgiClient
    tenant: Tenant
    domain: str
    api_app_id: str
    api_uri: str
    daemon_app_id: str
    daemon_sp_id: str
    secret: str

    def form(self, **changes: str) -> dict[str, str]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.daemon_app_id,
            "client_secret": self.secret,
            "scope": f"{self.api_uri}/.default",
        }
        form.update(changes)
        return {k: v for k, v in form.items() if v is not None}

    def token(self, tenant: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(f"/{tenant or self.tenant.id}/oauth2/v2.0/token", **kwargs)
