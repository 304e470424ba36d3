"""Which key-encryption key (KEK) this node uses, and whether it is the installation's.

- `TENANTLAB_KEY_ENCRYPTION_KEY` (base64 of 32 random bytes) wins wherever it is set.
- Without it, a single-node installation (a SQLite file) keeps its KEK in
  `{home}/key-encryption.key` (0600), made on first start: processes sharing the data folder
  share it, as they share the database file.
- With a shared database (PostgreSQL) the variable is required: nodes on other machines have no
  common folder, and a KEK made by each would seal secrets the others cannot open.

The first node records the KEK's id (`installation_settings`, never the KEK); a node whose KEK
has another id is refused at start, before it could seal anything the others cannot read.
"""

from __future__ import annotations

from tenantlab.config import PlatformSettings, write_private_file_once
from tenantlab.errors import ConfigError
from tenantlab.keys.envelope import MAKE_ONE, KeyEncryptionKey
from tenantlab.storage.database import Database
from tenantlab.storage.installation import claim_setting, read_setting

KEK_ID_SETTING = "key-encryption-key-id"
ENV_NAME = "TENANTLAB_KEY_ENCRYPTION_KEY"


def load_key_encryption_key(settings: PlatformSettings, database: Database) -> KeyEncryptionKey:
    """This node's KEK, checked against the installation's; ConfigError (one line, the fix)."""
    configured = settings.key_encryption_key
    path = settings.key_encryption_key_path
    recorded = read_setting(database, KEK_ID_SETTING)
    if configured is not None:
        kek = KeyEncryptionKey.parse(configured, where=ENV_NAME)
        source = ENV_NAME
    elif settings.shared_database:
        raise ConfigError(
            f"a shared database needs {ENV_NAME}, the same on every node ({MAKE_ONE}; "
            f"a node that ran on its own keeps its key in {path})"
        )
    else:
        kek = _from_file(settings, first=recorded is None)
        source = str(path)
    stored = claim_setting(database, KEK_ID_SETTING, value=kek.key_id)
    if stored.value != kek.key_id:
        raise ConfigError(
            f"{source} is not the key-encryption key this database's secrets are sealed under: "
            f"give every node the one the first node used ({ENV_NAME}, or {path} of a node that "
            "ran on its own), or restore it from a backup"
        )
    return kek


def _from_file(settings: PlatformSettings, *, first: bool) -> KeyEncryptionKey:
    path = settings.key_encryption_key_path
    try:
        return KeyEncryptionKey.parse(path.read_text("ascii"), where=str(path))
    except FileNotFoundError:
        if not first:
            raise ConfigError(
                f"{path} is missing, but this database holds secrets sealed under it: restore it "
                f"from a backup (or set {ENV_NAME} to it)"
            ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is damaged: restore it from a backup") from None
    kek = KeyEncryptionKey.generate()
    if write_private_file_once(path, (kek.text() + "\n").encode("ascii")):
        return kek
    return KeyEncryptionKey.parse(path.read_text("ascii"), where=str(path))  # another process's
