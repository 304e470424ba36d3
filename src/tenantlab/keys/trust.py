"""The local CA in the forms other runtimes read trust from: an OpenSSL certificate folder and a
Java trust store.

`ca-bundle.pem` (keys/ca.py) serves Python, Node, curl and Go. Two more forms for the rest:

- `tls/certs/` holds the local CA under OpenSSL's subject-hash name (`<hash>.0`), for
  `SSL_CERT_DIR` (OpenSSL's lookup by hash; .NET on Linux and Go read every file in it);
- `tls/truststore.p12`: a PKCS#12 trust store of the system CAs + the local CA, each a trusted
  certificate entry (the attribute Java's KeyStore looks for), for `javax.net.ssl.trustStore`.
  Java replaces its own trust with the store it is given, which is why the system CAs are in it.

Both are rewritten only when the bundle they derive from changes.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.name import _ASN1Type

from tenantlab.config import ensure_private_dir, write_private_file
from tenantlab.keys.ca import TlsFiles

# Java's default trust-store password: the store holds only public certificates, and Java wants a
# password to check the file's integrity MAC.
JAVA_TRUSTSTORE_PASSWORD = "changeit"


@dataclass(frozen=True)
class TrustStores:
    cert_dir: Path
    java_truststore: Path
    java_password: str = JAVA_TRUSTSTORE_PASSWORD

    def java_options(self) -> str:
        """The `-D` options that make a JVM trust the store (for JAVA_TOOL_OPTIONS)."""
        return (
            f"-Djavax.net.ssl.trustStore={self.java_truststore} "
            "-Djavax.net.ssl.trustStoreType=PKCS12 "
            f"-Djavax.net.ssl.trustStorePassword={self.java_password}"
        )


def subject_hash(cert: x509.Certificate) -> str:
    """OpenSSL's `x509 -hash` of the subject: SHA-1 of the canonical name, first 4 bytes LE.

    The canonical form is each RDN's values as lower-case UTF8Strings with runs of white space
    folded, without the outer SEQUENCE header.
    """
    rdns = [
        x509.RelativeDistinguishedName(
            [
                x509.NameAttribute(
                    a.oid,
                    " ".join(str(a.value).split()).lower(),
                    _type=_ASN1Type.UTF8String,
                )
                for a in rdn
            ]
        )
        for rdn in cert.subject.rdns
    ]
    der = x509.Name(rdns).public_bytes()
    length = der[1]
    body = der[2:] if length < 0x80 else der[2 + (length & 0x7F) :]
    digest = hashlib.sha1(body, usedforsecurity=False).digest()  # OpenSSL's choice, not ours
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def ensure_trust_stores(tls: TlsFiles) -> TrustStores:
    """Write (when the bundle changed) the certificate folder and the Java trust store."""
    tls_dir = tls.ca_cert.parent
    bundle_pem = tls.ca_bundle.read_bytes()
    digest = hashlib.sha256(bundle_pem).hexdigest()
    stores = TrustStores(cert_dir=tls_dir / "certs", java_truststore=tls_dir / "truststore.p12")
    stamp = tls_dir / "truststore.sha256"
    if stamp.is_file() and stamp.read_text().strip() == digest and stores.java_truststore.is_file():
        return stores

    ca = x509.load_pem_x509_certificate(tls.ca_cert.read_bytes())
    ensure_private_dir(stores.cert_dir)
    for old in stores.cert_dir.iterdir():
        old.unlink()
    write_private_file(
        stores.cert_dir / f"{subject_hash(ca)}.0", ca.public_bytes(serialization.Encoding.PEM)
    )

    with warnings.catch_warnings():
        # Some system bundles hold an old root with a non-positive serial number: still a root
        # the system trusts, so it goes into the store like the rest.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        certificates = _unique(x509.load_pem_x509_certificates(bundle_pem))
    entries = [
        pkcs12.PKCS12Certificate(cert, _alias(cert, index))
        for index, cert in enumerate(certificates)
    ]
    write_private_file(
        stores.java_truststore,
        pkcs12.serialize_java_truststore(
            entries, serialization.BestAvailableEncryption(JAVA_TRUSTSTORE_PASSWORD.encode())
        ),
    )
    write_private_file(stamp, (digest + "\n").encode())
    return stores


def _unique(certificates: list[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    result = []
    for cert in certificates:
        fingerprint = cert.fingerprint(hashes.SHA256())
        if fingerprint not in seen:
            seen.add(fingerprint)
            result.append(cert)
    return result


def _alias(cert: x509.Certificate, index: int) -> bytes:
    """A distinct friendly name (Java's alias) per entry."""
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    label = str(names[0].value) if names else cert.subject.rfc4514_string()
    return f"{index:03d} {label}".encode()
