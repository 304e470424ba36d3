"""The opt-in persistent token cache: repeated runs of a scheduled daemon reuse a valid token.

The file holds access tokens, so it is created owner-only (0600), replaced atomically, and an
existing file that others can read is refused rather than trusted or silently re-permissioned.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import msal

from tenantlab.config import write_private_file
from tenantlab.daemon.errors import DaemonConfigError

logger = logging.getLogger("tenantlab.daemon")


class TokenCacheFile:
    """An MSAL `SerializableTokenCache` loaded from, and saved to, one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cache = msal.SerializableTokenCache()
        self._load()

    def _load(self) -> None:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise DaemonConfigError(
                f"cannot read the token cache {self.path}: {exc.strerror}"
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise DaemonConfigError(f"the token cache {self.path} is not a regular file")
        if info.st_mode & 0o077:
            raise DaemonConfigError(
                f"the token cache {self.path} is readable by other users: "
                f"chmod 600 {self.path} (or delete it)"
            )
        try:
            self.cache.deserialize(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # A corrupt cache costs one token request, never the run.
            logger.warning(
                "the token cache %s is unreadable; starting with an empty cache", self.path
            )
            self.cache = msal.SerializableTokenCache()

    def save(self) -> None:
        """Write the cache if MSAL changed it; temporary file + rename keeps readers consistent."""
        if not self.cache.has_state_changed:
            return
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        write_private_file(temporary, self.cache.serialize().encode("utf-8"))
        os.replace(temporary, self.path)
        self.cache.has_state_changed = False
