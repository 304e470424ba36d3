"""Microsoft Graph (a subset) over the directory: what daemons read and automation manages.

`create_app` is imported on first use, so `tenantlab.graph.shapes` (which the CLI reads for
`--json`) does not pull in the web app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenantlab.graph.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from tenantlab.graph.app import create_app

        return create_app
    raise AttributeError(f"module 'tenantlab.graph' has no attribute {name!r}")
