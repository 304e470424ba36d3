"""Why a page of the sign-in or audit log costs the same on page 1 and page 10,000 of a million
records: SQLite reads one index range that starts at the keyset position, and sorts nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from tenantlab.directory.audits import AuditQuery, list_audits
from tenantlab.directory.sign_ins import SignInQuery, list_sign_ins
from tenantlab.platform import Platform

TENANT = "11111111-1111-1111-1111-111111111111"
AFTER = (1_800_000_000.0, "22222222-2222-2222-2222-222222222222")


def _plan(platform: Platform, table: str, page: Callable[[], object]) -> str:
    captured: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if f"FROM {table}" in statement and "LIMIT" in statement:
            captured.append((statement, parameters))

    engine = platform.database.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        page()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    [(statement, parameters)] = captured
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    return " | ".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize("app_id", [None, "33333333-3333-3333-3333-333333333333"])
def test_a_deep_page_of_sign_ins_starts_at_its_keyset_position(
    platform: Platform, app_id: str | None
) -> None:
    query = SignInQuery(tenant_id=TENANT, top=100, after=AFTER, app_id=app_id)
    plan = _plan(platform, "sign_ins", lambda: list_sign_ins(platform.database, query))
    assert (
        "SEARCH sign_ins USING INDEX ix_sign_ins_tenant_created (tenant_id=? AND created_at<?)"
        in plan
    ), plan
    assert "TEMP B-TREE" not in plan, plan


def test_a_deep_page_of_audits_starts_at_its_keyset_position(platform: Platform) -> None:
    query = AuditQuery(tenant_id=TENANT, top=100, after=AFTER)
    plan = _plan(platform, "directory_audits", lambda: list_audits(platform.database, query))
    assert (
        "SEARCH directory_audits USING INDEX ix_directory_audits_tenant_time "
        "(tenant_id=? AND activity_at<?)" in plan
    ), plan
    assert "TEMP B-TREE" not in plan, plan


def test_one_objects_audits_are_a_range_of_the_targets_index(platform: Platform) -> None:
    query = AuditQuery(
        tenant_id=TENANT, top=100, after=AFTER, target_id="44444444-4444-4444-4444-444444444444"
    )
    plan = _plan(platform, "directory_audits", lambda: list_audits(platform.database, query))
    assert (
        "USING COVERING INDEX ix_directory_audit_targets_target_time "
        "(tenant_id=? AND target_id=? AND activity_at<?)" in plan
    ), plan
    assert "TEMP B-TREE" not in plan, plan
