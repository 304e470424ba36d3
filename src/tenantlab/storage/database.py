"""Engines, sessions and migrations. SQLite file by default, PostgreSQL (psycopg 3) by URL.

`open_database(url)` migrates the schema to the newest revision before it returns, so a data folder
made by an older tenantlab is upgraded in place (Alembic, `storage/migrations`).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tenantlab.config import prepare_private_file
from tenantlab.storage.errors import StorageError
from tenantlab.storage.migrating import migration_lock
from tenantlab.storage.revisions import CHANNEL, RevisionWatch

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalize_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL + synchronous=NORMAL survives a killed process (not a power cut) and lets readers run
    # alongside one writer; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _private_sqlite_files(path: Path) -> None:
    """The database file, and so its -wal and -shm (SQLite gives them the database file's mode),
    owner-only (0600) in owner-only folders, wherever the file lives."""
    prepare_private_file(path)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        with suppress(FileNotFoundError):
            if companion.stat().st_mode & 0o077:
                os.chmod(companion, 0o600)


# A server process's PostgreSQL pool unless told otherwise (see config.database_pool_size).
DEFAULT_POOL_SIZE = 10


def create_db_engine(url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> Engine:
    """The engine for `url`; on PostgreSQL a pool of `pool_size` connections, as many again in
    overflow under bursts."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            try:
                _private_sqlite_files(Path(path))
            except OSError as exc:
                raise StorageError(
                    f"cannot open the database {path}: {exc.strerror or exc} "
                    "(check TENANTLAB_DATABASE_URL and the folder's permissions)"
                ) from None
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)


