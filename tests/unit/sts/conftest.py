"""The token service in-process: a fixed clock, a small directory, an ASGI client (no sockets)."""

from __future__ import annotations

import pytest
from sts_support import ORIGIN, READ_ROLE, AsgiClient, StsSetup

from tenantlab.clock import FixedClock
from tenantlab.platform import Platform
from tenantlab.sts.app import create_app


@pytest.fixture
def sts(platform: Platform, clock: FixedClock) -> StsSetup:
    directory = platform.directory
    tenant = directory.create_tenant(display_name="Contoso", domain="contoso")
    api = directory.create_application(
        tenant=tenant.id,
        display_name="ToDo API",
        identifier_uris=["api://todo"],
        requested_access_token_version=2,
        app_roles=[
            {
                "id": READ_ROLE,
                "value": "ToDoList.Read.All",
                "displayName": "Read all lists",
                "allowedMemberTypes": ["Application"],
                "isEnabled": True,
            }
        ],
    )
    daemon = directory.create_application(tenant=tenant.id, display_name="Daemon")
    secret = directory.add_password(tenant=tenant.id, app=daemon.app_id).secret_text
    sp = directory.get_service_principal(tenant=tenant.id, key=daemon.app_id)
    app = create_app(platform)
    return StsSetup(
        platform=platform,
        clock=clock,
        app=app,
        client=AsgiClient(app, ORIGIN),
        tenant=tenant,
        domain="contoso.onmicrosoft.com",
        api_app_id=api.app_id,
        api_uri="api://todo",
        daemon_app_id=daemon.app_id,
        daemon_sp_id=sp.id,
        secret=secret,
    )
