"""The ToDo API in process: a fake authority (httpx.MockTransport), SQLite in tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from apiauth.fakes import API_CLIENT_ID, INSTANCE, TENANT, FakeAuthority, app_claims, user_claims
from fastapi import FastAPI

from tenantlab.clock import FixedClock
from tenantlab.keys import SigningKeyMaterial, generate_signing_key
from tenantlab.todo import TodoApiSettings, build_app

NOW = 1_800_000_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def signing_key() -> SigningKeyMaterial:
    return generate_signing_key()


@pytest.fixture
def authority(signing_key: SigningKeyMaterial) -> FakeAuthority:
    return FakeAuthority(keys=[signing_key.jwk(f"{INSTANCE}/{{tenantid}}/v2.0")])


@pytest.fixture
def todo_settings(tmp_path: Path) -> TodoApiSettings:
    return TodoApiSettings(
        instance=INSTANCE,
        tenant_id=TENANT,
        client_id=API_CLIENT_ID,
        database_url=f"sqlite:///{tmp_path / 'todo.db'}",
    )


@pytest.fixture
def todo_app(todo_settings: TodoApiSettings, authority: FakeAuthority) -> FastAPI:
    return build_app(
        todo_settings,
        transport=httpx.MockTransport(authority.handler),
        clock=FixedClock(NOW),
    )


@pytest.fixture
async def api(todo_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=todo_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://todo.test") as client:
        yield client


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture
def app_token(signing_key: SigningKeyMaterial) -> TokenFactory:
    def make(**claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {signing_key.sign(app_claims(**claims))}"}

    return make


@pytest.fixture
def user_token(signing_key: SigningKeyMaterial) -> TokenFactory:
    def make(**claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {signing_key.sign(user_claims(**claims))}"}

    return make
