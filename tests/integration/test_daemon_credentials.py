"""Every credential type against the live token service: certificate (PEM key + certificate,
key + thumbprint, Java's DER files, a .pfx) and a federated assertion from a token file that is
re-read when it changes."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from test_daemon_operations import DaemonDeployment, deploy

from tenantlab.daemon import DaemonClient, TokenAcquisitionError, load_settings
from tenantlab.ids import FEDERATION_AUDIENCE, b64url, sha1_hex
from tenantlab.keys import ensure_tls
from tenantlab.testing import serve_in_thread

pytestmark = pytest.mark.integration

LiveCloud = Any
Tenant = Any
SUBJECT = "system:serviceaccount:jobs:daemon"


@pytest.fixture
def deployment(cloud: LiveCloud, tenant: Tenant, tmp_path: Path) -> Iterator[DaemonDeployment]:
    with deploy(cloud, tenant, tmp_path / "api") as d:
        yield d


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ciam-daemon-console-v2")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def without_secret(d: DaemonDeployment) -> dict[str, str]:
    env = d.base_env()
    del env["TENANTLAB_DAEMON_CLIENT_SECRET"]
    return env


@pytest.fixture
def certificate(
    deployment: DaemonDeployment, key: rsa.RSAPrivateKey, tmp_path: Path
) -> tuple[Path, Path, x509.Certificate]:
    cert = self_signed(key)
    deployment.cloud.directory.add_certificate(
        tenant=deployment.tenant_id,
        app=deployment.daemon_app_id,
        certificate_pem_or_der=cert.public_bytes(serialization.Encoding.PEM),
    )
    key_path, cert_path = tmp_path / "server.pem", tmp_path / "server.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path, cert


def test_private_key_with_certificate(deployment: DaemonDeployment, certificate: Any) -> None:
    key_path, cert_path, _ = certificate
    todos = deployment.json(
        "--op",
        "getToDos",
        "--private-key",
        str(key_path),
        "--certificate",
        str(cert_path),
        env=without_secret(deployment),
    )
    assert todos == []


def test_python_certificate_sample_key_and_thumbprint(
    deployment: DaemonDeployment, certificate: Any, tmp_path: Path
) -> None:
    key_path, _, cert = certificate
    config = tmp_path / "parameters.json"
    config.write_text(
        json.dumps(
            {
                "authority": deployment.authority,
                "client_id": deployment.daemon_app_id,
                "scope": ["https://graph.microsoft.com/.default"],
                "thumbprint": sha1_hex(cert.public_bytes(serialization.Encoding.DER)),
                "private_key_file": key_path.name,
                "endpoint": f"{deployment.cloud.origin}/v1.0/users",
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_DAEMON_")}
    app = deployment.json("--config", str(config), "--op", "getApp", env=env)
    assert app["appId"] == deployment.daemon_app_id


def test_java_certificate_sample_der_files(
    deployment: DaemonDeployment, certificate: Any, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    _, _, cert = certificate
    (tmp_path / "key.der").write_bytes(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "cert.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    config = tmp_path / "application.properties"
    config.write_text(
        f"AUTHORITY={deployment.authority}/\nCLIENT_ID={deployment.daemon_app_id}\n"
        "KEY_PATH=key.der\nCERT_PATH=cert.der\nSCOPE=https://graph.microsoft.com/.default\n"
        f"GRAPH_ENDPOINT={deployment.cloud.origin}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_DAEMON_")}
    users = deployment.json("--config", str(config), "--op", "getUsers", env=env)
    assert isinstance(users["value"], list)


def test_dotnet_pfx_certificate(
    deployment: DaemonDeployment, certificate: Any, key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    _, _, cert = certificate
    pfx = tmp_path / "daemon.pfx"
    pfx.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"daemon", key, cert, None, serialization.BestAvailableEncryption(b"pfx-pass")
        )
    )
    config = tmp_path / "appsettings.json"
    config.write_text(
        json.dumps(
            {
                "AzureAd": {
                    "Authority": deployment.authority + "/",
                    "ClientId": deployment.daemon_app_id,
                    "ClientCredentials": [
                        {
                            "SourceType": "Path",
                            "CertificateDiskPath": "daemon.pfx",
                            "CertificatePassword": "pfx-pass",
                        }
                    ],
                },
                "DownstreamApi": {
                    "BaseUrl": deployment.todo_url,
                    "RelativePath": "/api/todolist",
                    "Scopes": [deployment.api_scope],
                },
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_DAEMON_")}
    assert deployment.json("--config", str(config), "--op", "getToDos", env=env) == []


def test_unregistered_certificate_is_explained(
    deployment: DaemonDeployment, tmp_path: Path
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_path, cert_path = tmp_path / "other.pem", tmp_path / "other.crt"
    key_path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(self_signed(other).public_bytes(serialization.Encoding.PEM))
    code, out, err = deployment.run(
        "--op",
        "getToDos",
        "--private-key",
        str(key_path),
        "--certificate",
        str(cert_path),
        env=without_secret(deployment),
    )
    assert (code, out) == (1, "")
    assert err.startswith("error: the certificate assertion was rejected: upload this certificate")


# -- federated assertion (workload identity) -------------------------------------------------


class Issuer:
    """A Kubernetes-style OIDC issuer: discovery + JWKS over TLS, and a token signer."""

    def __init__(self, url: str, key: rsa.RSAPrivateKey) -> None:
        self.url = url
        self.key = key

    def token(self, subject: str = SUBJECT) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": subject,
            "aud": [FEDERATION_AUDIENCE],
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        }
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def issuer(cloud: LiveCloud, key: rsa.RSAPrivateKey) -> Iterator[Issuer]:
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": "k1",
        "n": b64url(numbers.n.to_bytes(256, "big")),
        "e": b64url(numbers.e.to_bytes(3, "big")),
    }
    holder: dict[str, str] = {}

    async def discovery(_: Request) -> JSONResponse:
        return JSONResponse({"issuer": holder["url"], "jwks_uri": holder["url"] + "/jwks"})

    async def keys(_: Request) -> JSONResponse:
        return JSONResponse({"keys": [jwk]})

    def factory(port: int) -> Starlette:
        holder["url"] = f"https://localhost:{port}/jobs-cluster"
        return Starlette(
            routes=[
                Route("/jobs-cluster/.well-known/openid-configuration", discovery),
                Route("/jobs-cluster/jwks", keys),
            ]
        )

    tls = ensure_tls(cloud.home)
    with serve_in_thread(factory, certfile=tls.server_cert, keyfile=tls.server_key):
        yield Issuer(holder["url"], key)


def test_federated_token_file_is_used_and_reread_when_it_changes(
    deployment: DaemonDeployment, issuer: Issuer, tmp_path: Path
) -> None:
    deployment.cloud.directory.add_federated_credential(
        tenant=deployment.tenant_id,
        app=deployment.daemon_app_id,
        name="jobs-cluster-daemon",
        issuer=issuer.url,
        subject=SUBJECT,
    )
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(issuer.token())
    env = {**without_secret(deployment), "AZURE_FEDERATED_TOKEN_FILE": str(token_file)}
    assert deployment.json("--op", "getToDos", env=env) == []

    with DaemonClient(load_settings({}, env)) as daemon:
        token_file.write_text(issuer.token(subject="system:serviceaccount:jobs:intruder"))
        with pytest.raises(TokenAcquisitionError) as refused:
            daemon.todo.list_todos()
        assert refused.value.aadsts == 700213
        token_file.write_text(issuer.token())  # the kubelet rotates the projected token
        assert daemon.todo.list_todos() == []
