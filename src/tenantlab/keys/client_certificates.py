"""Self-signed client certificates for an app registration's keyCredentials (private_key_jwt).

Made where the private key is to live: only the certificate is registered on the app, the key goes
to the user (a file of theirs, or a page shown once), as `New-SelfSignedCertificate` + upload does.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

# Valid from a little before now, so a client whose clock runs behind can use it at once.
CLOCK_SKEW = dt.timedelta(minutes=5)


def self_signed_certificate(
    common_name: str, *, start: dt.datetime, days: int, end_entity: bool = False
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """An RSA-2048 key and a SHA-256 self-signed certificate for CN=common_name, valid `days`.

    `end_entity` adds a critical BasicConstraints CA:FALSE extension.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - CLOCK_SKEW)
        .not_valid_after(start + dt.timedelta(days=days))
    )
    if end_entity:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True
        )
    return key, builder.sign(key, hashes.SHA256())


def certificate_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_file_pem(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> bytes:
    """The private key + certificate file that CertificateCredential and MSAL read."""
    return private_key_pem(key) + certificate_pem(cert)


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    """The private key as unencrypted PKCS#8 PEM (what MSAL and azure-identity read)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
