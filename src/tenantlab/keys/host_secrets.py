"""The secret that lets code on a managed identity host ask for that host's tokens.

App Service hands its apps an `IDENTITY_HEADER` secret that the identity endpoint checks; tenantlab
does the same for every host: the secret names the host (tenant id and host name) and carries an
HMAC-SHA256 of that name under a key kept in the data folder (owner-only file, made on first use).
So the endpoint needs no table to check it, `tenantlab managed-identity env` can print it again,
and every process sharing the data folder agrees on it. Deleting the key file revokes them all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from tenantlab.config import write_private_file
from tenantlab.ids import b64url, b64url_decode, is_guid, normalize_guid

KEY_FILE = "managed-identity-host.key"
_MIN_KEY_CHARS = 43


@dataclass(frozen=True)
class HostName:
    tenant_id: str
    host: str


class HostSecrets:
    """Issues and checks host secrets (`IDENTITY_HEADER` values) under the data folder's key."""

    def __init__(self, home: Path) -> None:
        self._path = home / KEY_FILE
        self._key: bytes | None = None

    def _load(self) -> bytes:
        if self._key is None:
            try:
                text = self._path.read_text("ascii").strip()
            except FileNotFoundError:
                text = ""
            if len(text) < _MIN_KEY_CHARS:
                text = secrets.token_urlsafe(48)
                write_private_file(self._path, text.encode("ascii"))
            self._key = text.encode("ascii")
        return self._key

    def issue(self, tenant_id: str, host: str) -> str:
        name = f"{normalize_guid(tenant_id)}/{host}".encode()
        return f"{b64url(name)}.{b64url(self._mac(name))}"

    def check(self, presented: str) -> HostName | None:
        """The host a secret names, or None when it is malformed or its MAC does not match."""
        encoded, dot, mac = presented.strip().partition(".")
        if not dot or len(presented) > 512:
            return None
        try:
            name = b64url_decode(encoded)
            expected = b64url_decode(mac)
        except ValueError:
            return None
        if not hmac.compare_digest(self._mac(name), expected):
            return None
        tenant_id, slash, host = name.decode("utf-8", "replace").partition("/")
        if not slash or not is_guid(tenant_id) or not host:
            return None
        return HostName(tenant_id, host)

    def _mac(self, name: bytes) -> bytes:
        return hmac.new(self._load(), name, hashlib.sha256).digest()
