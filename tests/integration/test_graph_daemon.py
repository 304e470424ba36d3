"""The daemon's getUsers and getApp against the live Graph, as the quickstart runs them."""

from __future__ import annotations

from typing import Any

import pytest

from tenantlab.daemon.client import DaemonClient
from tenantlab.daemon.settings import ClientSecret, DaemonSettings
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.storage.schema import Tenant

pytestmark = pytest.mark.integration

LiveCloud = Any  # tests/integration/conftest.py


@pytest.fixture
def daemon(cloud: LiveCloud, tenant: Tenant) -> Any:
    """The quickstart's registration: a daemon app with a secret and User.Read.All consented."""
    directory = cloud.directory
    app = directory.create_application(tenant=tenant.id, display_name="Quickstart daemon")
    secret = directory.add_password(tenant=tenant.id, app=app.app_id).secret_text
    for role in ("User.Read.All", "Application.Read.All"):
        directory.grant_app_role(
            tenant=tenant.id, client=app.app_id, resource=MICROSOFT_GRAPH_APP_ID, role=role
        )
    domain = directory.tenant_domains(tenant.id)[0]
    for index in range(12):
        directory.create_user(
            tenant=tenant.id,
            user_principal_name=f"user{index}@{domain}",
            display_name=f"User {index}",
        )
    settings = DaemonSettings(
        client_id=app.app_id,
        credential=ClientSecret(secret),
        authority=cloud.authority(tenant.id),
        graph_endpoint=cloud.origin,
        app_object_id=app.id,
        ca_bundle=cloud.ca_bundle,
    )
    with DaemonClient(settings) as client:
        yield client, app


def test_get_users_follows_every_page(daemon: Any) -> None:
    client, _ = daemon
    users = client.graph.list_users(top=5)
    names = sorted(user["displayName"] for user in users["value"])
    assert names == sorted(f"User {index}" for index in range(12))
    assert users["@odata.context"].endswith("/v1.0/$metadata#users")
    assert "@odata.nextLink" not in users


def test_get_app_by_object_id_and_by_app_id(daemon: Any) -> None:
    client, app = daemon
    by_object_id = client.graph.get_application(object_id=app.id, app_id=app.app_id)
    by_app_id = client.graph.get_application(object_id=None, app_id=app.app_id)
    assert by_object_id["id"] == by_app_id["id"] == app.id
    assert by_object_id["appId"] == app.app_id
    assert by_object_id["@odata.context"].endswith("/v1.0/$metadata#applications/$entity")
