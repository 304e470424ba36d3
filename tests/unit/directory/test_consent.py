"""Service principals across tenants, admin consent (app role assignments), delegated consent."""

from __future__ import annotations

from typing import Any

import pytest

from tenantlab.directory import Directory, ValidationFailed
from tenantlab.directory.errors import AppRoleNotFound, Conflict, ServicePrincipalNotFound
from tenantlab.directory.wellknown import GRAPH_APP_ROLES
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, new_guid
from tenantlab.storage.schema import Application, Tenant


def roles(*values: str, members: list[str] | None = None) -> list[dict[str, Any]]:
    return [
        {"id": new_guid(), "value": v, "allowedMemberTypes": members or ["Application"]}
        for v in values
    ]


@pytest.fixture
def api(directory: Directory, contoso: Tenant) -> Application:
    return directory.create_application(
        tenant=contoso.id,
        display_name="ToDo List API",
        identifier_uris=["api://{appId}"],
        app_roles=[
            *roles("ToDoList.Read.All", "ToDoList.ReadWrite.All"),
            *roles("Reader", members=["User"]),
        ],
        oauth2_permission_scopes=[
            {"id": new_guid(), "value": "ToDoList.Read"},
            {"id": new_guid(), "value": "ToDoList.ReadWrite"},
        ],
    )


@pytest.fixture
def daemon(directory: Directory, contoso: Tenant) -> Application:
    return directory.create_application(tenant=contoso.id, display_name="Daemon")


def _sp_ids(directory: Directory, tenant: Tenant, *keys: str) -> list[str]:
    return [directory.get_service_principal(tenant=tenant.id, key=k).id for k in keys]


def test_every_tenant_holds_microsoft_graph_with_its_real_role_ids(
    directory: Directory, contoso: Tenant
) -> None:
    graph = directory.get_service_principal(tenant=contoso.id, key="https://graph.microsoft.com")
    assert graph.app_id == MICROSOFT_GRAPH_APP_ID
    ids = {r["value"]: r["id"] for r in directory.effective_app_roles(graph)}
    assert ids["User.Read.All"] == "df021288-bdef-4463-88db-98f22de89214"
    assert ids["Application.Read.All"] == "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"
    assert {v for v, _, _ in GRAPH_APP_ROLES} <= set(ids)


def test_assigned_role_values_are_the_granted_enabled_roles_for_that_resource(
    directory: Directory, contoso: Tenant, api: Application, daemon: Application
) -> None:
    client_sp, api_sp, graph_sp = _sp_ids(directory, contoso, daemon.app_id, api.app_id, "graph")
    assert directory.assigned_role_values(client_sp, api_sp) == []
    directory.grant_app_role(
        tenant=contoso.id, client="Daemon", resource=api.app_id, role="ToDoList.ReadWrite.All"
    )
    directory.grant_app_role(
        tenant=contoso.id,
        client=daemon.app_id,
        resource=f"api://{api.app_id}",
        role="todolist.read.all",
    )
    directory.grant_app_role(
        tenant=contoso.id, client=daemon.app_id, resource="graph", role="User.Read.All"
    )
    assert directory.assigned_role_values(client_sp, api_sp) == [
        "ToDoList.Read.All",
        "ToDoList.ReadWrite.All",
    ]
    assert directory.assigned_role_values(client_sp, graph_sp) == ["User.Read.All"]
    # A role disabled after consent no longer reaches the token.
    app_roles = [
        {**r, "isEnabled": r["value"] != "ToDoList.Read.All"}
        for r in directory.get_application(tenant=contoso.id, app=api.id).app_roles
    ]
    directory.update_application(tenant=contoso.id, app=api.id, changes={"appRoles": app_roles})
    assert directory.assigned_role_values(client_sp, api_sp) == ["ToDoList.ReadWrite.All"]


def test_granting_twice_returns_the_same_assignment_and_changes_nothing(
    directory: Directory, contoso: Tenant, api: Application, daemon: Application
) -> None:
    first = directory.grant_app_role(
        tenant=contoso.id, client=daemon.app_id, resource=api.app_id, role="ToDoList.Read.All"
    )
    revision = directory.revision()
    again = directory.grant_app_role(
        tenant=contoso.id, client=daemon.app_id, resource=api.app_id, role=first.app_role_id
    )
    assert again.id == first.id
    assert directory.revision() == revision


