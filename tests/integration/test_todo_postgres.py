"""The ToDo API's items in PostgreSQL (by URL), served live with MSAL app tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from test_todo_api_live import TodoDeployment, register

from tenantlab.keys import ensure_tls
from tenantlab.testing import serve_in_thread
from tenantlab.todo import TodoApiSettings, TodoStore, build_app, open_todo_database
from tenantlab.todo.schema import TodoBase

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

LiveCloud = Any
Tenant = Any


def test_the_todo_tables_migrate_in_postgresql(postgres_url: str) -> None:
    database = open_todo_database(postgres_url)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": "todo_alembic_version"}
        )
        assert compare_metadata(context, TodoBase.metadata) == []
    store = TodoStore(open_todo_database(postgres_url))  # reopening is idempotent
    assert not store.reads_inline  # a network round trip never runs on the event loop
    first = store.add(tenant_id="t", owner="o", description="a")
    assert store.delete(tenant_id="t", item_id=first.id, owner=None)
    assert store.add(tenant_id="t", owner="o", description="b").id > first.id
    database.dispose()


def test_the_api_keeps_its_items_in_postgresql(
    cloud: LiveCloud, tenant: Tenant, tmp_path: Path, postgres_url: str
) -> None:
    api_app_id, daemon_app_id, secret = register(cloud, tenant)
    settings = TodoApiSettings(
        instance=cloud.origin,
        tenant_id=tenant.id,
        client_id=api_app_id,
        ca_bundle=cloud.ca_bundle,
        database_url=postgres_url,
        home=tmp_path,
    )
    tls = ensure_tls(cloud.home)
    with serve_in_thread(
        lambda _port: build_app(settings), certfile=tls.server_cert, keyfile=tls.server_key
    ) as server:
        deployment = TodoDeployment(
            cloud, tenant.id, api_app_id, daemon_app_id, secret, server.origin
        )
        with deployment.client(deployment.app_token()) as api:
            created = api.post("/api/todolist", json={"Description": "in PostgreSQL"})
            assert created.status_code == 201, created.text
            assert api.get(created.headers["location"]).json() == created.json()
            assert [t["description"] for t in api.get("/api/todolist").json()] == ["in PostgreSQL"]
    assert not (tmp_path / "todo.db").exists()