class Database:
    """An engine, a session factory and the migrations applied to it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = threading.Lock()
        # The session of the `transaction()` running in this thread/context, if any, and what
        # to do once it commits.
        self._ambient: ContextVar[Session | None] = ContextVar(f"db-{id(self)}", default=None)
        self._after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar(
            f"db-after-commit-{id(self)}", default=None
        )
        self._revisions: RevisionWatch | None = None
        event.listen(self.sessions, "after_commit", self._committed)

    @property
    def revisions(self) -> RevisionWatch:
        """The directory revision for caches (storage.revisions): one watch per database."""
        with self._lock:
            if self._revisions is None:
                self._revisions = RevisionWatch(self)
            return self._revisions

    def _committed(self, session: Session) -> None:
        if session.info.pop(_BUMPED, False) and self._revisions is not None:
            self._revisions.changed_here()

    @property
    def in_transaction(self) -> bool:
        """Whether a `transaction()` is open in this context (what it writes may roll back)."""
        return self._ambient.get() is not None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any exception.

        Inside `transaction()` it is that transaction's session: flushed, not committed.
        """
        ambient = self._ambient.get()
        if ambient is not None:
            yield ambient
            ambient.flush()
            return
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[None]:
        """One unit of work around the whole block: every `session()` in it (any service, this
        thread) shares one session, and it all commits at the end or none of it does.

        `commit=False` rolls back at the end even on success: a dry run. Work outside the database
        (files) registered with `after_commit` runs only once the commit succeeded.
        """
        if self._ambient.get() is not None:
            raise RuntimeError("a transaction is already open on this database")
        callbacks: list[Callable[[], None]] = []
        with self.sessions() as session:
            ambient = self._ambient.set(session)
            pending = self._after_commit.set(callbacks)
            try:
                yield
                if commit:
                    session.commit()
                else:
                    session.rollback()
                    callbacks.clear()
            except BaseException:
                session.rollback()
                raise
            finally:
                self._ambient.reset(ambient)
                self._after_commit.reset(pending)
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the open `transaction()` commits (never if it rolls back); now,
        when no transaction is open (each `session()` has committed already)."""
        callbacks = self._after_commit.get()
        if callbacks is None:
            callback()
        else:
            callbacks.append(callback)

    def migrate(
        self, version_table: str = "alembic_version", scripts: Path = MIGRATIONS_DIR
    ) -> None:
        """Upgrade to the newest schema; a database already there costs one SELECT.

        Under the database's migration lock (storage.migrating), so nodes starting together
        upgrade it once. Alembic (and Mako, and Pygments) take longer to import than SQLAlchemy
        itself, and every `tenantlab` command opens the database: they are loaded only when there
        is work to do.
        """
        if self._at_head(version_table, scripts):
            return
        from alembic import command
        from alembic.config import Config
        from alembic.util.exc import CommandError

        config = Config()
        config.set_main_option("script_location", str(scripts))
        config.attributes["connection_engine"] = self.engine
        config.attributes["version_table"] = version_table
        with self._lock, migration_lock(self.engine):
            if self._at_head(version_table, scripts):
                return  # another process upgraded it while this one waited
            try:
                command.upgrade(config, "head")
            except CommandError as exc:  # e.g. a revision this version does not know
                where = self.engine.url.render_as_string(hide_password=True)
                raise StorageError(
                    f"cannot upgrade the database {where}: {str(exc).splitlines()[0]} (was it "
                    "upgraded by a newer tenantlab? run that version, or restore a backup)"
                ) from None

    def _at_head(self, version_table: str, scripts: Path = MIGRATIONS_DIR) -> bool:
        head = migration_head(scripts / "versions")
        if head is None:
            return False
        try:
            with self.engine.connect() as connection:
                query = f"SELECT version_num FROM {version_table}"  # noqa: S608 - our constant
                rows = connection.execute(text(query))
                return list(rows.scalars()) == [head]
        except DBAPIError:
            return False  # no version table yet: a new database

    def dispose(self) -> None:
        if self._revisions is not None:
            self._revisions.close()
        self.engine.dispose()


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)
_NAME = re.compile(r"""^["']([\w.-]+)["']$""")


def migration_head(folder: Path = MIGRATIONS_DIR / "versions") -> str | None:
    """The single head revision of the migration scripts, read as text without Alembic.

    None when that is not plain (several heads, a merge, a computed value): then Alembic decides.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in folder.glob("*.py"):
        found = dict(_ASSIGNMENT.findall(script.read_text("utf-8")))
        revision = _NAME.match(found.get("revision", ""))
        down = found.get("down_revision", "None")
        if revision is None:
            return None
        revisions.add(revision.group(1))
        if down != "None":
            parent = _NAME.match(down)
            if parent is None:
                return None
            parents.add(parent.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def open_database(
    url: str, *, migrate: bool = True, pool_size: int = DEFAULT_POOL_SIZE
) -> Database:
    """Open (and by default migrate) the database; StorageError with the fix if it fails."""
    try:
        make_url(normalize_url(url))
    except (ArgumentError, ValueError):  # their texts quote the URL, password and all
        raise StorageError(
            f"{safe_url(url)} is not a database URL tenantlab can use: give TENANTLAB_DATABASE_URL "
            "as postgresql://user:password@host/database or sqlite:////path/to/file.db"
        ) from None
    try:
        database = Database(create_db_engine(url, pool_size=pool_size))
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        if migrate:
            database.migrate()
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StorageError(
            f"cannot open the database {safe_url(url)}: {reason} "
            "(check TENANTLAB_DATABASE_URL, and that the server is running)"
        ) from None
    except ModuleNotFoundError as exc:
        raise StorageError(f"no database driver for {safe_url(url)}: {exc.name}") from None
    except (DatabaseError, UnicodeDecodeError) as exc:
        raise damaged_database(url, exc) from None
    return database


def damaged_database(url: str, exc: BaseException) -> StorageError:
    """One line for a database whose content cannot be read: which file, and what to do."""
    orig = getattr(exc, "orig", None) or exc
    reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if isinstance(exc, UnicodeDecodeError):
        reason = "file is not a database"
    path = make_url(url).database if url.startswith("sqlite") else None
    if path and path != ":memory:":
        return StorageError(
            f"the database file {path} is damaged ({reason}): move it aside "
            f"(mv {path} {path}.damaged) to start again with an empty directory, "
            "or restore a backup"
        )
    return StorageError(f"cannot read the database {safe_url(url)}: {reason}")


_BUMPED = "tenantlab.revision-bumped"


def bump_revision(session: Session) -> None:
    """Mark the directory as changed (caches in every process reload on their next look).

    On PostgreSQL the other nodes' revision listeners are told at commit (storage.revisions).
    """
    session.execute(text("UPDATE directory_state SET revision = revision + 1 WHERE id = 1"))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))
    session.info[_BUMPED] = True


def current_revision(session: Session) -> int:
    value = session.execute(text("SELECT revision FROM directory_state WHERE id = 1")).scalar()
    return int(value or 0)
