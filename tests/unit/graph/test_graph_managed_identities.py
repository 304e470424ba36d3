"""Managed identities as Graph shows them: service principals of type ManagedIdentity."""

from __future__ import annotations

from typing import Any

from tenantlab.directory.managed_identities import SYSTEM_ASSIGNED, USER_ASSIGNED
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, MICROSOFT_SERVICES_TENANT_ID
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214"


def test_managed_identities_are_listed_and_read_with_entras_shape(
    manager: Any, platform: Platform, tenant: Tenant
) -> None:
    system = platform.directory.create_managed_identity(
        tenant=tenant.id, name="vm1", kind=SYSTEM_ASSIGNED
    )
    user = platform.directory.create_managed_identity(
        tenant=tenant.id, name="worker", kind=USER_ASSIGNED, hosts=("vm1",)
    )
    listed = manager.get(
        "/v1.0/servicePrincipals", params={"$filter": "servicePrincipalType eq 'ManagedIdentity'"}
    )
    assert listed.status_code == 200, listed.text
    by_name = {sp["displayName"]: sp for sp in listed.json()["value"]}
    assert sorted(by_name) == ["vm1", "worker"]
    sp = manager.get(f"/v1.0/servicePrincipals/{user.principal_id}").json()
    assert sp["appId"] == user.client_id
    assert sp["id"] == user.principal_id
    assert sp["servicePrincipalType"] == "ManagedIdentity"
    assert sp["alternativeNames"] == ["isExplicit=True", user.resource_id]
    assert sp["appOwnerOrganizationId"] == MICROSOFT_SERVICES_TENANT_ID
    assert sp["signInAudience"] == "AzureADMyOrg"
    assert sp["appRoles"] == []
    assert "createdDateTime" not in sp  # v1.0 does not declare it on servicePrincipal
    assert sp["servicePrincipalNames"][0] == user.client_id
    assert by_name["vm1"]["alternativeNames"] == ["isExplicit=False", system.resource_id]
    assert "/providers/Microsoft.Compute/virtualMachines/vm1" in system.resource_id
    by_app_id = manager.get(f"/v1.0/servicePrincipals(appId='{system.client_id}')")
    assert by_app_id.json()["id"] == system.principal_id


def test_graph_assigns_app_roles_to_a_managed_identity(
    manager: Any, platform: Platform, tenant: Tenant
) -> None:
    identity = platform.directory.create_managed_identity(
        tenant=tenant.id, name="vm1", kind=SYSTEM_ASSIGNED
    )
    graph = manager.get(f"/v1.0/servicePrincipals(appId='{MICROSOFT_GRAPH_APP_ID}')").json()
    path = f"/v1.0/servicePrincipals/{identity.principal_id}/appRoleAssignments"
    grant = {
        "principalId": identity.principal_id,
        "resourceId": graph["id"],
        "appRoleId": USER_READ_ALL,
    }
    assigned = manager.post(path, json=grant)
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["principalDisplayName"] == "vm1"
    assert platform.directory.assigned_role_values(identity.principal_id, graph["id"]) == [
        "User.Read.All"
    ]
    platform.directory.delete_managed_identity(tenant=tenant.id, key="vm1")
    assert platform.directory.assigned_role_values(identity.principal_id, graph["id"]) == []
    assert manager.get(f"/v1.0/servicePrincipals/{identity.principal_id}").status_code == 404
