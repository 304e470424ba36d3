"""The admin center's local administrator: one account, its argon2id hash in an owner-only file.

The account lives in the data folder (`portal-admin.json`, mode 0600) rather than in the directory's
tables: it is not an Entra object, and whoever can read the data folder already holds every signing
key. The password comes from `TENANTLAB_PORTAL_PASSWORD` or, when that is unset at first run, is
generated and shown once. Changing it bumps a generation number that every session carries, so
old sessions stop working.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tenantlab.config import write_private_file
from tenantlab.directory import ValidationFailed, validation
from tenantlab.errors import ConfigError

ADMIN_FILE = "portal-admin.json"
SESSION_KEY_FILE = "portal-session.key"
DEFAULT_USERNAME = "admin"


class PortalSettings(BaseSettings):
    """`TENANTLAB_PORTAL_*`: the first-run password and how long a sign-in lasts."""

    model_config = SettingsConfigDict(env_prefix="TENANTLAB_PORTAL_", extra="ignore")

    password: SecretStr | None = None
    session_hours: float = 8.0


@dataclass(frozen=True)
class AdminRecord:
    username: str
    password_hash: str
    generation: int


class LocalAdministrator:
    """Reads the account file on every check, so a password set by the CLI applies at once."""

    def __init__(self, home: Path, hasher: PasswordHasher | None = None) -> None:
        self.path = home / ADMIN_FILE
        # argon2id with the library's defaults (RFC 9106's second recommendation); tests pass a
        # cheaper one. Verification reads the parameters from the stored hash.
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    def exists(self) -> bool:
        return self.path.exists()

    def _read(self) -> AdminRecord | None:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return AdminRecord(
                username=str(data["username"]),
                password_hash=str(data["password_hash"]),
                generation=int(data["generation"]),
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                f"{self.path} is damaged; delete it and restart to choose a new admin password"
            ) from None

    def set_password(self, password: str, username: str = DEFAULT_USERNAME) -> None:
        """Set (or reset) the password; it must pass Entra's own password rules."""
        validation.password(password)
        current = self._read()
        record = {
            "username": username,
            "password_hash": self._hasher.hash(password),
            "generation": (current.generation + 1) if current else 1,
        }
        write_private_file(self.path, json.dumps(record).encode("utf-8"))

    def end_sessions(self) -> None:
        """Invalidate every session: a signed cookie cannot be revoked one by one."""
        current = self._read()
        if current is None:
            return
        record = {
            "username": current.username,
            "password_hash": current.password_hash,
            "generation": current.generation + 1,
        }
        write_private_file(self.path, json.dumps(record).encode("utf-8"))

    def ensure(self, configured_password: str | None = None) -> str | None:
        """Create the account on first run; returns the password only when it was generated.

        A configured password (TENANTLAB_PORTAL_PASSWORD) always wins, so it also resets a
        forgotten one; without it an existing account is left as it is.
        """
        if configured_password:
            if not self.exists() or not self.verify(self.username, configured_password):
                self.set_password(configured_password)
            return None
        if self.exists():
            return None
        generated = generate_password()
        self.set_password(generated)
        return generated

    def verify(self, username: str, password: str) -> bool:
        record = self._read()
        if record is None or not secrets.compare_digest(
            username.strip().lower().encode("utf-8", "surrogatepass"),
            record.username.lower().encode("utf-8", "surrogatepass"),
        ):
            # Spend the same time as for a wrong password, so user names cannot be probed.
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
            self._verify_hash(self._dummy_hash, password)
            return False
        return self._verify_hash(record.password_hash, password)

    def _verify_hash(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def generation(self) -> int | None:
        record = self._read()
        return record.generation if record else None

    @property
    def username(self) -> str:
        record = self._read()
        return record.username if record else DEFAULT_USERNAME


def generate_password() -> str:
    """A random password that also satisfies Entra's three-character-classes rule."""
    while True:
        candidate = secrets.token_urlsafe(18)
        try:
            return validation.password(candidate)
        except ValidationFailed:  # pragma: no cover - token_urlsafe(18) rarely misses a class
            continue


def session_secret(home: Path) -> str:
    """The key that signs session cookies, kept across restarts (owner-only file)."""
    path = home / SESSION_KEY_FILE
    try:
        value = path.read_text("ascii").strip()
        if len(value) >= 43:
            return value
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(48)
    write_private_file(path, value.encode("ascii"))
    return value
