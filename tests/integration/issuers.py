"""External OpenID issuers for federated-credential tests: discovery + JWKS over real TLS.

Imported by name (tests/ is not a package), like `msal_node`.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tenantlab.ids import FEDERATION_AUDIENCE, b64url
from tenantlab.testing import bind_loopback, serve_in_thread

SUBJECT = "system:serviceaccount:default:daemon"


@dataclass
class OidcIssuer:
    """A workload's issuer: serves its keys, signs the tokens a workload presents."""

    url: str
    key: rsa.RSAPrivateKey
    kid: str

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": SUBJECT,
            "aud": [FEDERATION_AUDIENCE],
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        }
        claims.update(overrides)
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": self.kid})


@contextmanager
def serve_issuer(certfile: Path, keyfile: Path, path: str = "/issuer") -> Iterator[OidcIssuer]:
    """An issuer at https://localhost:{port}{path}, with the given TLS server certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    kid = "issuer-key-1"
    jwk = {
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": b64url(numbers.n.to_bytes(256, "big")),
        "e": b64url(numbers.e.to_bytes(3, "big")),
    }
    holder: dict[str, str] = {}

    async def discovery(_: Request) -> JSONResponse:
        return JSONResponse({"issuer": holder["issuer"], "jwks_uri": holder["issuer"] + "/jwks"})

    async def jwks(_: Request) -> JSONResponse:
        return JSONResponse({"keys": [jwk]})

    def factory(port: int) -> Starlette:
        holder["issuer"] = f"https://localhost:{port}{path}"
        return Starlette(
            routes=[
                Route(f"{path}/.well-known/openid-configuration", discovery),
                Route(f"{path}/jwks", jwks),
            ]
        )

    with serve_in_thread(factory, certfile=certfile, keyfile=keyfile):
        yield OidcIssuer(holder["issuer"], key, kid)


class StalledIssuer:
    """An HTTPS issuer that accepts connections, completes TLS, reads, and never answers."""

    def __init__(self, certfile: Path, keyfile: Path, path: str = "/stalled") -> None:
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(certfile, keyfile)
        self._listener = bind_loopback()
        self._listener.settimeout(0.2)
        self.url = f"https://localhost:{self._listener.getsockname()[1]}{path}"
        self.connections = 0
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]

    def __enter__(self) -> StalledIssuer:
        self._threads[0].start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        for sock in self._open:
            sock.close()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            self._open.append(conn)
            holder = threading.Thread(target=self._hold, args=(conn,), daemon=True)
            self._threads.append(holder)
            holder.start()

    def _hold(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        try:
            tls = self._context.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            return
        self._open.append(tls)
        while not self._stop.is_set():  # read whatever comes, answer nothing
            try:
                if not tls.recv(4096):
                    return
            except TimeoutError:
                continue
            except (OSError, ssl.SSLError):
                return
