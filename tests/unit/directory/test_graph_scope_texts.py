"""Issue 12 item 14: tenants made before Graph's scopes had Microsoft's consent texts get them.

Such a tenant published each delegated Graph scope with its value as display name and
description; migration 0009 gives every scope tenantlab publishes for Graph the texts of a new
tenant, and leaves `isEnabled` and any scope it does not know as they were.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tenantlab.directory import Directory, SecretDigests
from tenantlab.directory.wellknown import GRAPH_SCOPE_TEXTS, graph_scopes
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.storage import Database, open_database
from tenantlab.storage.database import MIGRATIONS_DIR
from tenantlab.storage.schema import ServicePrincipal

BEFORE_0009 = ("User.Read", "User.Read.All", "Directory.Read.All")
UNKNOWN = {"id": "00000000-0000-0000-0000-0000000000aa", "value": "Other", "isEnabled": True}


def old_texts() -> list[dict[str, object]]:
    """As tenants were made before the texts: each scope's value repeated, one scope disabled."""
    scopes: list[dict[str, object]] = []
    for scope in graph_scopes():
        if scope["value"] not in BEFORE_0009:  # published since (migration 0012 adds them)
            continue
        value = scope["value"]
        scopes.append(
            {
                **scope,
                "adminConsentDescription": value,
                "adminConsentDisplayName": value,
                "userConsentDescription": value,
                "userConsentDisplayName": value,
                "isEnabled": value != "Directory.Read.All",
            }
        )
    return [*scopes, UNKNOWN]


def rewind(database: Database, revision: str) -> None:
    """Back to `revision` with the migrations' own downgrades (the newer tables go too)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection_engine"] = database.engine
    command.downgrade(config, revision)


def test_an_existing_tenant_publishes_graphs_real_scope_descriptions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    database = open_database(url)
    directory = Directory(database, secret_digests=SecretDigests(bytes(range(32))))
    tenant = directory.create_tenant(display_name="Contoso", domain="contoso")
    with database.session() as session:
        graph = session.scalars(
            select(ServicePrincipal).where(
                ServicePrincipal.tenant_id == tenant.id,
                ServicePrincipal.app_id == MICROSOFT_GRAPH_APP_ID,
            )
        ).one()
        graph.oauth2_permission_scopes = old_texts()
    rewind(database, "0008")
    database.dispose()

    reopened = open_database(url)  # migrates to the newest schema
    with reopened.session() as session:
        scopes = session.scalars(
            select(ServicePrincipal.oauth2_permission_scopes).where(
                ServicePrincipal.tenant_id == tenant.id,
                ServicePrincipal.app_id == MICROSOFT_GRAPH_APP_ID,
            )
        ).one()
    by_value = {scope["value"]: scope for scope in scopes}
    for value, texts in GRAPH_SCOPE_TEXTS.items():
        admin_name, admin_description, user_name, user_description = texts
        assert by_value[value]["adminConsentDisplayName"] == admin_name
        assert by_value[value]["adminConsentDescription"] == admin_description
        assert by_value[value]["userConsentDisplayName"] == user_name
        assert by_value[value]["userConsentDescription"] == user_description
        assert by_value[value]["adminConsentDescription"] != value
    assert by_value["Directory.Read.All"]["isEnabled"] is False  # the tenant's choice stays
    assert by_value["Other"] == UNKNOWN
    reopened.dispose()


def test_the_migrations_texts_are_the_ones_new_tenants_get() -> None:
    import importlib.util

    import tenantlab.storage as storage

    path = Path(storage.__file__).parent / "migrations/versions/0009_graph_scope_texts.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    assert spec is not None
    assert spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    current = {scope["id"]: scope for scope in graph_scopes()}
    # The scopes published since (migration 0012's groups) are not 0009's business.
    assert set(migration.GRAPH_SCOPE_TEXTS) <= set(current)
    for scope_id, texts in migration.GRAPH_SCOPE_TEXTS.items():
        assert tuple(current[scope_id][k] for k in migration.TEXTS) == texts
