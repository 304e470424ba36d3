"""Microsoft Graph (a subset) over the directory: what daemons read and automation manages."""

from tenantlab.graph.app import create_app

__all__ = ["create_app"]
