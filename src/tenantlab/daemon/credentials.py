"""Turn the configured credential into what MSAL's ConfidentialClientApplication accepts.

- Client secret: the string itself.
- Certificate: PEM private key + certificate (MSAL then signs PS256 with `x5t#S256` and sends
  `x5c`), PEM key + SHA-1 thumbprint (RS256 with `x5t`, what the Python sample does), or a .pfx.
  Java's sample keeps the key as unencrypted PKCS#8 DER and the certificate possibly as DER;
  both are re-wrapped as PEM here, so no sample's files need converting.
- Federated assertion: a callable MSAL invokes for every token request, which re-reads the file
  when it changes (Kubernetes rotates projected tokens in place), as azure-identity does.
"""

from __future__ import annotations

import base64
import os
import ssl
import threading
from pathlib import Path
from typing import Any

from tenantlab.daemon.errors import DaemonConfigError
from tenantlab.daemon.settings import Certificate, ClientSecret, Credential, FederatedTokenFile


def msal_client_credential(credential: Credential) -> Any:
    """The `client_credential` argument for MSAL (a str or a dict)."""
    if isinstance(credential, ClientSecret):
        return credential.value
    if isinstance(credential, FederatedTokenFile):
        return {"client_assertion": FederatedAssertion(credential.path)}
    return _certificate_credential(credential)


def _certificate_credential(cert: Certificate) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if cert.pfx_file is not None:
        result["private_key_pfx_path"] = str(cert.pfx_file)
    else:
        assert cert.private_key_file is not None
        result["private_key"] = private_key_pem(cert.private_key_file)
        if cert.thumbprint is not None:
            result["thumbprint"] = cert.thumbprint
        if cert.certificate_file is not None:
            result["public_certificate"] = certificate_pem(cert.certificate_file)
    if cert.passphrase:
        result["passphrase"] = cert.passphrase
    return result


def private_key_pem(path: Path) -> str:
    """A PEM private key; DER PKCS#8 (Java's KEY_PATH) is wrapped as `PRIVATE KEY` PEM."""
    data = _read(path, "private key")
    if b"-----BEGIN" in data:
        if b"PRIVATE KEY" not in data:
            raise DaemonConfigError(f"{path} holds no private key (expected a PEM PRIVATE KEY)")
        return data.decode("ascii", "replace")
    if data[:1] != b"\x30":
        raise DaemonConfigError(f"{path} is neither a PEM nor a DER (PKCS#8) private key")
    return _pem("PRIVATE KEY", data)


def certificate_pem(path: Path) -> str:
    """The first certificate of a PEM file, or a DER certificate, as PEM."""
    data = _read(path, "certificate")
    if b"-----BEGIN CERTIFICATE-----" in data:
        start = data.index(b"-----BEGIN CERTIFICATE-----")
        end = data.find(b"-----END CERTIFICATE-----", start)
        if end < 0:
            raise DaemonConfigError(f"{path}: the certificate's PEM block is not closed")
        return data[start : end + len(b"-----END CERTIFICATE-----")].decode("ascii") + "\n"
    if b"-----BEGIN" in data:
        raise DaemonConfigError(f"{path} holds no certificate (is it the private key?)")
    if data[:1] != b"\x30":
        raise DaemonConfigError(f"{path} is neither a PEM nor a DER certificate")
    return ssl.DER_cert_to_PEM_cert(data)


def _pem(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DaemonConfigError(f"cannot read the {what} file {path}: {exc.strerror}") from None


class FederatedAssertion:
    """A client-assertion callable over a token file, re-read only when the file changes.

    The file's identity (inode, size, mtime in ns) is checked on every call: a stat is cheap, and
    a rotated token must be picked up before the old one expires.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._assertion = ""
        self.reads = 0

    def __call__(self) -> str:
        try:
            info = os.stat(self.path)
        except OSError as exc:
            raise DaemonConfigError(
                f"cannot read the federated token file {self.path}: {exc.strerror}"
            ) from None
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        with self._lock:
            if stamp != self._stamp:
                text = _read(self.path, "federated token").decode("utf-8", "replace").strip()
                if text.count(".") != 2:
                    raise DaemonConfigError(
                        f"the federated token file {self.path} does not hold a JWT "
                        "(expected header.payload.signature)"
                    )
                self._assertion = text
                self._stamp = stamp
                self.reads += 1
            return self._assertion