def test_consent_refuses_user_roles_unknown_roles_and_unknown_resources(
    directory: Directory, contoso: Tenant, api: Application, daemon: Application
) -> None:
    with pytest.raises(ValidationFailed, match="for users only"):
        directory.grant_app_role(
            tenant=contoso.id, client=daemon.app_id, resource=api.app_id, role="Reader"
        )
    with pytest.raises(AppRoleNotFound, match=r"it has: ToDoList\.Read\.All"):
        directory.grant_app_role(
            tenant=contoso.id, client=daemon.app_id, resource=api.app_id, role="Nope"
        )
    with pytest.raises(ServicePrincipalNotFound):
        directory.grant_app_role(
            tenant=contoso.id, client=daemon.app_id, resource="api://nothing", role="X"
        )


def test_a_disabled_role_cannot_be_granted(
    directory: Directory, contoso: Tenant, daemon: Application
) -> None:
    app = directory.create_application(
        tenant=contoso.id,
        display_name="Old API",
        app_roles=[{**roles("Legacy")[0], "isEnabled": False}],
    )
    with pytest.raises(ValidationFailed, match="disabled"):
        directory.grant_app_role(
            tenant=contoso.id, client=daemon.app_id, resource=app.app_id, role="Legacy"
        )


def test_delegated_consent_merges_scopes_and_is_idempotent(
    directory: Directory, contoso: Tenant, api: Application, daemon: Application
) -> None:
    grant = directory.grant_delegated(
        tenant=contoso.id, client=daemon.app_id, resource=api.app_id, scopes=["todolist.read"]
    )
    assert grant.scope == "ToDoList.Read"
    revision = directory.revision()
    directory.grant_delegated(
        tenant=contoso.id, client=daemon.app_id, resource=api.app_id, scopes=["ToDoList.Read"]
    )
    assert directory.revision() == revision
    grant = directory.grant_delegated(
        tenant=contoso.id, client=daemon.app_id, resource=api.app_id, scopes=["ToDoList.ReadWrite"]
    )
    assert grant.scope == "ToDoList.Read ToDoList.ReadWrite"
    client_sp, api_sp = _sp_ids(directory, contoso, daemon.app_id, api.app_id)
    assert directory.consented_scopes(client_sp, api_sp) == ["ToDoList.Read", "ToDoList.ReadWrite"]
    with pytest.raises(ValidationFailed, match="exposes no scope 'Write'"):
        directory.grant_delegated(
            tenant=contoso.id, client=daemon.app_id, resource=api.app_id, scopes=["Write"]
        )


def test_a_single_tenant_app_cannot_get_a_service_principal_in_another_tenant(
    directory: Directory, contoso: Tenant, daemon: Application
) -> None:
    fabrikam = directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    with pytest.raises(ValidationFailed, match="single-tenant"):
        directory.create_service_principal(tenant=fabrikam.id, app_id=daemon.app_id)


def test_a_multi_tenant_app_gets_one_service_principal_per_tenant(
    directory: Directory, contoso: Tenant
) -> None:
    app = directory.create_application(
        tenant=contoso.id, display_name="SaaS", sign_in_audience="AzureADMultipleOrgs"
    )
    fabrikam = directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    sp = directory.create_service_principal(tenant=fabrikam.id, app_id=app.app_id)
    assert sp.tenant_id == fabrikam.id
    assert sp.app_owner_organization_id == contoso.id
    with pytest.raises(Conflict, match="already has a service principal"):
        directory.create_service_principal(tenant=fabrikam.id, app_id=app.app_id)
    with pytest.raises(ServicePrincipalNotFound):
        directory.create_service_principal(tenant=fabrikam.id, app_id=new_guid())


def test_consent_in_another_tenant_creates_the_client_service_principal_there(
    directory: Directory, contoso: Tenant
) -> None:
    client = directory.create_application(
        tenant=contoso.id, display_name="SaaS", sign_in_audience="AzureADMultipleOrgs"
    )
    fabrikam = directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    assignment = directory.grant_app_role(
        tenant=fabrikam.id, client=client.app_id, resource="graph", role="User.Read.All"
    )
    sp = directory.get_service_principal(tenant=fabrikam.id, key=client.app_id)
    assert assignment.principal_id == sp.id
    assert assignment.tenant_id == fabrikam.id


def test_assignment_required_is_a_flag_on_the_resource(
    directory: Directory, contoso: Tenant, api: Application
) -> None:
    directory.set_assignment_required(tenant=contoso.id, key=api.app_id, required=True)
    sp = directory.get_service_principal(tenant=contoso.id, key=api.app_id)
    assert sp.app_role_assignment_required is True
