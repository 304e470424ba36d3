"""Helpers to run tenantlab live in tests (tenantlab's own and users')."""

from tenantlab.testing.live import RunningServer, bind_loopback, serve_in_thread

__all__ = ["RunningServer", "bind_loopback", "serve_in_thread"]
