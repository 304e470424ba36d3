"""External OpenID issuers for federated-credential tests: discovery + JWKS over real TLS.

Imported by name (tests/ is not a package), like `msal_node`.
"""

from __future__ import annotations

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
from tenantlab.testing import serve_in_thread

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
