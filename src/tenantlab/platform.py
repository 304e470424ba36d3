"""The emulated cloud's parts, opened once and handed to every front end (STS, Graph, portal)."""

from __future__ import annotations

from dataclasses import dataclass

from tenantlab import bootstrap
from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.config import PlatformSettings, ensure_private_dir
from tenantlab.directory import Directory
from tenantlab.keys import KeyStore
from tenantlab.storage import Database, open_database


@dataclass
class Platform:
    settings: PlatformSettings
    database: Database
    directory: Directory
    keys: KeyStore
    clock: Clock

    @classmethod
    def open(cls, settings: PlatformSettings, clock: Clock = SYSTEM_CLOCK) -> Platform:
        """Open the data folder (owner-only) and its database, migrated to the newest schema."""
        ensure_private_dir(settings.home)
        database = open_database(settings.resolved_database_url)
        directory = Directory(database, clock)
        # Every tenant created through this platform gets its Graph management app (bootstrap.py).
        bootstrap.install(directory, settings)
        return cls(
            settings=settings,
            database=database,
            directory=directory,
            keys=KeyStore(database, settings.signing_keys_dir, clock),
            clock=clock,
        )

    def close(self) -> None:
        self.database.dispose()
