"""The directory's revision, for per-process caches, without a database round trip per request.

Every directory write bumps one counter (`bump_revision`); caches (the token service's tenant
snapshots, Graph's tenant rules) are keyed by it. The token endpoint asks for it on every request,
so how it is read decides what a token costs:

- SQLite: a one-row SELECT on a private connection per thread, a few microseconds, which in WAL
  mode sees every commit of every process sharing the file: changes show on the next request.
- PostgreSQL: a round trip per token would block the event loop and cost about a third of the
  token's CPU. Instead a thread LISTENs on the `tenantlab_directory` channel (`bump_revision`
  NOTIFYs it in the writing transaction, so the notification leaves at commit) and re-reads the
  revision when told, and at least every `POLL_SECONDS` in case a notification was lost while it
  reconnected. `current()` is then a memory read. A change on another node is seen as soon as
  its notification arrives (milliseconds on a LAN; `POLL_SECONDS` at worst); a change committed
  by this process is seen on the next request (the commit marks the cached value stale).
- Anything else (an in-memory SQLite): a query through the engine.

`fresh()` always reads the database: for a request about to fail for something a fresher
snapshot might have (the token service's second chance).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from tenantlab.storage.database import Database

log = logging.getLogger("tenantlab.storage")

REVISION_QUERY = "SELECT revision FROM directory_state WHERE id = 1"
CHANNEL = "tenantlab_directory"
# The listener re-reads the revision at least this often, notified or not.
POLL_SECONDS = 1.0
# After the listener lost its connection, how long before it tries again.
RECONNECT_SECONDS = 0.5


class RevisionWatch:
    """The directory revision as fresh as the database allows cheaply (see the module doc)."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._local = threading.local()
        self._sqlite_path: str | None = None
        self._listening = False
        url = make_url(str(database.engine.url))
        if database.is_sqlite:
            path = url.database
            if path and path != ":memory:" and not path.startswith("file:"):
                self._sqlite_path = path
        elif database.engine.dialect.name == "postgresql":
            self._listening = True
        self._lock = threading.Lock()
        self._latest: int | None = None  # None: unknown or stale, read before answering
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def current(self) -> int:
        """The revision: from memory when a listener keeps it, else one cheap read."""
        if not self._listening:
            return self.fresh()
        latest = self._latest
        if latest is not None:
            return latest
        self._start()
        return self._store(self.fresh())

    def fresh(self) -> int:
        """The revision read from the database now."""
        if self._sqlite_path is None:
            with self._db.engine.connect() as engine_connection:
                value = engine_connection.execute(text(REVISION_QUERY)).scalar()
                return int(value or 0)
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self._sqlite_path, timeout=10, isolation_level=None, check_same_thread=False
            )
            self._local.connection = connection
        row = connection.execute(REVISION_QUERY).fetchone()
        return int(row[0]) if row else 0

    def changed_here(self) -> None:
        """A write of this process committed: the next `current()` reads the database."""
        self._latest = None

    def _store(self, revision: int) -> int:
        with self._lock:
            if self._latest is None or revision > self._latest:
                self._latest = revision
            return revision

    def _advance(self, revision: int) -> None:
        """The listener's news; a stale mark (None) stays for `current()` to read through."""
        with self._lock:
            if self._latest is not None and revision > self._latest:
                self._latest = revision

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stopped.is_set():
                return
            self._thread = threading.Thread(
                target=self._listen, name="tenantlab-revision-listener", daemon=True
            )
            self._thread.start()

    def _listen(self) -> None:
        import psycopg

        url = make_url(str(self._db.engine.url)).set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        failing = False
        while not self._stopped.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    if failing:
                        log.info("the revision listener is connected again")
                        failing = False
                    while not self._stopped.is_set():
                        self._advance(_read(connection))
                        for _ in connection.notifies(timeout=POLL_SECONDS, stop_after=1):
                            pass
            except psycopg.Error as exc:
                if not failing:
                    log.warning(
                        "the revision listener lost the database (%s): retrying",
                        str(exc).strip().splitlines()[0] if str(exc).strip() else "error",
                    )
                    failing = True
                # The last revision stays: snapshots keep serving while the database restarts
                # (nothing can change while it is down) or this connection alone is lost.
                self._stopped.wait(RECONNECT_SECONDS)

    def close(self) -> None:
        self._stopped.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=POLL_SECONDS + 1)


def _read(connection: Any) -> int:
    row = connection.execute(REVISION_QUERY).fetchone()
    return int(row[0]) if row else 0
