"""The test kit: tenantlab live in tests (tenantlab's own and users'), and the pytest plugin.

The names are loaded on first use (PEP 562): pytest imports the plugin (`tenantlab.testing.plugin`)
in every project that installs tenantlab, and uvicorn, the platform and MSAL should cost nothing
until a test asks for the cloud.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenantlab.testing.cloud import LiveCloud, connect_cloud, start_cloud
    from tenantlab.testing.forge import OMIT
    from tenantlab.testing.live import RunningServer, bind_loopback, serve_in_thread
    from tenantlab.testing.registrations import (
        ClientCertificate,
        RegisteredApi,
        RegisteredApp,
        TestUser,
        TokenRefused,
    )
    from tenantlab.testing.tenant import LiveTenant
    from tenantlab.testing.todo import LiveTodoApi, start_todo_api

_WHERE = {
    "LiveCloud": "tenantlab.testing.cloud",
    "connect_cloud": "tenantlab.testing.cloud",
    "start_cloud": "tenantlab.testing.cloud",
    "OMIT": "tenantlab.testing.forge",
    "RunningServer": "tenantlab.testing.live",
    "bind_loopback": "tenantlab.testing.live",
    "serve_in_thread": "tenantlab.testing.live",
    "ClientCertificate": "tenantlab.testing.registrations",
    "RegisteredApi": "tenantlab.testing.registrations",
    "RegisteredApp": "tenantlab.testing.registrations",
    "TestUser": "tenantlab.testing.registrations",
    "TokenRefused": "tenantlab.testing.registrations",
    "LiveTenant": "tenantlab.testing.tenant",
    "LiveTodoApi": "tenantlab.testing.todo",
    "start_todo_api": "tenantlab.testing.todo",
}

__all__ = [
    "OMIT",
    "ClientCertificate",
    "LiveCloud",
    "LiveTenant",
    "LiveTodoApi",
    "RegisteredApi",
    "RegisteredApp",
    "RunningServer",
    "TestUser",
    "TokenRefused",
    "bind_loopback",
    "connect_cloud",
    "serve_in_thread",
    "start_cloud",
    "start_todo_api",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tenantlab.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
