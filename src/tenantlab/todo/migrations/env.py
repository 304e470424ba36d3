"""Alembic environment of the ToDo API's tables (version table `todo_alembic_version`)."""

from __future__ import annotations

from alembic import context

from tenantlab.todo.schema import VERSION_TABLE, TodoBase

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes["connection_engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=TodoBase.metadata,
            render_as_batch=True,
            version_table=VERSION_TABLE,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
