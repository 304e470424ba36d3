"""Secrets of the installation that every node must share, sealed in the database.

The portal's session key, the client-secret pepper, the managed-identity host key: each was a
0600 file of one data folder, so a node on another machine signed other cookies, digested
other secrets and checked other host secrets. Each now lives in `installation_settings`, sealed
under the key-encryption key (`keys.envelope`), under its name as associated data. The first
node to need one stores it; a node that still has the file of an older version stores that one
(so existing sessions, secrets and host secrets keep working) and removes the file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from tenantlab.keys.envelope import KeyEncryptionKey
from tenantlab.storage.database import Database
from tenantlab.storage.installation import claim_setting, read_setting


class InstallationSecrets:
    """Named secrets, opened once per process."""

    def __init__(self, database: Database, kek: KeyEncryptionKey) -> None:
        self._db = database
        self._kek = kek
        self._opened: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def shared(
        self,
        name: str,
        *,
        make: Callable[[], bytes],
        legacy_file: Path | None = None,
        legacy: Callable[[bytes], bytes | None] = lambda data: data,
    ) -> bytes:
        """The secret `name`: the stored one; else this node's legacy file's (`legacy` turns its
        bytes into the secret, None when unusable); else `make()`'s."""
        with self._lock:
            opened = self._opened.get(name)
            if opened is not None:
                return opened
            found = read_setting(self._db, name)
            remember = True
            if found is None or found.sealed is None:
                # Made inside an open transaction, it is stored only if that commits: remember
                # it only then (a dry run must not leave this process with an unstored secret).
                remember = not self._db.in_transaction
                value = None
                if legacy_file is not None:
                    try:
                        value = legacy(legacy_file.read_bytes())
                    except FileNotFoundError:
                        value = None
                if value is None:
                    value = make()
                found = claim_setting(self._db, name, sealed=self._kek.seal(value, context=name))
                if legacy_file is not None:
                    self._db.after_commit(partial(legacy_file.unlink, missing_ok=True))
            assert found.sealed is not None  # claimed with a sealed value
            opened = self._kek.open(found.sealed, context=name)
            if remember:
                self._opened[name] = opened
            return opened

    def seal(self, secret: bytes, *, context: str) -> bytes:
        """Seal a secret kept elsewhere in the database (a row of its own table)."""
        return self._kek.seal(secret, context=context)

    def open(self, blob: bytes, *, context: str) -> bytes:
        return self._kek.open(blob, context=context)
