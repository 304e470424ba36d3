"""Secrets at rest in the database: an AES-GCM envelope under the installation's key-encryption key.

Each secret gets its own random 256-bit data key; the secret is sealed under the data key and the
data key under the key-encryption key (KEK), both AES-256-GCM with a fresh 96-bit nonce. The
blob names what it holds (`context`, e.g. `signing-key:{kid}`) as associated data of both layers,
so a sealed value copied into another row does not open. Changing the KEK later means re-wrapping
the small data keys only, never re-encrypting the secrets themselves.

    blob = b"tle1" | kek id (8) | nonce (12) | sealed data key (32+16) | nonce (12) | sealed secret

The KEK never reaches the database: only its id, an HMAC of a fixed label under the KEK (stdlib,
so checking a KEK at start loads no `cryptography`), which tells a wrong KEK from a damaged blob.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from tenantlab.errors import ConfigError

KEK_BYTES = 32
MAGIC = b"tle1"
_ID_BYTES = 8
_NONCE = 12
_WRAPPED = KEK_BYTES + 16
_HEADER = len(MAGIC) + _ID_BYTES + _NONCE + _WRAPPED + _NONCE
MAKE_ONE = "make one with: openssl rand -base64 32"


class SealedSecretError(Exception):
    """A blob that this KEK cannot open: sealed under another KEK, or damaged. Never shows it."""


class KeyEncryptionKey:
    """The installation's KEK: seals and opens the secrets tenantlab keeps in its database."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEK_BYTES:
            raise ValueError(f"a key-encryption key is {KEK_BYTES} bytes")
        self._key = key
        label = hmac.new(key, b"tenantlab key-encryption key id", hashlib.sha256).digest()
        self._id = label[:_ID_BYTES]

    def __repr__(self) -> str:  # never the key, in a log or a traceback
        return f"KeyEncryptionKey(id={self.key_id})"

    @classmethod
    def parse(cls, text: str, *, where: str) -> KeyEncryptionKey:
        """A KEK written as base64 (standard or URL-safe, padding optional), as `openssl rand
        -base64 32` prints it; `where` names the setting or file in the error."""
        value = text.strip()
        try:
            raw = base64.b64decode(
                value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4)
            )
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != KEK_BYTES:
            raise ConfigError(
                f"{where} is not a key-encryption key ({KEK_BYTES} random bytes in base64): "
                f"{MAKE_ONE}"
            )
        return cls(raw)

    @classmethod
    def generate(cls) -> KeyEncryptionKey:
        return cls(os.urandom(KEK_BYTES))

    def text(self) -> str:
        """The form `parse` reads (what goes in the key file or TENANTLAB_KEY_ENCRYPTION_KEY)."""
        return base64.b64encode(self._key).decode("ascii")

    @property
    def key_id(self) -> str:
        """Public: stored in the database to recognise the KEK its secrets are sealed under."""
        return self._id.hex()

    def seal(self, secret: bytes, *, context: str) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        aad = MAGIC + context.encode("utf-8")
        data_key = AESGCM.generate_key(bit_length=256)
        key_nonce, secret_nonce = os.urandom(_NONCE), os.urandom(_NONCE)
        wrapped = AESGCM(self._key).encrypt(key_nonce, data_key, aad)
        sealed = AESGCM(data_key).encrypt(secret_nonce, secret, aad)
        return MAGIC + self._id + key_nonce + wrapped + secret_nonce + sealed

    def open(self, blob: bytes, *, context: str) -> bytes:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if len(blob) < _HEADER + 16 or not blob.startswith(MAGIC):
            raise SealedSecretError(f"the sealed {context} is damaged")
        at = len(MAGIC)
        if not hmac.compare_digest(blob[at : at + _ID_BYTES], self._id):
            raise SealedSecretError(f"the {context} is sealed under another key-encryption key")
        at += _ID_BYTES
        key_nonce, at = blob[at : at + _NONCE], at + _NONCE
        wrapped, at = blob[at : at + _WRAPPED], at + _WRAPPED
        secret_nonce, sealed = blob[at : at + _NONCE], blob[at + _NONCE :]
        aad = MAGIC + context.encode("utf-8")
        try:
            data_key = AESGCM(self._key).decrypt(key_nonce, wrapped, aad)
            return AESGCM(data_key).decrypt(secret_nonce, sealed, aad)
        except InvalidTag:
            raise SealedSecretError(f"the sealed {context} is damaged") from None
