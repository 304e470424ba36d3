"""The local certificate authority, the TLS server certificate, and the CA bundle.

MSAL, azure-identity and msal-node refuse http, so the platform serves TLS with a certificate from
a CA made on first run. `ca-bundle.pem` = the system's CAs + that CA, for REQUESTS_CA_BUNDLE,
SSL_CERT_FILE and NODE_EXTRA_CA_CERTS.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tenantlab.config import ensure_private_dir, write_private_file

DEFAULT_TLS_NAMES = ("localhost", "127.0.0.1", "::1")
SYSTEM_CA_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    ca_bundle: Path


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _make_ca() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = _new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tenantlab"),
            x509.NameAttribute(NameOID.COMMON_NAME, "tenantlab local CA"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(days=1))
        .not_valid_after(_now() + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _make_server_cert(
    ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate, names: list[str]
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = _new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(days=1))
        .not_valid_after(_now() + dt.timedelta(days=397))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_san(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _covers(cert: x509.Certificate, names: list[str]) -> bool:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    have = {str(v) for v in san.get_values_for_type(x509.DNSName)}
    have |= {str(v) for v in san.get_values_for_type(x509.IPAddress)}
    wanted = {str(ipaddress.ip_address(n)) if _is_ip(n) else n for n in names}
    fresh = cert.not_valid_after_utc > _now() + dt.timedelta(days=30)
    return wanted <= have and fresh


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def system_ca_pem() -> bytes:
    """The machine's CA bundle (certifi's when the system has none)."""
    for candidate in SYSTEM_CA_FILES:
        path = Path(candidate)
        if path.is_file():
            return path.read_bytes()
    try:
        import certifi

        return Path(certifi.where()).read_bytes()
    except ImportError:  # pragma: no cover - requests brings certifi
        return b""


def ensure_tls(home: Path, extra_names: list[str] | None = None) -> TlsFiles:
    """Create (once) the local CA and a server certificate covering localhost + extra names.

    Re-issues the server certificate when a new name is asked for or it nears expiry; the CA is
    kept, so bundles users already exported stay valid.
    """
    tls_dir = ensure_private_dir(home / "tls")
    ca_cert_path, ca_key_path = tls_dir / "ca.pem", tls_dir / "ca-key.pem"
    server_cert_path, server_key_path = tls_dir / "server.pem", tls_dir / "server-key.pem"
    names = list(dict.fromkeys([*DEFAULT_TLS_NAMES, *(extra_names or [])]))

    if ca_cert_path.is_file() and ca_key_path.is_file():
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
        loaded = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        assert isinstance(loaded, rsa.RSAPrivateKey)
        ca_key = loaded
    else:
        ca_key, ca_cert = _make_ca()
        write_private_file(ca_key_path, _key_pem(ca_key))
        write_private_file(ca_cert_path, ca_cert.public_bytes(serialization.Encoding.PEM))

    current = (
        x509.load_pem_x509_certificate(server_cert_path.read_bytes())
        if server_cert_path.is_file() and server_key_path.is_file()
        else None
    )
    if current is None or not _covers(current, names) or current.issuer != ca_cert.subject:
        key, cert = _make_server_cert(ca_key, ca_cert, names)
        write_private_file(server_key_path, _key_pem(key))
        write_private_file(server_cert_path, cert.public_bytes(serialization.Encoding.PEM))

    bundle = home / "ca-bundle.pem"
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    content = system_ca_pem().rstrip(b"\n") + b"\n" + ca_pem
    if not bundle.is_file() or bundle.read_bytes() != content:
        write_private_file(bundle, content)
    return TlsFiles(ca_cert_path, server_cert_path, server_key_path, bundle)


def env_exports(bundle: Path) -> dict[str, str]:
    """The variables each client runtime reads its CA trust from."""
    return {
        "REQUESTS_CA_BUNDLE": str(bundle),  # MSAL Python, sync azure-identity (requests)
        "SSL_CERT_FILE": str(bundle),  # aiohttp / async azure-identity, httpx, OpenSSL
        "NODE_EXTRA_CA_CERTS": str(bundle),  # msal-node
        "CURL_CA_BUNDLE": str(bundle),  # requests also honours it; curl
    }
