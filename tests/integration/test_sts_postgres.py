"""The token service on PostgreSQL: the revision probe's engine path; changes seen at once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from pgcluster import TEST_KEY_ENCRYPTION_KEY
from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.platform import Platform
from tenantlab.sts.app import create_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_platform(postgres_url: str, tmp_path: Path) -> Iterator[Platform]:
    platform = Platform.open(
        PlatformSettings(
            home=tmp_path / "home",
            database_url=postgres_url,
            key_encryption_key=TEST_KEY_ENCRYPTION_KEY,
        ),
        FixedClock(),
    )
    yield platform
    platform.close()


def _post(app: object, url: str, form: dict[str, str]) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="https://localhost:5443") as c:
            return await c.post(url, data=form)

    return asyncio.run(send())


def test_tokens_follow_directory_changes_on_postgresql(pg_platform: Platform) -> None:
    directory = pg_platform.directory
    tenant = directory.create_tenant(display_name="Contoso", domain="contoso")
    api = directory.create_application(
        tenant=tenant.id,
        display_name="ToDo API",
        identifier_uris=["api://todo"],
        requested_access_token_version=2,
    )
    directory.add_app_role(tenant=tenant.id, app=api.app_id, value="ToDoList.Read.All")
    daemon = directory.create_application(tenant=tenant.id, display_name="Daemon")
    secret = directory.add_password(tenant=tenant.id, app=daemon.app_id).secret_text
    app = create_app(pg_platform)
    url = f"/{tenant.id}/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": daemon.app_id,
        "client_secret": secret,
        "scope": "api://todo/.default",
    }

    before = _post(app, url, form).json()["access_token"]
    directory.grant_app_role(
        tenant=tenant.id, client=daemon.app_id, resource="api://todo", role="ToDoList.Read.All"
    )
    after = _post(app, url, form).json()["access_token"]
    wrong = _post(app, url, {**form, "client_secret": "wrong"})

    assert "roles" not in jwt.decode(before, options={"verify_signature": False})
    assert jwt.decode(after, options={"verify_signature": False})["roles"] == ["ToDoList.Read.All"]
    assert wrong.status_code == 401
    assert wrong.json()["error_codes"] == [7000215]


def test_tokens_cost_no_database_round_trip_and_see_other_nodes_within_a_second(
    pg_platform: Platform, postgres_url: str, tmp_path: Path
) -> None:
    from sqlalchemy import event

    directory = pg_platform.directory
    tenant = directory.create_tenant(display_name="Contoso", domain="contoso")
    api = directory.create_application(
        tenant=tenant.id, display_name="ToDo API", identifier_uris=["api://todo"]
    )
    directory.add_app_role(tenant=tenant.id, app=api.app_id, value="ToDoList.Read.All")
    daemon = directory.create_application(tenant=tenant.id, display_name="Daemon")
    secret = directory.add_password(tenant=tenant.id, app=daemon.app_id).secret_text
    app = create_app(pg_platform)
    url = f"/{tenant.id}/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": daemon.app_id,
        "client_secret": secret,
        "scope": "api://todo/.default",
    }
    # Warm up: the first token creates the tenant's signing key, which moves the revision.
    for _ in range(2):
        assert _post(app, url, form).status_code == 200

    statements: list[str] = []
    requests_thread = threading.get_ident()  # _post runs the app on this thread's event loop

    def seen(_c: object, _cur: object, statement: str, *_: object) -> None:
        if threading.get_ident() == requests_thread:
            statements.append(statement)

    event.listen(pg_platform.database.engine, "before_cursor_execute", seen)
    for _ in range(20):
        assert _post(app, url, form).status_code == 200
    # Nothing on the token's path queries (the sign-in log writes from its own thread): the
    # revision comes from memory, kept by LISTEN/NOTIFY.
    assert statements == [], statements[:3]

    # Another node (its own engine and connections) changes the directory; this one sees it.
    other_settings = PlatformSettings(
        home=tmp_path / "other",
        database_url=postgres_url,
        key_encryption_key=TEST_KEY_ENCRYPTION_KEY,
    )
    other_settings.home.mkdir(mode=0o700)
    other = Platform.open(other_settings, FixedClock())
    try:
        before = pg_platform.database.revisions.current()
        other.directory.grant_app_role(
            tenant=tenant.id, client=daemon.app_id, resource="api://todo", role="ToDoList.Read.All"
        )
        changed = time.monotonic()
        while pg_platform.database.revisions.current() == before:
            assert time.monotonic() - changed < 1.0, "not seen within 1 s"
            time.sleep(0.001)
        seen_after = time.monotonic() - changed
    finally:
        other.close()
    token = _post(app, url, form).json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["roles"] == ["ToDoList.Read.All"]
    print(f"a change on another node was seen after {seen_after * 1000:.1f} ms")
