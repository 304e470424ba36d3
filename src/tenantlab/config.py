"""Settings shared by every component: where the data folder is, which database, which URLs.

Nothing here reads the environment at import time; `PlatformSettings()` does, when called.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORT = 5443
DEFAULT_TODO_PORT = 44351


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

    @field_validator("home", mode="before")
    @classmethod
    def _expand_home(cls, value: object) -> object:
        if isinstance(value, str):
            return Path(os.path.expanduser(value))
        return value

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
    def origin(self) -> str:
        """The public origin, without a trailing slash (e.g. https://localhost:5443)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"https://localhost:{self.port}"

    @property
    def ca_bundle_path(self) -> Path:
        return self.home / "ca-bundle.pem"

    @property
    def tls_dir(self) -> Path:
        return self.home / "tls"

    @property
    def signing_keys_dir(self) -> Path:
        return self.home / "signing-keys"


def ensure_private_dir(path: Path) -> Path:
    """Create a folder readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def write_private_file(path: Path, data: bytes) -> None:
    """Write a file that only its owner can read (private keys, credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)
