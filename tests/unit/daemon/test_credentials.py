"""Credentials as MSAL takes them: secrets, PEM/DER certificates, .pfx, federated token files."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tenantlab.daemon.credentials import (
    FederatedAssertion,
    certificate_pem,
    msal_client_credential,
    private_key_pem,
)
from tenantlab.daemon.errors import DaemonConfigError
from tenantlab.daemon.settings import Certificate, ClientSecret, FederatedTokenFile


@pytest.fixture(scope="module")
def key_and_cert() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "daemon")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def test_secret_is_passed_as_is() -> None:
    assert msal_client_credential(ClientSecret("s~1")) == "s~1"


def test_java_der_pkcs8_key_and_der_certificate_become_pem(tmp_path: Path, key_and_cert) -> None:
    key, cert = key_and_cert
    key_path, cert_path = tmp_path / "key.der", tmp_path / "cert.der"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    pem_key = private_key_pem(key_path)
    assert serialization.load_pem_private_key(pem_key.encode(), None).key_size == 2048  # type: ignore[union-attr]
    pem_cert = certificate_pem(cert_path)
    assert x509.load_pem_x509_certificate(pem_cert.encode()) == cert


def test_pem_key_with_certificate_or_thumbprint(tmp_path: Path, key_and_cert) -> None:
    key, cert = key_and_cert
    key_path, cert_path = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    key_path.write_bytes(key_pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key_pem)
    with_cert = msal_client_credential(
        Certificate(private_key_file=key_path, certificate_file=cert_path)
    )
    assert with_cert["private_key"] == key_pem.decode()
    assert with_cert["public_certificate"] == cert.public_bytes(serialization.Encoding.PEM).decode()
    assert "thumbprint" not in with_cert
    with_thumbprint = msal_client_credential(
        Certificate(private_key_file=key_path, thumbprint="AB" * 20, passphrase="pw")
    )
    assert with_thumbprint == {
        "private_key": key_pem.decode(),
        "thumbprint": "AB" * 20,
        "passphrase": "pw",
    }


def test_pfx_is_left_to_msal(tmp_path: Path) -> None:
    pfx = tmp_path / "app.pfx"
    assert msal_client_credential(Certificate(pfx_file=pfx, passphrase="pw")) == {
        "private_key_pfx_path": str(pfx),
        "passphrase": "pw",
    }


def test_wrong_files_are_named(tmp_path: Path, key_and_cert) -> None:
    _, cert = key_and_cert
    cert_path = tmp_path / "cert.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(DaemonConfigError, match="holds no private key"):
        private_key_pem(cert_path)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(DaemonConfigError, match="neither a PEM nor a DER"):
        certificate_pem(text)
    with pytest.raises(DaemonConfigError, match="cannot read the private key file"):
        private_key_pem(tmp_path / "absent.pem")


def test_federated_assertion_is_reread_only_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("a.b.c\n")
    credential = msal_client_credential(FederatedTokenFile(path))
    assertion = credential["client_assertion"]
    assert isinstance(assertion, FederatedAssertion)
    assert assertion() == "a.b.c"
    assert assertion() == "a.b.c"
    assert assertion.reads == 1
    path.write_text("d.e.f.longer")  # a rotated token: new size and mtime
    os.utime(path, ns=(1, 2_000_000_000))
    with pytest.raises(DaemonConfigError, match="does not hold a JWT"):
        assertion()
    path.write_text("x.y.z")
    os.utime(path, ns=(1, 3_000_000_000))
    assert assertion() == "x.y.z"
    assert assertion.reads == 2
    path.unlink()
    with pytest.raises(DaemonConfigError, match="cannot read the federated token file"):
        assertion()
