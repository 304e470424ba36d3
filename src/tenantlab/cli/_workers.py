"""`tenantlab serve --workers N`: N worker processes serving one listening socket.

One Python process signs tokens on one core at most (the RSA signature holds the GIL). Workers
are uvicorn's: the command binds the socket, migrates, seeds and makes the TLS certificate once,
then uvicorn's supervisor spawns N processes that each open their own `Platform` (their own
connection pool, sized by `PlatformSettings.database_pool_size`, and revision listener) and
accept on the shared socket; a worker that dies is replaced. Every worker reads and writes the
same database — SQLite in WAL mode on one machine, PostgreSQL anywhere — so no state lives in one
worker except what is keyed by the directory revision, and counters, which are shared only through
Redis (`TENANTLAB_REDIS_URL`).
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import socket
from typing import Any

from tenantlab.config import PlatformSettings

# The settings the command resolved, for the spawned workers (they do not parse the command line).
WORKER_SETTINGS = "TENANTLAB_WORKER_SETTINGS"
WORKER_LOGGING = "TENANTLAB_WORKER_LOGGING"


def worker_app() -> Any:
    """uvicorn's app factory in each worker: the cloud over this worker's own platform."""
    from tenantlab.logs import AccessLog, configure
    from tenantlab.platform import Platform
    from tenantlab.server import create_cloud_app

    level, _, fmt = os.environ.get(WORKER_LOGGING, "info,text").partition(",")
    configure(level, fmt)
    settings = PlatformSettings(**json.loads(os.environ[WORKER_SETTINGS]))
    platform = Platform.open(settings)
    atexit.register(platform.close)
    app = AccessLog(create_cloud_app(platform))
    gc.collect()
    gc.freeze()  # as `serve` does: start-up objects stay out of the collector's walks
    return app


def _settings_json(settings: PlatformSettings) -> str:
    """The settings as JSON, secrets included: the workers are this node's own processes."""
    return json.dumps(settings.values(), default=str)


def serve_workers(
    settings: PlatformSettings,
    sock: socket.socket,
    *,
    log_level: str,
    log_format: str,
    uvicorn_options: dict[str, Any],
) -> None:
    """Run `settings.workers` workers on `sock` until Ctrl+C or SIGTERM."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ[WORKER_SETTINGS] = _settings_json(settings)
    os.environ[WORKER_LOGGING] = f"{log_level},{log_format}"
    config = uvicorn.Config(
        "tenantlab.cli._workers:worker_app",
        factory=True,
        workers=settings.workers,
        **uvicorn_options,
    )
    Multiprocess(config, sockets=[sock]).run()
