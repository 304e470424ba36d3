from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tenantlab.storage import open_database
from tenantlab.storage.schema import Base


def test_migrations_build_exactly_the_declared_schema(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_reopening_a_migrated_database_keeps_its_data(tmp_path: Path) -> None:
    from tenantlab.directory import Directory, SecretDigests

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    digests = SecretDigests(bytes(range(32)))
    Directory(open_database(url), secret_digests=digests).create_tenant(
        display_name="Contoso", domain="contoso"
    )
    again = Directory(open_database(url), secret_digests=digests)
    assert [t.display_name for t in again.list_tenants()] == ["Contoso"]
