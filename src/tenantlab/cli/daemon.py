"""`tenantlab daemon`: the daemon app's own click command (`tenantlab.daemon.console`).

The same command object serves `python -m tenantlab.daemon`, so both take the same options.
"""

from __future__ import annotations

from tenantlab.daemon.console import daemon

__all__ = ["daemon"]
