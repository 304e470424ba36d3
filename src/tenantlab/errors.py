"""The root of every error tenantlab raises on purpose.

    TenantlabError
    ├── ConfigError                 bad settings or files (CLI: one line, exit 2)
    ├── storage.errors.StorageError
    ├── directory.errors.DirectoryError
    │   ├── NotFound ...
    │   └── ValidationFailed ...
    └── (each app package adds its own subtree)

Every subclass carries a message meant for a person: what went wrong and, where there is one,
the fix. Secrets never go into a message.
"""

from __future__ import annotations


class TenantlabError(Exception):
    """Root of tenantlab's own errors."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(TenantlabError):
    """A setting, flag or configuration file is wrong; the message says how to fix it."""
