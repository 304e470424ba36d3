"""Settings shared by every component: where the data folder is, which database, which URLs.

Nothing here reads the environment at import time; `PlatformSettings()` does, when called.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORT = 5443
DEFAULT_TODO_PORT = 44351

# Microsoft's own origins. When tenantlab's public origin is Entra's (`tenantlab run`, `tenantlab
# up --as-microsoft`: the names resolve to tenantlab and its CA is trusted), every URL and issuer
# is Entra's and Graph's exactly, so production validation code runs unchanged.
MICROSOFT_LOGIN_ORIGIN = "https://login.microsoftonline.com"
MICROSOFT_GRAPH_ORIGIN = "https://graph.microsoft.com"
MICROSOFT_V1_ISSUER_ORIGIN = "https://sts.windows.net"


class PlatformSettings(BaseSettings):
    """The emulated cloud's settings (`TENANTLAB_*` environment variables)."""

    model_config = SettingsConfigDict(env_prefix="TENANTLAB_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".tenantlab")
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    # The origin clients use; issuers and endpoints are derived from it. Default: https://localhost:{port}
    public_url: str | None = None
    # Extra DNS names / IPs for the TLS server certificate (comma separated in the environment).
    tls_names: list[str] = Field(default_factory=list)
    # Redis shared by every node of one cloud (Graph throttling, sign-in limits); None: counted
    # in each process, which is right for one server process.
    redis_url: str | None = None
    # PostgreSQL connections one node may hold for requests, shared out among its worker
    # processes (`database_pool_size`); and how many worker processes this node runs.
    database_connections: int = Field(default=10, ge=1)
    workers: int = Field(default=1, ge=1)
    # Sign-in records older than this many days are pruned (Entra keeps them 30 days).
    sign_in_retention_days: float = Field(default=30, gt=0)
    # Seals the secrets kept in the database (keys.envelope). Required with a shared database;
    # otherwise made on first start in {home}/key-encryption.key.
    key_encryption_key: SecretStr | None = None

    @field_validator("home", mode="before")
    @classmethod
    def _expand_home(cls, value: object) -> object:
        if isinstance(value, str):
            return Path(os.path.expanduser(value))
        return value

    @field_validator("public_url")
    @classmethod
    def _https_origin(cls, value: str | None) -> str | None:
        """Every issuer, endpoint and the authority Graph trusts derive from the public origin,
        and MSAL and azure-identity refuse a plain http authority: it is https, always. Plain
        HTTP is served only behind a TLS-terminating proxy whose origin this is (`serve --http`).
        """
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(
                f"the public URL must be an https:// origin, not {value!r} (clients refuse "
                "plain http; behind a TLS-terminating proxy give its https:// origin and --http)"
            )
        return "https" + value[len("https") :]  # the scheme in lower case, as issuers spell it

    @field_validator("tls_names", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'tenantlab.db'}"

    @property
    def shared_database(self) -> bool:
        """A database server (PostgreSQL) rather than a SQLite file: nodes on other machines may
        share it, so nothing they must agree on can come from this node's data folder."""
        return not self.resolved_database_url.startswith("sqlite")

    @property
    def database_pool_size(self) -> int:
        """Each worker's PostgreSQL pool: ceil(database_connections / workers), at least 2.

        A worker may open as many again in overflow under a burst, plus one connection for its
        revision listener, so one node holds at most 2 * pool * workers + workers connections:
        keep nodes * that under PostgreSQL's max_connections (docs/deployment.md).
        """
        return max(2, math.ceil(self.database_connections / self.workers))

    @property
    def origin(self) -> str:
        """The public origin, without a trailing slash (e.g. https://localhost:5443)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"https://localhost:{self.port}"

    @property
    def as_microsoft(self) -> bool:
        """True when tenantlab stands in for login.microsoftonline.com itself."""
        return self.origin.lower() == MICROSOFT_LOGIN_ORIGIN

    @property
    def graph_origin(self) -> str:
        """Where Graph is served: graph.microsoft.com as Microsoft, else the cloud origin."""
        return MICROSOFT_GRAPH_ORIGIN if self.as_microsoft else self.origin

    @property
    def v1_issuer_origin(self) -> str:
        """The origin of v1 issuers: Entra's `https://sts.windows.net` as Microsoft, else ours."""
        return v1_issuer_origin(self.origin)

    @property
    def ca_bundle_path(self) -> Path:
        return self.home / "ca-bundle.pem"

    @property
    def tls_dir(self) -> Path:
        return self.home / "tls"

    @property
    def signing_keys_dir(self) -> Path:
        return self.home / "signing-keys"

    @property
    def secret_pepper_path(self) -> Path:
        """The key of every client secret digest (keys.secret_pepper)."""
        return self.home / "secret-pepper.key"

    @property
    def key_encryption_key_path(self) -> Path:
        """The KEK of a single-node installation (keys.encryption_key), made on first start."""
        return self.home / "key-encryption.key"


def make_private_dirs(path: Path) -> None:
    """Create `path` and every missing parent readable by the owner only (0700).

    `Path.mkdir(parents=True, mode=0o700)` applies the mode to the last folder only: the parents
    it creates get the umask's 0755. Folders that already exist are left as they are.
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue  # made meanwhile by another process: not ours to change
        os.chmod(folder, 0o700)  # a umask like 0o277 would have taken bits away


def v1_issuer_origin(origin: str) -> str:
    """Entra's v1 issuer is `https://sts.windows.net/{tid}/`; tenantlab's stand-in, on its own
    origin, is `{origin}/{tid}/` — unless tenantlab is login.microsoftonline.com, when it is
    Entra's exactly."""
    origin = origin.rstrip("/")
    return MICROSOFT_V1_ISSUER_ORIGIN if origin.lower() == MICROSOFT_LOGIN_ORIGIN else origin


def ensure_private_dir(path: Path) -> Path:
    """Create a folder (and its missing parents) readable by the owner only."""
    make_private_dirs(path)
    os.chmod(path, 0o700)
    return path


def write_private_file(path: Path, data: bytes) -> None:
    """Write a file that only its owner can read (private keys, credentials)."""
    make_private_dirs(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)


def write_private_file_once(path: Path, data: bytes) -> bool:
    """Create `path` (0600) holding `data` atomically unless it exists: a complete file appears,
    never a half-written one. False when another process made it first (read theirs)."""
    make_private_dirs(path.parent)
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_private_file(draft, data)
    try:
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        draft.unlink()
    return True


def prepare_private_file(path: Path) -> None:
    """Make sure `path` exists with mode 0600, so a library that opens it later (SQLite) writes
    into an owner-only file. An existing file readable by others is made owner-only."""
    make_private_dirs(path.parent)
    # Create it if missing, but never open an existing one: closing any descriptor of a file
    # drops every POSIX lock this process holds on it, SQLite's included. A second Database on
    # the same file in one process (a CLI command run in process, a test) then left the first
    # one's connections unlocked, and another process closing its last connection deleted the
    # WAL under them: each side went on with its own copy of the data.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o600)
