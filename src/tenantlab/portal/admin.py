"""The admin center's local administrator: one account, its argon2id hash in the database.

The account is an installation setting (`installation_settings`, name `portal-admin`), not an
Entra object, so every node sharing the database knows it: a password set on one node (or with
`tenantlab portal password` anywhere) applies on every node at once. Older versions kept it in
the data folder (`portal-admin.json`); the first read finds that file, stores it and removes it.
The password comes from `TENANTLAB_PORTAL_PASSWORD` or, when that is unset at first run, is
generated and shown once. Changing it bumps a generation number that every session carries, so
old sessions stop working on every node.

The key that signs session cookies is shared the same way, sealed (`InstallationSecrets`), so a
session made on one node is valid on the others.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tenantlab.directory import ValidationFailed, validation
from tenantlab.errors import ConfigError
from tenantlab.storage import Database, open_database
from tenantlab.storage.installation import claim_setting, read_setting, replace_setting

if TYPE_CHECKING:
    from tenantlab.keys.installation_secrets import InstallationSecrets

ADMIN_FILE = "portal-admin.json"
SESSION_KEY_FILE = "portal-session.key"
DEFAULT_USERNAME = "admin"
ADMIN_SETTING = "portal-admin"
SESSION_KEY_SETTING = "portal-session-key"


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
    """Reads the account on every check, so a password set anywhere applies at once.

    `database`: the installation's; by default the one the data folder `home` names (as the CLI
    opens it: TENANTLAB_DATABASE_URL, else the folder's SQLite file).
    """

    def __init__(
        self, home: Path, hasher: PasswordHasher | None = None, *, database: Database | None = None
    ) -> None:
        self.path = home / ADMIN_FILE  # where versions before the database kept it
        self._home = home
        self._database = database
        # argon2id with the library's defaults (RFC 9106's second recommendation); tests pass a
        # cheaper one. Verification reads the parameters from the stored hash.
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    @property
    def _db(self) -> Database:
        if self._database is None:
            from tenantlab.config import PlatformSettings

            url = PlatformSettings(home=self._home).resolved_database_url
            self._database = open_database(url)
        return self._database

    def exists(self) -> bool:
        return self._read() is not None

    def _read(self) -> AdminRecord | None:
        found = read_setting(self._db, ADMIN_SETTING)
        if found is None:
            try:
                legacy = self.path.read_text("utf-8")
            except FileNotFoundError:
                return None
            found = claim_setting(self._db, ADMIN_SETTING, value=legacy)
            self.path.unlink(missing_ok=True)
        try:
            data = json.loads(found.value or "")
            return AdminRecord(
                username=str(data["username"]),
                password_hash=str(data["password_hash"]),
                generation=int(data["generation"]),
            )
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                "the admin center's administrator record is damaged: give it a new password "
                "with `tenantlab portal password`"
            ) from None

    @staticmethod
    def _record(username: str, password_hash: str, generation: int) -> str:
        record = {"username": username, "password_hash": password_hash, "generation": generation}
        return json.dumps(record)

    def _write(self, username: str, password_hash: str, generation: int) -> None:
        replace_setting(
            self._db, ADMIN_SETTING, value=self._record(username, password_hash, generation)
        )

    def set_password(self, password: str, username: str = DEFAULT_USERNAME) -> None:
        """Set (or reset) the password; it must pass Entra's own password rules."""
        validation.password(password)
        try:
            current = self._read()
        except ConfigError:  # a damaged record is what a new password replaces
            current = None
        generation = (current.generation + 1) if current else 1
        self._write(username, self._hasher.hash(password), generation)

    def end_sessions(self) -> None:
        """Invalidate every session: a signed cookie cannot be revoked one by one."""
        current = self._read()
        if current is None:
            return
        self._write(current.username, current.password_hash, current.generation + 1)

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
        record = self._record(DEFAULT_USERNAME, self._hasher.hash(generated), 1)
        # First writer wins: workers and nodes starting together on one database each get here,
        # and only the process whose account was stored may show its password (the others'
        # would not sign in).
        stored = claim_setting(self._db, ADMIN_SETTING, value=record)
        return generated if stored.value == record else None

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


def session_secret(shared: InstallationSecrets, home: Path) -> str:
    """The key that signs session cookies, the same on every node and across restarts (sealed in
    the database; a data folder's `portal-session.key` of an older version is taken over)."""

    def from_file(data: bytes) -> bytes | None:
        value = data.strip()
        return value if len(value) >= 43 else None

    key = shared.shared(
        SESSION_KEY_SETTING,
        make=lambda: secrets.token_urlsafe(48).encode("ascii"),
        legacy_file=home / SESSION_KEY_FILE,
        legacy=from_file,
    )
    return key.decode("ascii")
