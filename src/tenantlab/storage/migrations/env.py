"""Alembic environment: migrations run against the engine tenantlab hands in."""

from __future__ import annotations

from alembic import context

from tenantlab.storage.schema import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("connection_engine")
    if engine is None:
        from tenantlab.storage.database import create_db_engine

        engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            version_table=config.attributes.get("version_table", "alembic_version"),
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
