"""Both storage backends hold the same schema, and PostgreSQL's absence is loud under CI."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import pgcluster
from tenantlab.directory import Directory
from tenantlab.platform import Platform
from tenantlab.storage.schema import Base


def test_each_backend_is_the_database_it_claims(platform: Platform, directory: Directory) -> None:
    directory.create_tenant(display_name="Contoso", domain="contoso")
    assert platform.database.engine.dialect.name in ("sqlite", "postgresql")
    assert [t.display_name for t in directory.list_tenants()] == ["Contoso"]


def test_the_migrations_build_exactly_the_declared_schema(platform: Platform) -> None:
    with platform.database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_a_missing_postgres_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required under CI=true"):
        pgcluster._missing("no initdb")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no initdb"):
        pgcluster._missing("no initdb")
