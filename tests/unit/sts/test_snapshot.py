"""The hot path's directory snapshots: no queries per token, rebuilt when the revision moves."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from sqlalchemy import event
from sts_support import StsSetup

from tenantlab.ids import new_guid
from tenantlab.storage.schema import PasswordCredential


class StatementCounter:
    """The statements run, except the sign-in log's: its own thread writes the records that
    earlier requests queued, whenever it gets to them."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name != "tenantlab-sign-in-log":
            self.statements.append(statement)


def test_a_warm_token_request_runs_no_sqlalchemy_statement(sts: StsSetup) -> None:
    # Warm up: the first request creates the tenant's signing key, which moves the revision.
    for _ in range(2):
        assert sts.token(data=sts.form()).status_code == 200
    counter = StatementCounter()
    engine = sts.platform.database.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        response = sts.token(data=sts.form())
    finally:
        event.remove(engine, "before_cursor_execute", counter)

    assert response.status_code == 200
    assert counter.statements == []


def test_snapshot_is_reused_until_the_revision_moves(sts: StsSetup) -> None:
    cache = sts.app.cache
    revision = cache.revision()
    first = cache.tenant(sts.tenant.id, revision)

    assert cache.tenant(sts.tenant.id, revision) is first
    sts.platform.directory.create_application(tenant=sts.tenant.id, display_name="Another")
    assert cache.revision() == revision + 1
    rebuilt = cache.tenant(sts.tenant.id, cache.revision())
    assert rebuilt is not first
    assert len(rebuilt.clients) == len(first.clients) + 1


def _add_secret_without_bumping_the_revision(sts: StsSetup) -> str:
    """A writer that forgot bump_revision (another tool, a manual SQL fix...)."""
    app = sts.platform.directory.get_application(tenant=sts.tenant.id, app=sts.daemon_app_id)
    key_id, secret = new_guid(), "a-secret-written-behind-our-back"
    with sts.platform.database.session() as session:
        session.add(
            PasswordCredential(
                key_id=key_id,
                application_id=app.id,
                hint=secret[:3],
                secret_digest=sts.platform.directory.secret_digests.digest(secret),
                start_at=sts.clock.now() - 10,
                end_at=sts.clock.now() + 3600,
            )
        )
    return secret


def test_refresh_before_an_error_is_rate_limited_when_nothing_changed(sts: StsSetup) -> None:
    cache = sts.app.cache
    snapshot = cache.tenant(sts.tenant.id, cache.revision())
    _add_secret_without_bumping_the_revision(sts)

    assert cache.refresh_tenant(snapshot) is snapshot  # just built: no reload storm


def test_refresh_before_an_error_reloads_an_old_snapshot(sts: StsSetup) -> None:
    cache = sts.app.cache
    snapshot = cache.tenant(sts.tenant.id, cache.revision())
    secret = _add_secret_without_bumping_the_revision(sts)
    aged = dataclasses.replace(snapshot, built_at=snapshot.built_at - 60)

    refreshed = cache.refresh_tenant(aged)

    client = refreshed.client(sts.daemon_app_id)
    assert client is not None
    assert len(client.passwords) == 2
    assert secret not in repr(refreshed)  # only digests are held


def test_refresh_reloads_at_once_when_the_revision_moved(sts: StsSetup) -> None:
    cache = sts.app.cache
    snapshot = cache.tenant(sts.tenant.id, cache.revision())
    sts.platform.directory.add_password(tenant=sts.tenant.id, app=sts.daemon_app_id)

    refreshed = cache.refresh_tenant(snapshot)

    assert refreshed.revision == snapshot.revision + 1
    client = refreshed.client(sts.daemon_app_id)
    assert client is not None
    assert len(client.passwords) == 2


def test_new_tenant_is_found_on_the_first_request(sts: StsSetup) -> None:
    assert sts.token(data=sts.form()).status_code == 200
    other = sts.platform.directory.create_tenant(display_name="Fabrikam", domain="fabrikam")

    response = sts.client.get("/FABRIKAM.onmicrosoft.com/v2.0/.well-known/openid-configuration")

    assert response.json()["issuer"].endswith(f"/{other.id}/v2.0")
