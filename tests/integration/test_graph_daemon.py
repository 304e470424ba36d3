"""The daemon's getUsers and getApp against the live Graph, as the quickstart runs them.

Dogfood: the registration comes from the pytest plugin's `app` and `user` factories.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tenantlab.daemon.client import DaemonClient
from tenantlab.daemon.settings import ClientSecret, DaemonSettings
from tenantlab.testing import LiveCloud

pytestmark = pytest.mark.integration


@pytest.fixture
def daemon(tenantlab_cloud: LiveCloud, app: Any, user: Any) -> Iterator[tuple[DaemonClient, Any]]:
    """The quickstart's registration (the plugin's `app` and `user`): a daemon app with a secret
    and User.Read.All + Application.Read.All consented, and twelve users."""
    registered = app(
        "Quickstart daemon",
        secret=True,
        roles={"graph": ["User.Read.All", "Application.Read.All"]},
    )
    for index in range(12):
        user(f"user{index}", display_name=f"User {index}")
    settings = DaemonSettings(
        client_id=registered.client_id,
        credential=ClientSecret(registered.secret),
        authority=registered.authority,
        graph_endpoint=tenantlab_cloud.origin,
        app_object_id=registered.object_id,
        ca_bundle=tenantlab_cloud.ca_bundle,
    )
    with DaemonClient(settings) as client:
        yield client, registered


def test_get_users_follows_every_page(daemon: Any) -> None:
    client, _ = daemon
    users = client.graph.list_users(top=5)
    names = sorted(user["displayName"] for user in users["value"])
    assert names == sorted(f"User {index}" for index in range(12))
    assert users["@odata.context"].endswith("/v1.0/$metadata#users")
    assert "@odata.nextLink" not in users


def test_get_app_by_object_id_and_by_app_id(daemon: Any) -> None:
    client, app = daemon
    by_object_id = client.graph.get_application(object_id=app.object_id, app_id=app.app_id)
    by_app_id = client.graph.get_application(object_id=None, app_id=app.app_id)
    assert by_object_id["id"] == by_app_id["id"] == app.object_id
    assert by_object_id["appId"] == app.app_id
    assert by_object_id["@odata.context"].endswith("/v1.0/$metadata#applications/$entity")
