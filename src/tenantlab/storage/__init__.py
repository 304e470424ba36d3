"""Persistence: SQLAlchemy engine, the directory schema, Alembic migrations."""

from tenantlab.storage.database import Database, open_database, safe_url
from tenantlab.storage.errors import StorageError

__all__ = ["Database", "StorageError", "open_database", "safe_url"]
