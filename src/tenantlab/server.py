"""Composition: the cloud origin (token service + Graph + portal) as one ASGI app for uvicorn.

Requests are routed by path prefix: `/v1.0`, `/beta` -> Graph; `/portal` -> the admin center;
everything else -> the token service (`/{tenant}/...`, `/common/...`). Sub-apps get no lifespan
events: they initialise lazily.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from tenantlab.platform import Platform


class CloudApp:
    """Dispatch by path prefix to the STS, Graph and the portal."""

    def __init__(self, sts: ASGIApp, graph: ASGIApp | None = None, portal: ASGIApp | None = None):
        self.sts = sts
        self.graph = graph
        self.portal = portal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        path: str = scope.get("path", "")
        if self.graph is not None and (
            path.startswith("/v1.0/") or path.startswith("/beta/") or path in ("/v1.0", "/beta")
        ):
            await self.graph(scope, receive, send)
        elif self.portal is not None and (path == "/portal" or path.startswith("/portal/")):
            await self.portal(scope, receive, send)
        else:
            await self.sts(scope, receive, send)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_cloud_app(platform: Platform, *, portal: bool = True) -> Any:
    """The ASGI app for the cloud origin (https://localhost:5443 by default); `portal=False`
    leaves the admin center out (`tenantlab run`: no one browses there)."""
    from tenantlab.graph.app import create_app as create_graph
    from tenantlab.sts.app import create_app as create_sts

    graph = create_graph(platform)
    if not portal:
        return CloudApp(create_sts(platform), graph)
    from tenantlab.portal.app import create_app as create_portal

    return CloudApp(create_sts(platform), graph, create_portal(platform))
