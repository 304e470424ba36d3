"""The ToDo API's own tables: not the directory's, with their own Alembic history.

Items are keyed by (tenant, owner): an owner is the `oid` of a user, or any GUID an app chose.
"""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tenantlab.storage.schema import NAMING

VERSION_TABLE = "todo_alembic_version"


class TodoBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TodoItem(TodoBase):
    __tablename__ = "todo_items"
    # sqlite_autoincrement: ids are never reused after a delete (a deleted id stays 404).
    __table_args__ = (
        Index("ix_todo_items_tenant_owner", "tenant_id", "owner"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    owner: Mapped[str] = mapped_column(String(36))
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
