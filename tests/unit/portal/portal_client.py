"""A browser-like client for the admin center in process: keeps cookies, fills in CSRF tokens."""

from __future__ import annotations

import asyncio
import re
from html import unescape
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from starlette.applications import Starlette

from tenantlab.portal.admin import LocalAdministrator
from tenantlab.storage.schema import Application

PASSWORD = "Admin-Passw0rd!"
# Still argon2id, with parameters small enough for a test to hash many times.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class PortalClient:
    """A synchronous, cookie-keeping client over httpx's in-process ASGI transport (no sockets)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://portal.test"
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("follow_redirects", True)
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def csrf(self, page: str) -> str:
        response = self.get(page)
        match = CSRF.search(response.text)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(
        self, page: str, action: str, data: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Post a form the way a browser does: with the CSRF token of the page it sits on."""
        fields = {"csrf_token": self.csrf(page), **(data or {})}
        return self.post(action, data=fields, **kwargs)

    def sign_in(self, password: str = PASSWORD) -> httpx.Response:
        return self.submit(
            "/portal/signin", "/portal/signin", {"username": "admin", "password": password}
        )

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


def app_page(app: Application, section: str = "") -> str:
    base = f"/portal/tenants/{app.tenant_id}/applications/{app.id}"
    return f"{base}/{section}" if section else base


def notices(html: str) -> list[str]:
    """The texts of the page's notices (flashes and errors), unescaped."""
    found = re.findall(r'class="notice notice-\w+"[^>]*>(.*?)</div>', html, re.S)
    return [unescape(text) for text in found]


def administrator(home: Path) -> LocalAdministrator:
    return LocalAdministrator(home, hasher=FAST_HASHER)
