"""Run ASGI apps under real uvicorn with TLS on an ephemeral loopback port, in a thread.

Used by tenantlab's own integration tests and by users' tests (the pytest plugin): what clients
talk to is the same server `tenantlab serve` runs, not an in-process shortcut.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from tenantlab.listening import forwarded_headers


@dataclass(frozen=True)
class RunningServer:
    host: str
    port: int

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.port}"


def bind_loopback(port: int = 0, host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@contextmanager
def serve_in_thread(
    app_factory: Callable[[int], Any],
    *,
    certfile: Path | None,
    keyfile: Path | None,
    port: int = 0,
    host: str = "127.0.0.1",
    startup_timeout: float = 20.0,
    graceful_shutdown: int = 5,
) -> Iterator[RunningServer]:
    """Bind first (so the app knows its port), build the app, serve it until the block ends.

    `graceful_shutdown` bounds the wait for open connections when the block ends: an idle TLS
    keep-alive connection (an MSAL app's requests session nobody closed) holds the full time,
    as uvicorn waits for the client's close_notify that an idle client never sends.
    """
    sock = bind_loopback(port, host)
    bound_port = sock.getsockname()[1]
    app = app_factory(bound_port)
    config = uvicorn.Config(
        app,
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=graceful_shutdown,
        **forwarded_headers(None),  # like every serving command: no proxy trusted by default
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield RunningServer(host, bound_port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
