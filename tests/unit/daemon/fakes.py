"""A fake identity platform, Graph and ToDo API behind one httpx.MockTransport (no sockets).

Real MSAL talks to it through the daemon's own MSAL http client (non-Microsoft authority), so
these unit tests exercise MSAL's discovery, token request and cache for real.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

from tenantlab.daemon.settings import ClientSecret, DaemonSettings

AUTHORITY_HOST = "login.tenantlab.test"
TENANT = "contoso"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
SECRET = "abc8Q~0123456789abcdefghijklmnopqrstuvwx"
API_SCOPE = "api://todo-api/.default"
GRAPH = "https://graph.tenantlab.test"
API = "https://api.tenantlab.test/api/todolist"


def fake_jwt(roles: list[str], serial: int) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part({'roles': roles, 'n': serial})}.sig"


def settings(**changes: Any) -> DaemonSettings:
    values: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "credential": ClientSecret(SECRET),
        "authority": f"https://{AUTHORITY_HOST}/{TENANT}",
        "graph_endpoint": GRAPH,
        "api_endpoint": API,
        "api_scope": API_SCOPE,
        "max_retries": 3,
        "timeout": 5.0,
    }
    values.update(changes)
    return DaemonSettings(**values)


@dataclass
class FakeCloud:
    """State and knobs: every handler counts its calls; scripted responses jump the queue."""

    roles: list[str] = field(default_factory=lambda: ["ToDoList.ReadWrite.All", "User.Read.All"])
    expires_in: int = 3599
    token_delay: float = 0.0
    token_error: dict[str, Any] | None = None
    users: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    todos: dict[int, dict[str, Any]] = field(default_factory=dict)
    scripted: list[httpx.Response] = field(default_factory=list)
    reject_tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    api_requests: list[httpx.Request] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    forms: list[dict[str, list[str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_id: int = 1

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host == AUTHORITY_HOST:
            return self._identity(request)
        with self._lock:
            self.api_requests.append(request)
            if self.scripted:
                return self.scripted.pop(0)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.issued or token in self.reject_tokens:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if request.url.host == "graph.tenantlab.test":
            return self._graph(request)
        return self._todo(request)

    # -- identity platform ----------------------------------------------------------------
    def _identity(self, request: httpx.Request) -> httpx.Response:
        base = f"https://{AUTHORITY_HOST}/{TENANT}"
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(
                200,
                json={
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "issuer": f"{base}/v2.0",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                },
            )
        if request.url.path.endswith("/oauth2/v2.0/token"):
            with self._lock:
                self.token_requests += 1
                serial = self.token_requests
                self.forms.append(parse_qs(request.content.decode()))
            if self.token_delay:
                time.sleep(self.token_delay)
            if self.token_error is not None:
                return httpx.Response(
                    int(self.token_error.get("status", 400)), json=self.token_error["body"]
                )
            token = fake_jwt(self.roles, serial)
            with self._lock:
                self.issued.append(token)
            return httpx.Response(
                200,
                json={
                    "token_type": "Bearer",
                    "expires_in": self.expires_in,
                    "ext_expires_in": self.expires_in,
                    "access_token": token,
                },
            )
        return httpx.Response(404)

    # -- Graph ----------------------------------------------------------------------------
    def _graph(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1.0/users":
            skip = int(request.url.params.get("$skiptoken", "0"))
            top = int(request.url.params.get("$top", str(self.page_size)))
            page = self.users[skip : skip + top]
            body: dict[str, Any] = {
                "@odata.context": f"{GRAPH}/v1.0/$metadata#users",
                "value": page,
            }
            if skip + top < len(self.users):
                body["@odata.nextLink"] = f"{GRAPH}/v1.0/users?$top={top}&$skiptoken={skip + top}"
            return httpx.Response(200, json=body)
        if path.startswith("/v1.0/applications"):
            return httpx.Response(200, json={"id": "obj-1", "appId": CLIENT_ID, "displayName": "d"})
        return httpx.Response(
            404, json={"error": {"code": "Request_ResourceNotFound", "message": "x"}}
        )

    # -- ToDo API -------------------------------------------------------------------------
    def _todo(self, request: httpx.Request) -> httpx.Response:
        tail = request.url.path.removeprefix("/api/todolist").strip("/")
        if request.method == "GET" and not tail:
            return httpx.Response(200, json=list(self.todos.values()))
        if request.method == "POST" and not tail:
            body = json.loads(request.content)
            with self._lock:
                item = {
                    "id": self._next_id,
                    "owner": body.get("owner"),
                    "description": body["description"],
                }
                self.todos[self._next_id] = item
                self._next_id += 1
            return httpx.Response(201, json=item)
        item_id = int(tail) if tail.isdigit() else -1
        if item_id not in self.todos:
            return httpx.Response(404)
        if request.method == "GET":
            return httpx.Response(200, json=self.todos[item_id])
        if request.method == "PUT":
            self.todos[item_id]["description"] = json.loads(request.content)["description"]
            return httpx.Response(200, json=self.todos[item_id])
        if request.method == "DELETE":
            del self.todos[item_id]
            return httpx.Response(200)
        return httpx.Response(405)


def recorder() -> tuple[list[float], Callable[[float], None]]:
    waits: list[float] = []
    return waits, waits.append
