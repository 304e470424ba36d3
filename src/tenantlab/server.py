"""Composition: the cloud origin (token service + Graph + portal) as one ASGI app for uvicorn.

Requests are routed by path prefix: `/v1.0`, `/beta` -> Graph; `/portal` -> the admin center;
`/_tenantlab` -> the control routes (faults, clock); everything else -> the token service
(`/{tenant}/...`, `/common/...`). The fault injector sits in front of them all. Sub-apps get no
lifespan events: they initialise lazily.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from tenantlab.control.admin_token import ensure_admin_token
from tenantlab.control.routes import ControlApp
from tenantlab.faults.injector import FaultInjector
from tenantlab.faults.registry import CONTROL_PREFIX
from tenantlab.platform import Platform


class CloudApp:
    """Dispatch by path prefix to the STS, Graph and the portal."""

    def __init__(
        self,
        sts: ASGIApp,
        graph: ASGIApp | None = None,
        portal: ASGIApp | None = None,
        control: ASGIApp | None = None,
    ):
        self.sts = sts
        self.graph = graph
        self.portal = portal
        self.control = control

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
        elif self.control is not None and (
            path == CONTROL_PREFIX or path.startswith("/_tenantlab/")
        ):
            await self.control(scope, receive, send)
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
    control = ControlApp(
        platform.faults,
        platform.clock,
        ensure_admin_token(platform.settings.home),
        workers=platform.settings.workers,
    )
    portal_app = None
    if portal:
        from tenantlab.portal.app import create_app as create_portal

        portal_app = create_portal(platform)
    cloud = CloudApp(create_sts(platform), graph, portal_app, control)
    return FaultInjector(cloud, platform.faults, platform.clock)
