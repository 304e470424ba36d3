"""The installation's secret pepper: the key of every client secret digest (directory).

32 random bytes in `{data folder}/secret-pepper.key`, mode 0600, made on first use. Like the
signing keys' files it belongs to one data folder: processes that share a database share it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from tenantlab.config import write_private_file_once
from tenantlab.errors import ConfigError

PEPPER_BYTES = 32


def load_secret_pepper(path: Path, *, may_create: bool) -> bytes:
    """The pepper in `path`; made there when missing and `may_create` (no digest needs it yet)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if not may_create:
            raise ConfigError(
                f"{path} is missing, but the database holds client secrets digested with it: "
                "restore the file from a backup (or delete those secrets and add new ones)"
            ) from None
        return _create(path)
    if len(data) != PEPPER_BYTES:
        raise ConfigError(
            f"{path} is damaged (it must hold {PEPPER_BYTES} bytes): restore it from a backup"
        )
    return data


def _create(path: Path) -> bytes:
    """Write a new pepper atomically: a complete owner-only file appears, or another process's."""
    data = secrets.token_bytes(PEPPER_BYTES)
    if not write_private_file_once(path, data):  # another process made it first: use theirs
        return load_secret_pepper(path, may_create=False)
    return data
