"""Installation settings: values every node sharing the database agrees on, first writer wins.

A node that starts first on a fresh database records what it was given (the key-encryption key's
id, the public origin); every later node compares its own with the recorded one and refuses to
start on a mismatch. `claim` is that step without a race: the row's primary key lets exactly one
INSERT win, and the losers read the winner's value.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from tenantlab.storage.database import Database
from tenantlab.storage.schema import InstallationSetting


@dataclass(frozen=True)
class Setting:
    value: str | None
    sealed: bytes | None


def read_setting(database: Database, name: str) -> Setting | None:
    with database.session() as session:
        row = session.get(InstallationSetting, name)
        return None if row is None else Setting(row.value, row.sealed)


def claim_setting(
    database: Database, name: str, *, value: str | None = None, sealed: bytes | None = None
) -> Setting:
    """Store `name` unless a node did already; returns what is stored (ours or the earlier one)."""
    found = read_setting(database, name)
    if found is not None:
        return found
    try:
        with database.session() as session:
            session.add(InstallationSetting(name=name, value=value, sealed=sealed))
    except IntegrityError:  # another node's INSERT won meanwhile: theirs is the value
        found = read_setting(database, name)
        if found is None:  # pragma: no cover - a winner's row is never deleted
            raise
        return found
    return Setting(value, sealed)


def replace_setting(
    database: Database, name: str, *, value: str | None = None, sealed: bytes | None = None
) -> None:
    """Overwrite `name` (a changed administrator password, a new session key); last writer wins."""
    try:
        with database.session() as session:
            row = session.get(InstallationSetting, name)
            if row is None:
                session.add(InstallationSetting(name=name, value=value, sealed=sealed))
            else:
                row.value, row.sealed = value, sealed
    except IntegrityError:  # another node's INSERT came first: the row exists now, overwrite it
        with database.session() as session:
            row = session.get(InstallationSetting, name)
            if row is None:  # pragma: no cover - a setting's row is never deleted
                raise
            row.value, row.sealed = value, sealed
