"""Schema upgrades that any number of processes may start at once.

Nodes of one installation start together (a deployment, a CI fleet, `serve --workers`): each
finds the schema behind and would run Alembic, and two runs of the same migration collide (a
UniqueViolation on the version table, a table created twice). So an upgrade runs under a lock
the database itself holds, and re-checks the version once it has it: the first process
migrates, the others wait, find the schema current and go on.

- PostgreSQL: a session-level advisory lock, on its own connection; released at the end, or by
  the server when the process dies.
- SQLite: an exclusive `flock` on a sibling file, `{database}.migrate-lock`. Never on the
  database file itself: closing any descriptor of that file drops every POSIX lock SQLite holds
  on it in this process, and the server's connections then fail with "disk I/O error" once
  another process writes (a node that made its own database, then `tenantlab seed` beside it).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

# pg_advisory_lock's key: b"tenantlb" as a big-endian int64 (one lock for every schema we own).
ADVISORY_LOCK_KEY = int.from_bytes(b"tenantlb", "big")


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Held while one process upgrades the schema; others block here until it is done."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
                connection.commit()
        return
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        yield  # one process's memory, or a dialect with no lock of ours: nothing to share
        return
    fd = os.open(Path(path + ".migrate-lock"), os.O_RDONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock
