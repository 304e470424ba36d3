"""The sign-in log's writer: batches, a failing database never reaches the caller, retention."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from tenantlab.clock import FixedClock
from tenantlab.directory.audits import AuditQuery, list_audits
from tenantlab.directory.sign_ins import SignInFacts, SignInLog, SignInQuery, list_sign_ins
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant


def _facts(tenant: Tenant, app_id: str = "11111111-1111-1111-1111-111111111111") -> SignInFacts:
    return SignInFacts(tenant_id=tenant.id, app_id=app_id, client_credential_type="clientSecret")


def test_records_are_written_in_order_and_paged_by_keyset(
    platform: Platform, contoso: Tenant, clock: FixedClock
) -> None:
    log = SignInLog(platform.database, clock)
    for index in range(5):
        clock.advance(1)
        log.record(_facts(contoso), correlation_id=f"00000000-0000-0000-0000-00000000000{index}")
    log.flush()
    first = list_sign_ins(platform.database, SignInQuery(tenant_id=contoso.id, top=2))
    assert [r.correlation_id[-1] for r in first] == ["4", "3", "2"]  # top + 1: more exist
    after = (first[1].created_at, first[1].id)
    rest = list_sign_ins(platform.database, SignInQuery(tenant_id=contoso.id, top=5, after=after))
    assert [r.correlation_id[-1] for r in rest] == ["2", "1", "0"]
    log.close()


def test_a_failing_write_never_reaches_the_caller_and_is_reported_once(
    platform: Platform, contoso: Tenant, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    log = SignInLog(platform.database, clock)
    with platform.database.session() as session:
        session.execute(text("DROP TABLE sign_ins"))
    with caplog.at_level(logging.WARNING, logger="tenantlab.sign_ins"):
        for _ in range(3):
            log.record(_facts(contoso), correlation_id="00000000-0000-0000-0000-000000000001")
            log.flush()
    assert log.dropped == 3
    reports = [r for r in caplog.records if r.name == "tenantlab.sign_ins"]
    assert len(reports) == 1
    assert "token requests are unaffected" in reports[0].getMessage()
    log.close()


def test_a_full_queue_drops_instead_of_blocking(
    platform: Platform, contoso: Tenant, clock: FixedClock
) -> None:
    log = SignInLog(platform.database, clock, capacity=1)
    log._ensure_writer = lambda: None  # type: ignore[method-assign]  # no writer: the queue fills
    log.record(_facts(contoso), correlation_id="00000000-0000-0000-0000-000000000001")
    log.record(_facts(contoso), correlation_id="00000000-0000-0000-0000-000000000002")
    assert log.dropped == 1


def test_records_older_than_the_retention_are_pruned(
    platform: Platform, contoso: Tenant, clock: FixedClock
) -> None:
    log = SignInLog(platform.database, clock, retention_days=30)
    log.record(_facts(contoso), correlation_id="00000000-0000-0000-0000-000000000001")
    log.flush()
    clock.advance(29 * 86_400)
    log.record(_facts(contoso), correlation_id="00000000-0000-0000-0000-000000000002")
    log.flush()
    clock.advance(2 * 86_400)
    # The directory audits of making the tenant are as old as the first sign-in: they go too.
    audits = list_audits(platform.database, AuditQuery(tenant_id=contoso.id))
    assert audits
    assert log.prune() == 1 + len(audits)
    left = list_sign_ins(platform.database, SignInQuery(tenant_id=contoso.id))
    assert [r.correlation_id[-1] for r in left] == ["2"]
    assert list_audits(platform.database, AuditQuery(tenant_id=contoso.id)) == []
    log.close()


def test_a_request_for_no_tenant_is_not_kept(platform: Platform, clock: FixedClock) -> None:
    log = SignInLog(platform.database, clock)
    log.record(SignInFacts(), correlation_id="00000000-0000-0000-0000-000000000001")
    assert log._thread is None
    assert log.dropped == 0
