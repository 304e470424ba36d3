"""Persistence: SQLAlchemy engine, the directory schema, Alembic migrations."""

from tenantlab.storage.database import Database, damaged_database, open_database, safe_url
from tenantlab.storage.errors import StorageError

__all__ = ["Database", "StorageError", "damaged_database", "open_database", "safe_url"]
