"""The ASGI middleware that injects a cloud's faults in front of the token service and Graph.

Per request: when no fault exists the cost is one dictionary check (`FaultRegistry.armed`).
Otherwise the path is classified (`token`, `jwks`, `discovery`, `instance_discovery`, `graph`),
the candidates are chosen by endpoint and tenant, and, if there are any, the client is
identified: from the token request's form (read once and replayed to the token service) or from
the claims of Graph's bearer token, read without verification (this picks a fault; it trusts
nothing).

A fault then waits (`delay`), answers in the service's envelope (`envelopes.py`), drops the
connection, or stalls until the client gives up or the fault is removed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenantlab.clock import Clock
from tenantlab.faults import envelopes
from tenantlab.faults.registry import CONTROL_PREFIX, MAX_DELAY, Fault, FaultRegistry
from tenantlab.sts.app import DISCOVERY_V1, DISCOVERY_V2, INSTANCE, KEYS_V1, KEYS_V2, TOKEN_ROUTES
from tenantlab.sts.errors import StsError
from tenantlab.sts.http import header, is_form, parse_form, read_body, send_bytes

GRAPH_VERSIONS = ("v1.0", "beta")
KINDS: dict[tuple[str, ...], str] = {
    **dict.fromkeys(TOKEN_ROUTES, "token"),
    KEYS_V2: "jwks",
    KEYS_V1: "jwks",
    DISCOVERY_V2: "discovery",
    DISCOVERY_V1: "discovery",
    INSTANCE: "instance_discovery",
}
STALL_POLL = 0.05  # seconds between looks at whether a stalled request's fault is still there


def classify(path: str) -> tuple[str | None, str | None]:
    """(endpoint kind, tenant path segment) of a request path; (None, ...) for other paths."""
    segments = tuple(s for s in path.split("/") if s)
    if not segments:
        return None, None
    if segments[0] in GRAPH_VERSIONS:
        return "graph", None
    return KINDS.get(segments[1:]), segments[0]


class FaultInjector:
    """Wraps the cloud app: faults first, then the real service."""

    def __init__(self, app: ASGIApp, faults: FaultRegistry, clock: Clock) -> None:
        self.app = app
        self.faults = faults
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.armed:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        kind, tenant = classify(path)
        graph = kind == "graph"
        claims: dict[str, Any] = _bearer_claims(scope) if graph else {}
        if graph:
            tenant = claims.get("tid") if isinstance(claims.get("tid"), str) else None
        candidates = self.faults.candidates(kind, path, tenant)
        if not candidates:
            await self.app(scope, receive, send)
            return
        form: dict[str, str] = {}
        client_id = None
        if kind == "token":  # the form names the client and may carry the correlation id
            body, receive = await _buffered(receive)
            form = _form(scope, body)
            client_id = _token_client_id(scope, form)
        elif graph:
            found = claims.get("appid") or claims.get("azp")
            client_id = found if isinstance(found, str) else None
        fault = self.faults.fire(candidates, client_id)
        if fault is None:
            await self.app(scope, receive, send)
            return
        await self._inject(fault, scope, receive, send, form, claims if graph else None)

    async def _inject(
        self,
        fault: Fault,
        scope: Scope,
        receive: Receive,
        send: Send,
        form: dict[str, str],
        graph_claims: dict[str, Any] | None,
    ) -> None:
        """`graph_claims`: the bearer token's claims on Graph (None elsewhere)."""
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.stall:
            await _stall(fault, receive)
            await _drop(receive, send)
            return
        if fault.drop:
            await _drop(receive, send)
            return
        if fault.status is None:  # a delay only: the real answer, late
            await self.app(scope, receive, send)
            return
        now = self.clock.now()
        if graph_claims is not None:
            body, headers = envelopes.graph_response(fault, scope, now, graph_claims)
        else:
            body, headers = envelopes.sts_response(fault, scope, form, now)
        await send_bytes(send, fault.status, body, headers)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The request body, and a `receive` that hands it to the app as if unread."""
    try:
        body = await read_body(receive)
    except StsError:  # too large: the token service will say so itself; no client id from it
        body = b""
    return body, _Replay(body, receive)


class _Replay:
    """A `receive` that answers the buffered body first, then defers to the server's; it keeps
    the server's connection reachable for `_drop`."""

    def __init__(self, body: bytes, receive: Receive) -> None:
        self.body: bytes | None = body
        self.receive = receive
        self.connection = _connection(receive)

    async def __call__(self) -> Message:
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        return await self.receive()


def _connection(receive: Receive) -> object:
    return getattr(receive, "connection", None) or getattr(receive, "__self__", None)


def _form(scope: Scope, body: bytes) -> dict[str, str]:
    if not is_form(scope):
        return {}
    try:
        return parse_form(body)
    except StsError:
        return {}


def _token_client_id(scope: Scope, form: dict[str, str]) -> str | None:
    """The client of a token request: `client_id`, else the client assertion's `sub`, else the
    user of HTTP Basic authentication."""
    if form.get("client_id"):
        return form["client_id"]
    assertion = form.get("client_assertion")
    if assertion:
        sub = _jwt_claims(assertion).get("sub")
        return sub if isinstance(sub, str) else None
    authorization = header(scope, b"authorization")
    if authorization and authorization[:6].lower() == b"basic ":
        try:
            user = base64.b64decode(authorization[6:].strip()).split(b":", 1)[0]
            return user.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def _bearer_claims(scope: Scope) -> dict[str, Any]:
    authorization = header(scope, b"authorization")
    if not authorization or authorization[:7].lower() != b"bearer ":
        return {}
    return _jwt_claims(authorization[7:].strip().decode("latin-1"))


def _jwt_claims(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified (only to choose a fault), or {} when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return {}
    return payload if isinstance(payload, dict) else {}


async def _stall(fault: Fault, receive: Receive) -> None:
    """Hold the request, unanswered, until the client disconnects, the fault goes, or the
    longest allowed delay has passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAX_DELAY
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        while fault.active and not gone.done() and loop.time() < deadline:
            await asyncio.wait({gone}, timeout=STALL_POLL)
    finally:
        gone.cancel()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _drop(receive: Receive, send: Send) -> None:
    """Close the connection without an answer.

    ASGI has no message for that, so this reaches uvicorn's request cycle (the object whose
    bound method `receive` is) and aborts its transport, marking the cycle disconnected so that
    uvicorn does not answer 500 in our place. Under another server the fallback announces a
    body and closes before sending it: the client still sees a broken connection.
    """
    cycle = _connection(receive)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(cycle, "disconnected"):
        cycle.disconnected = True
        transport.abort()
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"1024"), (b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
