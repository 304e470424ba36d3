"""The ToDo tables: their own migrations and version table, beside (not inside) the directory's."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tenantlab.storage import open_database
from tenantlab.todo import TodoStore, open_todo_database
from tenantlab.todo.schema import TodoBase


def test_migrations_build_exactly_the_declared_schema(tmp_path: Path) -> None:
    database = open_todo_database(f"sqlite:///{tmp_path / 'todo.db'}")
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": "todo_alembic_version"}
        )
        assert compare_metadata(context, TodoBase.metadata) == []
        assert context.get_current_revision() == "0001"


def test_todo_and_directory_tables_can_share_one_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    open_database(url)
    database = open_todo_database(url)
    tables = set(inspect(database.engine).get_table_names())
    assert {"todo_items", "todo_alembic_version", "alembic_version", "tenants"} <= tables
    again = open_todo_database(url)  # idempotent
    assert TodoStore(again).list(tenant_id="t", owner=None) == []


def test_deleted_ids_are_not_reused(tmp_path: Path) -> None:
    store = TodoStore(open_todo_database(f"sqlite:///{tmp_path / 'todo.db'}"))
    first = store.add(tenant_id="t", owner="o", description="a")
    assert store.delete(tenant_id="t", item_id=first.id, owner=None)
    assert store.add(tenant_id="t", owner="o", description="b").id == first.id + 1
