"""The token service on PostgreSQL: the revision probe's engine path; changes seen at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.platform import Platform
from tenantlab.sts.app import create_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_platform(postgres_url: str, tmp_path: Path) -> Iterator[Platform]:
    platform = Platform.open(
        PlatformSettings(home=tmp_path / "home", database_url=postgres_url), FixedClock()
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
