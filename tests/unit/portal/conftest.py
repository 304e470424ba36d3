"""The admin center in process: its ASGI app over a fresh platform (fixed clock), and clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from portal_client import PASSWORD, PortalClient, administrator
from pydantic import SecretStr
from starlette.applications import Starlette

from tenantlab.platform import Platform
from tenantlab.portal.admin import PortalSettings
from tenantlab.portal.app import create_app
from tenantlab.storage.schema import Application, Tenant


@pytest.fixture
def announced() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def portal_app(platform: Platform, announced: list[tuple[str, str]]) -> Starlette:
    settings = PortalSettings(password=SecretStr(PASSWORD))
    return create_app(
        platform,
        settings=settings,
        announce=lambda u, p: announced.append((u, p)),
        administrator=administrator(platform.settings.home),
    )


@pytest.fixture
def anonymous(portal_app: Starlette) -> Iterator[PortalClient]:
    client = PortalClient(portal_app)
    yield client
    client.close()


@pytest.fixture
def browser(anonymous: PortalClient) -> PortalClient:
    """A client signed in as the local administrator."""
    response = anonymous.sign_in()
    assert response.status_code == 200, response.text
    return anonymous


@pytest.fixture
def tenant(platform: Platform) -> Tenant:
    return platform.directory.create_tenant(display_name="Contoso", domain="contoso")


@pytest.fixture
def app(platform: Platform, tenant: Tenant) -> Application:
    return platform.directory.create_application(tenant=tenant.id, display_name="ciam-daemon-app")
