"""App registrations: role and scope values, identifierUris, token versions, updates."""

from __future__ import annotations

from typing import Any

import pytest

from tenantlab.directory import Directory, ValidationFailed
from tenantlab.directory.errors import ApplicationNotFound, Conflict
from tenantlab.ids import new_guid
from tenantlab.storage.schema import Tenant


def role(value: str, **extra: Any) -> dict[str, Any]:
    return {"id": new_guid(), "value": value, "allowedMemberTypes": ["Application"], **extra}


def test_app_id_and_object_id_differ_and_the_service_principal_is_created(
    directory: Directory, contoso: Tenant
) -> None:
    app = directory.create_application(
        tenant=contoso.id, display_name="ToDo API", identifier_uris=["api://{appId}"]
    )
    assert app.id != app.app_id
    assert app.identifier_uris == [f"api://{app.app_id}"]
    sp = directory.get_service_principal(tenant=contoso.id, key=f"api://{app.app_id}")
    assert sp.app_id == app.app_id
    assert sp.service_principal_names == [app.app_id, f"api://{app.app_id}"]


@pytest.mark.parametrize(
    "value", ["ToDoList Read", "", "ToDo\u00e9", ".leading.dot", 'quote"d', "x" * 121]
)
def test_role_values_that_entra_refuses(directory: Directory, contoso: Tenant, value: str) -> None:
    with pytest.raises(ValidationFailed, match="appRole value"):
        directory.create_application(tenant=contoso.id, display_name="API", app_roles=[role(value)])


def test_role_values_are_unique_case_insensitively_and_need_guid_ids(
    directory: Directory, contoso: Tenant
) -> None:
    with pytest.raises(ValidationFailed, match="used twice"):
        directory.create_application(
            tenant=contoso.id,
            display_name="API",
            app_roles=[role("ToDoList.Read.All"), role("todolist.read.all")],
        )
    with pytest.raises(ValidationFailed, match="GUID"):
        directory.create_application(
            tenant=contoso.id, display_name="API", app_roles=[role("A", id="not-a-guid")]
        )
    with pytest.raises(ValidationFailed, match="allowedMemberTypes"):
        directory.create_application(
            tenant=contoso.id, display_name="API", app_roles=[role("A", allowedMemberTypes=[])]
        )


def test_scope_values_follow_the_same_rules(directory: Directory, contoso: Tenant) -> None:
    app = directory.create_application(tenant=contoso.id, display_name="API")
    with pytest.raises(ValidationFailed, match="cannot contain spaces"):
        directory.add_permission_scope(tenant=contoso.id, app=app.app_id, value="Read All")
    scope = directory.add_permission_scope(tenant=contoso.id, app=app.app_id, value="ToDoList.Read")
    assert scope["type"] == "User"
    # Exposing a scope gives the app the default Application ID URI.
    found = directory.get_application(tenant=contoso.id, app=app.app_id)
    assert found.identifier_uris == [f"api://{app.app_id}"]


def test_identifier_uris_are_unique_per_tenant_not_across_tenants(
    directory: Directory, contoso: Tenant
) -> None:
    directory.create_application(
        tenant=contoso.id, display_name="A", identifier_uris=["api://todo"]
    )
    with pytest.raises(Conflict, match="identifierUris"):
        directory.create_application(
            tenant=contoso.id, display_name="B", identifier_uris=["API://ToDo"]
        )
    fabrikam = directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    other = directory.create_application(
        tenant=fabrikam.id, display_name="B", identifier_uris=["api://todo"]
    )
    assert other.identifier_uris == ["api://todo"]


@pytest.mark.parametrize(
    "uri", ["ftp://x", "api://", "api://x y", "https://x/*", "https://x/#frag", "https://x/?q=1"]
)
def test_identifier_uri_shapes_entra_refuses(
    directory: Directory, contoso: Tenant, uri: str
) -> None:
    with pytest.raises(ValidationFailed, match="identifierUri"):
        directory.create_application(tenant=contoso.id, display_name="A", identifier_uris=[uri])


def test_token_version_and_personal_accounts(directory: Directory, contoso: Tenant) -> None:
    with pytest.raises(ValidationFailed, match="null, 1 or 2"):
        directory.create_application(
            tenant=contoso.id, display_name="A", requested_access_token_version=3
        )
    with pytest.raises(ValidationFailed, match=r"requires api\.requestedAccessTokenVersion 2"):
        directory.create_application(
            tenant=contoso.id,
            display_name="A",
            sign_in_audience="AzureADandPersonalMicrosoftAccount",
        )
    with pytest.raises(ValidationFailed, match="signInAudience"):
        directory.create_application(
            tenant=contoso.id, display_name="A", sign_in_audience="Everyone"
        )


def test_an_enabled_role_must_be_disabled_before_it_is_removed(
    directory: Directory, contoso: Tenant
) -> None:
    app = directory.create_application(
        tenant=contoso.id, display_name="API", app_roles=[role("ToDoList.Read.All")]
    )
    with pytest.raises(ValidationFailed, match="isEnabled to false"):
        directory.update_application(tenant=contoso.id, app=app.id, changes={"appRoles": []})
    disabled = [{**app.app_roles[0], "isEnabled": False}]
    directory.update_application(tenant=contoso.id, app=app.id, changes={"appRoles": disabled})
    directory.update_application(tenant=contoso.id, app=app.id, changes={"appRoles": []})
    assert directory.get_application(tenant=contoso.id, app=app.id).app_roles == []


def test_apps_are_found_by_object_id_app_id_or_unique_name(
    directory: Directory, contoso: Tenant
) -> None:
    app = directory.create_application(tenant=contoso.id, display_name="Daemon")
    for key in (app.id, app.app_id, "daemon", app.app_id.upper()):
        assert directory.get_application(tenant=contoso.id, app=key).id == app.id
    directory.create_application(tenant=contoso.id, display_name="Daemon")
    with pytest.raises(ApplicationNotFound, match=r"2 applications are named .Daemon. \(appIds"):
        directory.get_application(tenant=contoso.id, app="Daemon")


def test_deleting_an_app_removes_its_service_principal(
    directory: Directory, contoso: Tenant
) -> None:
    app = directory.create_application(tenant=contoso.id, display_name="Daemon")
    directory.delete_application(tenant=contoso.id, app=app.app_id)
    with pytest.raises(ApplicationNotFound):
        directory.get_application(tenant=contoso.id, app=app.app_id)
    assert all(
        sp.app_id != app.app_id for sp in directory.list_service_principals(tenant=contoso.id)
    )
