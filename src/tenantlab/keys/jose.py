"""JWS signing with the platform's RSA keys (RS256), and JWK export in Entra's shape.

Signing is on the token endpoint's hot path: headers are encoded once per key, payloads with
compact JSON, and the RSA signature is the only expensive step.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tenantlab.ids import b64url, x5t

SIGNING_CERT_YEARS = 5


def _int_b64url(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True)
class PublicSigningKey:
    """A signing key's certificate: everything the JWKS and a verifier need, nothing secret."""

    certificate: x509.Certificate
    kid: str = field(init=False)

    def __post_init__(self) -> None:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        object.__setattr__(self, "kid", x5t(der))

    @classmethod
    def from_pem(cls, cert_pem: str) -> PublicSigningKey:
        return cls(x509.load_pem_x509_certificate(cert_pem.encode("ascii")))

    def public_key(self) -> rsa.RSAPublicKey:
        key = self.certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):  # pragma: no cover - signing keys are RSA
            raise TypeError("signing keys are RSA")
        return key

    def jwk(self, issuer: str) -> dict[str, Any]:
        """The JWKS entry as Entra publishes it: no `alg`, `kid` == `x5t`, `x5c`, `issuer`."""
        numbers = self.public_key().public_numbers()
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": _int_b64url(numbers.n),
            "e": _int_b64url(numbers.e),
            "x5c": [base64.b64encode(der).decode("ascii")],
            "issuer": issuer,
        }


@dataclass
class SigningKeyMaterial:
    """An RSA private key + its self-signed certificate (kid = x5t = SHA-1 thumbprint)."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    kid: str = field(init=False)
    _headers: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.kid = x5t(self.cert_der)

    @property
    def cert_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def cert_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def header_segment(self, *, with_x5t: bool) -> str:
        """The encoded JOSE header: v1 tokens carry `x5t` and `kid`, v2 tokens only `kid`."""
        cache_key = "v1" if with_x5t else "v2"
        segment = self._headers.get(cache_key)
        if segment is None:
            header: dict[str, str] = {"typ": "JWT", "alg": "RS256"}
            if with_x5t:
                header["x5t"] = self.kid
            header["kid"] = self.kid
            segment = b64url(json.dumps(header, separators=(",", ":")).encode())
            self._headers[cache_key] = segment
        return segment

    def sign(self, payload: dict[str, Any], *, with_x5t: bool = False) -> str:
        signing_input = (
            self.header_segment(with_x5t=with_x5t)
            + "."
            + b64url(json.dumps(payload, separators=(",", ":")).encode())
        )
        signature = self.private_key.sign(
            signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
        return signing_input + "." + b64url(signature)

    @property
    def public(self) -> PublicSigningKey:
        return PublicSigningKey(self.certificate)

    def jwk(self, issuer: str) -> dict[str, Any]:
        """The JWKS entry as Entra publishes it (from the certificate: see PublicSigningKey)."""
        return self.public.jwk(issuer)


def generate_signing_key(now: dt.datetime | None = None) -> SigningKeyMaterial:
    now = now or dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenantlab token signing")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * SIGNING_CERT_YEARS))
        .sign(key, hashes.SHA256())
    )
    return SigningKeyMaterial(key, cert)


def load_signing_key(private_pem: bytes, cert_pem: str) -> SigningKeyMaterial:
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("signing keys are RSA")
    certificate = x509.load_pem_x509_certificate(cert_pem.encode("ascii"))
    if certificate.public_key() != key.public_key():
        raise ValueError("the private key is not the certificate's")
    return SigningKeyMaterial(key, certificate)
