"""The cloud origin and the ToDo API under uvicorn with TLS, both on one event loop in a thread.

The sockets are bound first (a busy port is a clear error, port 0 picks a free one, and the apps
learn their real port before they are built). The daemon then talks to them over HTTPS from the
main thread, exactly as it would from another process. `stop()` is uvicorn's graceful shutdown:
listeners close, requests in flight finish (each ToDo write is committed before it is
answered), then the loop ends.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from tenantlab import listening
from tenantlab.logs import UVICORN_LOGGING, AccessLog

STARTUP_TIMEOUT = 30.0
GRACEFUL_SHUTDOWN = 5


def bind(host: str, port: int, option: str) -> socket.socket:
    """A listening socket, or a ConfigError naming the option that chooses another port."""
    return listening.bind(host, port, advice=f"choose another {option}; 0 picks a free port")


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency; plain asyncio works too
        return asyncio.new_event_loop
    return uvloop.new_event_loop


@dataclass
class Servers:
    """Several ASGI apps, each on its own already-bound socket, served together until stopped."""

    certfile: Path
    keyfile: Path
    forwarded_allow_ips: str | None = None  # --forwarded-allow-ips; None trusts no proxy
    _entries: list[tuple[uvicorn.Server, socket.socket]] = field(default_factory=list)
    _cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _failure: BaseException | None = None

    def add(self, app: Any, sock: socket.socket, *, tls: bool = True) -> None:
        """Serve `app` on `sock`: HTTPS with the certificate, or plain HTTP if not `tls` (for
        endpoints that are plain HTTP in Azure too, such as the instance metadata service)."""
        config = uvicorn.Config(
            AccessLog(app),
            ssl_certfile=str(self.certfile) if tls else None,
            ssl_keyfile=str(self.keyfile) if tls else None,
            http="httptools",
            lifespan="off",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
            **listening.forwarded_headers(self.forwarded_allow_ips),
            **UVICORN_LOGGING,
        )
        self._entries.append((uvicorn.Server(config), sock))

    def on_stop(self, cleanup: Callable[[], Awaitable[None]]) -> None:
        """Run `cleanup` on the servers' loop before they stop (e.g. close an app's own clients:
        an idle keep-alive connection to a stopping server would hold its shutdown up)."""
        self._cleanups.append(cleanup)

    def start(self) -> None:
        """Serve in a background thread; return once every server accepts connections."""
        self._thread = threading.Thread(target=self._run, name="tenantlab-servers", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not all(server.started for server, _ in self._entries):
            if self._failure is not None or not self._thread.is_alive():
                raise RuntimeError(f"the servers did not start: {self._failure!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("the servers did not start in time")
            time.sleep(0.01)

    def _run(self) -> None:
        async def serve_all() -> None:
            await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in self._entries))

        try:
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                self._loop = runner.get_loop()
                runner.run(serve_all())
        except BaseException as exc:  # reported by start()/stop(); a thread cannot raise
            self._failure = exc

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Graceful shutdown of every server; then close the sockets."""
        if self._loop is not None and self.running:
            for cleanup in self._cleanups:
                future = asyncio.run_coroutine_threadsafe(_call(cleanup), self._loop)
                try:
                    future.result(timeout=GRACEFUL_SHUTDOWN)
                except Exception:  # a failed cleanup must not keep the servers up
                    future.cancel()
        for server, _ in self._entries:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=GRACEFUL_SHUTDOWN + 10)
        for _, sock in self._entries:
            sock.close()


async def _call(cleanup: Callable[[], Awaitable[None]]) -> None:
    await cleanup()
