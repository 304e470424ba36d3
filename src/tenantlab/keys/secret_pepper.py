"""The installation's secret pepper: the key of every client secret digest (directory).

32 random bytes, sealed in the database (`InstallationSecrets`, name `secret-pepper`), made when
first needed, so a secret added through one node verifies on every node. A data folder of an
older version kept it in `{data folder}/secret-pepper.key`: the first node that needs the pepper
and has that file stores its value (so existing digests keep verifying) and removes the file.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from tenantlab.errors import ConfigError
from tenantlab.keys.installation_secrets import InstallationSecrets

PEPPER_BYTES = 32
PEPPER_SETTING = "secret-pepper"


def shared_secret_pepper(
    shared: InstallationSecrets, legacy_file: Path, *, digests_exist: Callable[[], bool]
) -> bytes:
    """The pepper: the stored one, this folder's old file's, or a new one when no digest needs
    an old one (`digests_exist`: whether the database holds digests made with a pepper)."""

    def make() -> bytes:
        if digests_exist():
            raise ConfigError(
                f"the database holds client secrets digested with a secret pepper it does not "
                f"have: start once a node whose data folder still holds {legacy_file.name} "
                "(or restore it from a backup), or delete those secrets and add new ones"
            )
        return secrets.token_bytes(PEPPER_BYTES)

    def from_file(data: bytes) -> bytes | None:
        if len(data) != PEPPER_BYTES:
            raise ConfigError(
                f"{legacy_file} is damaged (it must hold {PEPPER_BYTES} bytes): restore it from "
                "a backup"
            )
        return data

    return shared.shared(PEPPER_SETTING, make=make, legacy_file=legacy_file, legacy=from_file)
