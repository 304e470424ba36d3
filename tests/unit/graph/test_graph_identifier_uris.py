"""Graph refuses identifier URIs the tenant does not own: its error envelope, Entra's text."""

from __future__ import annotations

from typing import Any

from tenantlab.ids import new_guid
from tenantlab.platform import Platform


def test_post_with_graphs_own_host_is_host_name_not_on_verified_domain(manager: Any) -> None:
    response = manager.post(
        "/v1.0/applications",
        json={"displayName": "Squatter", "identifierUris": ["https://graph.microsoft.com"]},
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "HostNameNotOnVerifiedDomain"
    assert error["message"].startswith(
        "Values of identifierUris property must use a verified domain of the organization or "
        "its subdomain: 'https://graph.microsoft.com'"
    )
    listed = manager.get("/v1.0/applications").json()["value"]
    assert [a for a in listed if a["displayName"] == "Squatter"] == []


def test_post_and_patch_with_another_apps_app_id_are_refused(
    manager: Any, platform: Platform
) -> None:
    woodgrove = platform.directory.create_tenant(display_name="Woodgrove", domain="woodgrove")
    api = platform.directory.create_application(
        tenant=woodgrove.id,
        display_name="ToDo API",
        sign_in_audience="AzureADMultipleOrgs",
        identifier_uris=["api://{appId}"],
    )
    squat = {"displayName": "Squatter", "identifierUris": [f"api://{api.app_id}"]}
    refused = manager.post("/v1.0/applications", json=squat)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "Request_BadRequest"
    assert "appId or its tenant's id" in refused.json()["error"]["message"]

    mine = manager.post("/v1.0/applications", json={"displayName": "Mine"}).json()
    path = f"/v1.0/applications/{mine['id']}"
    for uris in ([f"api://{api.app_id}"], [f"api://{new_guid()}"]):
        patched = manager.patch(path, json={"identifierUris": uris})
        assert patched.status_code == 400, patched.text
    own = manager.patch(path, json={"identifierUris": [f"api://{mine['appId']}"]})
    assert own.status_code == 204, own.text
    assert manager.get(path).json()["identifierUris"] == [f"api://{mine['appId']}"]


def test_a_multi_tenant_apps_uri_is_taken_on_the_whole_platform(
    manager: Any, platform: Platform
) -> None:
    woodgrove = platform.directory.create_tenant(display_name="Woodgrove", domain="woodgrove")
    platform.directory.create_application(
        tenant=woodgrove.id,
        display_name="ToDo API",
        sign_in_audience="AzureADMultipleOrgs",
        identifier_uris=["api://todo"],
    )
    response = manager.post(
        "/v1.0/applications", json={"displayName": "Copy", "identifierUris": ["api://todo"]}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith(
        "Another object with the same value for property identifierUris already exists"
    )
