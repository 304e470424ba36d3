"""Listening sockets, bound before an app is built.

Binding first makes a busy port one clear error (naming the option that chooses another) and lets
port 0 pick a free one, which the app then learns before it is built.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

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


def forwarded_headers(allow_ips: str | None) -> dict[str, Any]:
    """uvicorn options that trust X-Forwarded-For/-Proto only from the proxies in `allow_ips`.

    `allow_ips` is `--forwarded-allow-ips`: comma-separated addresses or networks (CIDR), or `*`.
    None or empty (the default) trusts no one: the client address is the socket's peer, so a
    client cannot pick its own address (the portal's sign-in limit counts per address). uvicorn
    alone would trust 127.0.0.1 and the FORWARDED_ALLOW_IPS variable; both are overridden here.
    """
    entries = [e.strip() for e in (allow_ips or "").split(",") if e.strip()]
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(
                f"--forwarded-allow-ips: '{entry}' is not an IP address or network "
                "(give the proxy's address, e.g. 10.0.0.5 or 10.0.0.0/24, or *)"
            ) from None
    if not entries:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(entries)}
