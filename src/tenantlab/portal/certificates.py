"""Self-signed client certificates made on request, for people without openssl at hand.

Only the certificate is registered on the app; the private key is shown once on the page that made
it and kept nowhere, as a client secret is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tenantlab.directory import ValidationFailed
from tenantlab.ids import sha1_hex

VALIDITY_MONTHS = (3, 6, 12, 24)


@dataclass(frozen=True)
class GeneratedCertificate:
    certificate_pem: str
    private_key_pem: str  # shown once; never stored
    thumbprint: str  # upper-case hex SHA-1, as the portal lists it


def generate_certificate(common_name: str, months: int, now: float) -> GeneratedCertificate:
    name = common_name.strip()
    if not name or len(name) > 64:
        raise ValidationFailed("the certificate's subject name must be 1 to 64 characters")
    if months not in VALIDITY_MONTHS:
        raise ValidationFailed(
            "choose a validity of " + ", ".join(str(m) for m in VALIDITY_MONTHS) + " months"
        )
    start = dt.datetime.fromtimestamp(now, dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - dt.timedelta(minutes=5))
        .not_valid_after(start + dt.timedelta(days=round(months * 30.4375)))
        .sign(key, hashes.SHA256())
    )
    return GeneratedCertificate(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii"),
        thumbprint=sha1_hex(certificate.public_bytes(serialization.Encoding.DER)),
    )
