"""Migration 0012: a tenant made before groups gets Graph's three group permissions (app roles and
scopes), with the ids and texts a new tenant gets; what it had stays as it was."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import select
from test_graph_scope_texts import rewind

from tenantlab.directory import Directory, SecretDigests
from tenantlab.directory.wellknown import graph_app_roles, graph_scopes
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.storage import open_database
from tenantlab.storage.database import MIGRATIONS_DIR
from tenantlab.storage.schema import ServicePrincipal

GROUPS = ("Group.Read.All", "GroupMember.Read.All", "Group.ReadWrite.All")


def test_an_existing_tenant_publishes_graphs_group_permissions(tmp_path: Path) -> None:
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
        old_roles = [r for r in graph.app_roles if r["value"] not in GROUPS]
        old_roles[0] = {**old_roles[0], "isEnabled": False}  # the tenant's own choice
        graph.app_roles = old_roles
        graph.oauth2_permission_scopes = [
            s for s in graph.oauth2_permission_scopes if s["value"] not in GROUPS
        ]
    rewind(database, "0011")
    database.dispose()

    reopened = open_database(url)
    with reopened.session() as session:
        roles, scopes = session.execute(
            select(ServicePrincipal.app_roles, ServicePrincipal.oauth2_permission_scopes).where(
                ServicePrincipal.tenant_id == tenant.id,
                ServicePrincipal.app_id == MICROSOFT_GRAPH_APP_ID,
            )
        ).one()
    new_roles = {r["value"]: r for r in graph_app_roles()}
    new_scopes = {s["value"]: s for s in graph_scopes()}
    by_value = {r["value"]: r for r in roles}
    for value in GROUPS:
        assert by_value[value] == new_roles[value]
        assert {s["value"]: s for s in scopes}[value] == new_scopes[value]
    assert roles[0]["isEnabled"] is False
    reopened.dispose()


def test_the_migrations_snapshot_is_what_new_tenants_get() -> None:
    path = MIGRATIONS_DIR / "versions" / "0012_groups.py"
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    assert spec is not None
    assert spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    roles = {r["id"]: r for r in graph_app_roles()}
    scopes = {s["id"]: s for s in graph_scopes()}
    for role in migration.GROUP_APP_ROLES:
        assert roles[role["id"]] == role
    for scope in migration.GROUP_SCOPES:
        assert scopes[scope["id"]] == scope
