"""Throttling on request, the management app every tenant gets, and what one page costs in SQL."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from tenantlab.bootstrap import MANAGEMENT_PERMISSIONS, credentials_path
from tenantlab.clock import FixedClock
from tenantlab.directory.queries import PageQuery
from tenantlab.graph.app import create_app
from tenantlab.graph.throttling import request_cost, tenant_budget
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant


def test_throttling_is_off_by_default(as_app: Callable[..., Any]) -> None:
    response = as_app("User.Read.All").get("/v1.0/users")
    assert response.status_code == 200
    assert "x-ms-resource-unit" not in response.headers


def test_throttled_tenant_gets_429_with_retry_after(
    platform: Platform,
    tenant: Tenant,
    mint: Callable[..., str],
    clock: FixedClock,
    client_for: Callable[[Any], Any],
) -> None:
    platform.directory.set_graph_throttling(tenant=tenant.id, enabled=True)
    graph = client_for(create_app(platform, throttle_limit=5))
    graph.headers["Authorization"] = f"Bearer {mint(['User.Read.All'])}"
    first = graph.get("/v1.0/users")
    assert first.status_code == 200
    assert first.headers["x-ms-resource-unit"] == "2"  # GET users costs 2
    assert graph.get("/v1.0/users").headers["x-ms-throttle-limit-percentage"] == "0.8"
    clock.advance(3)
    refused = graph.get("/v1.0/users")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "7"
    assert refused.headers["x-ms-throttle-scope"].startswith("Tenant_Application/")
    assert refused.json()["error"]["code"] == "TooManyRequests"
    # A cheaper request still fits; a new window opens after 10 s.
    assert graph.get("/v1.0/users", params={"$select": "id"}).status_code == 200
    clock.advance(7)
    assert graph.get("/v1.0/users").status_code == 200


@pytest.mark.parametrize(
    ("method", "collection", "selected", "top", "cost"),
    [
        ("GET", "users", False, None, 2),
        ("GET", "users", True, None, 1),
        ("GET", "users", True, 5, 1),
        ("GET", "applications", False, 10, 1),
        ("GET", "servicePrincipals", False, None, 1),
        ("POST", "users", False, None, 1),
    ],
)
def test_resource_unit_costs(
    method: str, collection: str, selected: bool, top: int | None, cost: int
) -> None:
    assert request_cost(method, collection, selected=selected, top=top) == cost


def test_budgets_follow_tenant_size() -> None:
    assert [tenant_budget(n) for n in (10, 50, 500, 501)] == [3500, 5000, 5000, 8000]


def test_every_new_tenant_gets_a_management_app(platform: Platform, tenant: Tenant) -> None:
    path = credentials_path(platform.settings, tenant.id)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    from tenantlab.bootstrap import read_management_credentials

    credentials = read_management_credentials(platform.settings, tenant.id)
    assert credentials is not None
    assert credentials.authority == f"{platform.settings.origin}/{tenant.id}"
    app = platform.directory.get_application(tenant=tenant.id, app=credentials.clientId)
    [stored] = platform.directory.password_credentials(app.id)
    assert platform.directory.secret_matches(stored, credentials.clientSecret)
    client = platform.directory.get_service_principal(tenant=tenant.id, key=credentials.clientId)
    graph = platform.directory.get_service_principal(tenant=tenant.id, key=MICROSOFT_GRAPH_APP_ID)
    assert platform.directory.assigned_role_values(client.id, graph.id) == sorted(
        MANAGEMENT_PERMISSIONS
    )


@pytest.mark.parametrize("order_by", [None, "displayName", "userPrincipalName"])
@pytest.mark.parametrize("descending", [False, True])
def test_a_page_of_users_is_an_index_range_without_a_sort(
    platform: Platform, tenant: Tenant, order_by: str | None, descending: bool
) -> None:
    """Why a page costs the same at 1k and 100k users: SQLite reads one index range, no sort."""
    captured: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM users" in statement and "LIMIT" in statement:
            captured.append((statement, parameters))

    engine = platform.database.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        after = ("m", "00000000-0000-0000-0000-000000000000")
        query = PageQuery(top=100, order_by=order_by, descending=descending, after=after)
        platform.directory.page_users(tenant=tenant.id, query=query)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    [(statement, parameters)] = captured
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    plan = " | ".join(str(row[-1]) for row in rows)
    assert "SEARCH users USING INDEX ix_users_tenant_id_" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
