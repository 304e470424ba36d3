"""ToDo items in SQLite (default, `{TENANTLAB_HOME}/todo.db`) or PostgreSQL, migrated on open.

Every write is its own committed transaction before the API answers, so an acknowledged write
survives the process being killed (SQLite WAL; PostgreSQL's own durability).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.exc import DatabaseError

from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.storage import (
    Database,
    StorageError,
    damaged_database,
    open_database,
    safe_url,
)
from tenantlab.todo.schema import VERSION_TABLE, TodoItem

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True, slots=True)
class Todo:
    id: int
    owner: str
    description: str

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "owner": self.owner, "description": self.description}


def _todo(row: TodoItem) -> Todo:
    return Todo(id=row.id, owner=row.owner, description=row.description)


def open_todo_database(url: str) -> Database:
    """Open the database and bring the ToDo tables to the newest revision (under the database's
    migration lock, as the cloud's own tables: API processes may start together)."""
    database = open_database(url, migrate=False)
    try:
        database.migrate(version_table=VERSION_TABLE, scripts=MIGRATIONS_DIR)
    except StorageError:
        database.dispose()
        raise
    except DatabaseError as exc:
        database.dispose()
        raise damaged_database(url, exc) from None
    except Exception as exc:
        database.dispose()
        raise StorageError(f"cannot migrate the ToDo tables in {safe_url(url)}: {exc}") from None
    return database


_COLUMNS = (TodoItem.id, TodoItem.owner, TodoItem.description)


class TodoStore:
    """Items of every tenant; callers pass the tenant, and the owner when they act for a user.

    Reads are Core selects on a pooled connection (a fifth of the ORM's cost: reads are the
    API's hot path); writes go through an ORM session. `reads_inline`: a SQLite read takes
    about 30 µs, less than handing it to a worker thread, so the API runs SQLite reads on the
    event loop and everything else (writes, any PostgreSQL call) in the thread pool.
    """

    version_table = VERSION_TABLE

    def __init__(self, database: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self.database = database
        self.clock = clock
        self.reads_inline = database.is_sqlite

    def list(self, *, tenant_id: str, owner: str | None) -> list[Todo]:
        query = select(*_COLUMNS).where(TodoItem.tenant_id == tenant_id).order_by(TodoItem.id)
        if owner is not None:
            query = query.where(TodoItem.owner == owner)
        with self.database.engine.connect() as connection:
            return [Todo(*row) for row in connection.execute(query)]

    def get(self, *, tenant_id: str, item_id: int, owner: str | None) -> Todo | None:
        query = select(*_COLUMNS).where(TodoItem.id == item_id, TodoItem.tenant_id == tenant_id)
        if owner is not None:
            query = query.where(TodoItem.owner == owner)
        with self.database.engine.connect() as connection:
            row = connection.execute(query).first()
        return Todo(*row) if row is not None else None

    def add(self, *, tenant_id: str, owner: str, description: str) -> Todo:
        with self.database.session() as session:
            row = TodoItem(
                tenant_id=tenant_id,
                owner=owner,
                description=description,
                created_at=self.clock.now(),
            )
            session.add(row)
            session.flush()
            return _todo(row)

    def update(
        self, *, tenant_id: str, item_id: int, owner: str | None, description: str
    ) -> Todo | None:
        with self.database.session() as session:
            row = session.get(TodoItem, item_id)
            if row is None or not _visible(row, tenant_id, owner):
                return None
            row.description = description
            session.flush()
            return _todo(row)

    def delete(self, *, tenant_id: str, item_id: int, owner: str | None) -> bool:
        with self.database.session() as session:
            row = session.get(TodoItem, item_id)
            if row is None or not _visible(row, tenant_id, owner):
                return False
            session.execute(delete(TodoItem).where(TodoItem.id == item_id))
            return True


def _visible(row: TodoItem, tenant_id: str, owner: str | None) -> bool:
    return row.tenant_id == tenant_id and (owner is None or row.owner == owner)
