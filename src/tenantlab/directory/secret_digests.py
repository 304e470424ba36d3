"""How client secrets are kept: a keyed digest, never the secret.

A digest is HMAC-SHA256 keyed with the installation's pepper (32 random bytes sealed in the
database, `keys.secret_pepper`), written `p1.` + base64url. Without the pepper a
copy of the database cannot be used to test guesses offline (a seed file's chosen secret may be
guessable). Digests made before the pepper were keyed with the secret's keyId, which is public:
they still verify, and the token service rewrites each with the pepper on its next successful
use (`Directory.upgrade_secret_digest`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import select

from tenantlab.storage.database import Database
from tenantlab.storage.schema import PasswordCredential

PEPPERED = "p1."


def keyid_digest(key_id: str, secret: str) -> str:
    """The digest before the pepper: HMAC-SHA256 keyed with the (public) keyId, in hex."""
    return hmac.new(
        key_id.encode(), secret.encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True)
class SecretDigests:
    """`source`: the pepper, or what loads it on first use (it is sealed in the database, and
    opening it loads `cryptography`, which a command that digests nothing never needs)."""

    source: bytes | Callable[[], bytes] = field(repr=False)

    @cached_property
    def pepper(self) -> bytes:
        pepper = self.source() if callable(self.source) else self.source
        if len(pepper) < 32:
            raise ValueError("the secret pepper must be at least 32 bytes")
        return pepper

    def digest(self, secret: str) -> str:
        mac = hmac.new(self.pepper, secret.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return PEPPERED + base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    def matches(self, stored: str, key_id: str, secret: str) -> bool:
        """Constant-time check of `secret` against a stored digest of either kind."""
        expected = (
            self.digest(secret) if stored.startswith(PEPPERED) else keyid_digest(key_id, secret)
        )
        return hmac.compare_digest(stored.encode(), expected.encode())

    @staticmethod
    def outdated(stored: str) -> bool:
        """A digest made before the pepper (keyed with the keyId): rewrite it when next used."""
        return not stored.startswith(PEPPERED)


def holds_peppered_digests(database: Database) -> bool:
    """Whether any stored digest needs the pepper (then a missing pepper file is an error)."""
    with database.session() as session:
        found = session.scalar(
            select(PasswordCredential.key_id)
            .where(PasswordCredential.secret_digest.startswith(PEPPERED))
            .limit(1)
        )
    return found is not None
