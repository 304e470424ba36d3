"""Unmodified @azure/msal-node with a certificate (PS256 + x5t#S256, RS256 + x5t) and with x5c.

Runs tests/node/client_credentials.mjs (installed by `scripts/bootstrap` / `npm ci`). Without Node
the tests skip — except under CI=true, where a missing tool fails the run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from msal_node import run_client_credentials

pytestmark = [pytest.mark.integration, pytest.mark.node]

LiveCloud = Any  # fixture types live in tests/integration/conftest.py (tests is no package)
StsRegistration = Any
Reader = Callable[[str], dict[str, Any]]


@pytest.fixture
def certificate(cloud: LiveCloud, sts_registration: StsRegistration) -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "node daemon")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cloud.directory.add_certificate(
        tenant=sts_registration.tenant.id,
        app=sts_registration.daemon_app_id,
        certificate_pem_or_der=cert_pem,
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return {
        "privateKey": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "thumbprintSha256": hashlib.sha256(der).hexdigest(),
        "thumbprint": hashlib.sha1(der).hexdigest(),
        "x5c": cert_pem.decode(),
    }


def run_msal_node(node: str, cloud: LiveCloud, request: dict[str, Any]) -> dict[str, Any]:
    return run_client_credentials(node, cloud.ca_bundle, request)


@pytest.mark.parametrize(
    "fields",
    [("thumbprintSha256",), ("thumbprintSha256", "x5c"), ("thumbprint",)],
    ids=["ps256-x5t-s256", "ps256-with-x5c", "rs256-x5t"],
)
def test_msal_node_with_a_certificate(
    node: str,
    cloud: LiveCloud,
    sts_registration: StsRegistration,
    certificate: dict[str, str],
    read_sts_token: Reader,
    fields: tuple[str, ...],
) -> None:
    reg = sts_registration
    domain = cloud.directory.tenant_domains(reg.tenant.id)[0]
    client_certificate = {"privateKey": certificate["privateKey"]}
    client_certificate.update({f: certificate[f] for f in fields})
    output = run_msal_node(
        node,
        cloud,
        {
            # msal-node lowercases the authority, and the assertion's aud with it.
            "authority": f"{cloud.origin}/{domain.upper()}",
            "knownAuthorities": [f"localhost:{cloud.port}"],
            "clientId": reg.daemon_app_id,
            "clientCertificate": client_certificate,
            "scopes": [f"{reg.api_uri}/.default"],
            "calls": 2,
        },
    )
    assert "error" not in output, output
    first, second = output["results"]
    assert (first["fromCache"], second["fromCache"]) == (False, True)
    claims = read_sts_token(first["accessToken"])
    assert claims["azp"] == reg.daemon_app_id
    assert claims["azpacr"] == "2"
    assert claims["roles"] == reg.granted_roles


def test_msal_node_with_an_unregistered_certificate_gets_700027(
    node: str, cloud: LiveCloud, sts_registration: StsRegistration, certificate: dict[str, str]
) -> None:
    reg = sts_registration
    output = run_msal_node(
        node,
        cloud,
        {
            "authority": f"{cloud.origin}/{reg.tenant.id}",
            "knownAuthorities": [f"localhost:{cloud.port}"],
            "clientId": reg.daemon_app_id,
            "clientCertificate": {
                "privateKey": certificate["privateKey"],
                "thumbprintSha256": "00" * 32,  # no certificate has this thumbprint
            },
            "scopes": [f"{reg.api_uri}/.default"],
        },
    )
    assert output["error"]["errorCode"] == "invalid_client"
    assert output["error"]["errorNo"] == 700027
