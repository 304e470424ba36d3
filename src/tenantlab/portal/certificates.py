"""Self-signed client certificates made on request, for people without openssl at hand.

Only the certificate is registered on the app; the private key is shown once on the page that made
it and kept nowhere, as a client secret is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from tenantlab.directory import ValidationFailed
from tenantlab.ids import sha1_hex
from tenantlab.keys.client_certificates import private_key_pem, self_signed_certificate

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
    key, certificate = self_signed_certificate(
        name,
        start=dt.datetime.fromtimestamp(now, dt.UTC),
        days=round(months * 30.4375),
    )
    return GeneratedCertificate(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        private_key_pem=private_key_pem(key).decode("ascii"),
        thumbprint=sha1_hex(certificate.public_bytes(serialization.Encoding.DER)),
    )
