"""Listening sockets, bound before an app is built.

Binding first makes a busy port one clear error (naming the option that chooses another) and lets
port 0 pick a free one, which the app then learns before it is built.
"""

from __future__ import annotations

import socket

from tenantlab.errors import ConfigError


def bind(host: str, port: int, *, advice: str, inheritable: bool = False) -> socket.socket:
    """A listening socket on host:port, or a ConfigError that ends with `(advice)`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror} ({advice})") from None
    sock.listen(2048)
    if inheritable:
        sock.set_inheritable(True)
    return sock


def bound_port(sock: socket.socket) -> int:
    """The port a socket is bound to (the one port 0 picked)."""
    return int(sock.getsockname()[1])
