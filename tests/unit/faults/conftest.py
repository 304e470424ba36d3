"""The whole cloud app in process (fault injector, control routes, STS, Graph): no sockets."""

from __future__ import annotations

import pytest
from fault_support import Client, Cloud

from tenantlab.clock import FixedClock
from tenantlab.control.admin_token import read_admin_token
from tenantlab.platform import Platform
from tenantlab.server import create_cloud_app


@pytest.fixture
def cloud(platform: Platform, clock: FixedClock) -> Cloud:
    directory = platform.directory
    tenant = directory.create_tenant(display_name="Contoso", domain="contoso")
    daemon = directory.create_application(tenant=tenant.id, display_name="Daemon")
    secret = directory.add_password(tenant=tenant.id, app=daemon.app_id).secret_text
    app = create_cloud_app(platform, portal=False)
    return Cloud(
        platform=platform,
        clock=clock,
        client=Client(app),
        tenant=tenant,
        daemon_app_id=daemon.app_id,
        secret=secret,
        admin_token=read_admin_token(platform.settings.home),
    )
