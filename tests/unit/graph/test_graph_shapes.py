"""Directory objects in Graph v1.0's JSON shapes (what Graph and `--json` print)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tenantlab.directory import Directory
from tenantlab.graph.errors import InvalidRequest
from tenantlab.graph.shapes import (
    APP_ROLE_ASSIGNMENT,
    APPLICATION,
    ORGANIZATION,
    SERVICE_PRINCIPAL,
    USER,
    USER_DEFAULT_PROPERTIES,
    Shape,
    app_role_assignment_json,
    application_document,
    organization_json,
    password_credential_json,
    service_principal_document,
    user_json,
)
from tenantlab.graph.shapes.applications import ApplicationFacts
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

# The property sets of entra-captures/graph-resources.golden.json: a subset of what Graph returns.
GOLDEN_APPLICATION = {
    "id", "appId", "displayName", "signInAudience", "identifierUris", "appRoles", "api",
}  # fmt: skip
GOLDEN_SERVICE_PRINCIPAL = {
    "id", "appId", "displayName", "servicePrincipalType", "accountEnabled", "appRoles",
    "oauth2PermissionScopes", "servicePrincipalNames",
}  # fmt: skip
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def directory(platform: Platform) -> Directory:
    return platform.directory


@pytest.fixture
def contoso(directory: Directory) -> Tenant:
    return directory.create_tenant(display_name="Contoso", domain="contoso")


def test_a_user_has_exactly_graphs_default_property_set(
    directory: Directory, contoso: Tenant
) -> None:
    user = directory.create_user(
        tenant=contoso.id,
        user_principal_name="adele@contoso.onmicrosoft.com",
        display_name="Adele Vance",
        given_name="Adele",
        password="Correct-Horse-1",
    )
    shown = user_json(user)
    assert set(shown) == {
        "businessPhones", "displayName", "givenName", "id", "jobTitle", "mail",
        "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName",
    }  # fmt: skip
    assert set(shown) == set(USER_DEFAULT_PROPERTIES)
    assert shown["businessPhones"] == []
    assert "password" not in json.dumps(shown).lower()


def test_select_picks_properties_case_insensitively_and_always_keeps_id(
    directory: Directory, contoso: Tenant
) -> None:
    user = directory.create_user(
        tenant=contoso.id, user_principal_name="adele@contoso.onmicrosoft.com", display_name="A"
    )
    shown = user_json(user, ["accountEnabled", "USERTYPE", "createdDateTime"])
    assert shown == {
        "accountEnabled": True,
        "userType": "Member",
        "createdDateTime": "2027-01-15T08:00:00Z",
        "id": user.id,
    }
    with pytest.raises(InvalidRequest, match="property named 'nope'"):
        user_json(user, ["nope"])


def test_an_application_carries_graphs_properties_and_its_secrets_without_values(
    directory: Directory, contoso: Tenant
) -> None:
    app = directory.create_application(
        tenant=contoso.id,
        display_name="ToDo API",
        identifier_uris=["api://{appId}"],
        requested_access_token_version=2,
        optional_claims={"accessToken": [{"name": "idtyp"}]},
    )
    secret = directory.add_password(tenant=contoso.id, app=app.app_id, display_name="ci")
    shown = application_document(directory, app)
    assert set(shown) >= GOLDEN_APPLICATION
    assert shown["api"]["requestedAccessTokenVersion"] == 2
    assert shown["optionalClaims"]["accessToken"][0]["name"] == "idtyp"
    assert shown["publisherDomain"] == "contoso.onmicrosoft.com"
    assert ISO_Z.match(shown["createdDateTime"])
    [credential] = shown["passwordCredentials"]
    assert credential["secretText"] is None
    assert credential["hint"] == secret.secret_text[:3]
    assert secret.secret_text not in json.dumps(shown)


def test_optional_claims_are_null_until_configured(directory: Directory, contoso: Tenant) -> None:
    app = directory.create_application(tenant=contoso.id, display_name="Daemon")
    assert application_document(directory, app)["optionalClaims"] is None


def test_a_new_secret_has_graphs_password_credential_shape(
    directory: Directory, contoso: Tenant
) -> None:
    app = directory.create_application(tenant=contoso.id, display_name="Daemon")
    new = directory.add_password(tenant=contoso.id, app=app.app_id, display_name="ci", days=30)
    shown = password_credential_json(new.credential, secret_text=new.secret_text)
    assert shown == {
        "customKeyIdentifier": None,
        "displayName": "ci",
        "endDateTime": "2027-02-14T08:00:00Z",
        "hint": new.secret_text[:3],
        "keyId": new.credential.key_id,
        "secretText": new.secret_text,
        "startDateTime": "2027-01-15T08:00:00Z",
    }


def test_service_principals_show_their_applications_roles(
    directory: Directory, contoso: Tenant
) -> None:
    app = directory.create_application(tenant=contoso.id, display_name="API")
    directory.add_app_role(tenant=contoso.id, app=app.app_id, value="Jobs.Run")
    sp = directory.get_service_principal(tenant=contoso.id, key=app.app_id)
    shown = service_principal_document(directory, sp)
    assert set(shown) >= GOLDEN_SERVICE_PRINCIPAL
    assert [r["value"] for r in shown["appRoles"]] == ["Jobs.Run"]
    assert shown["appOwnerOrganizationId"] == contoso.id
    graph = service_principal_document(
        directory, directory.get_service_principal(tenant=contoso.id, key="graph")
    )
    assert graph["signInAudience"] == "AzureADMultipleOrgs"
    assert "User.Read.All" in [r["value"] for r in graph["appRoles"]]


def test_an_app_role_assignment_names_both_ends(directory: Directory, contoso: Tenant) -> None:
    app = directory.create_application(tenant=contoso.id, display_name="Daemon")
    row = directory.grant_app_role(
        tenant=contoso.id, client=app.app_id, resource="graph", role="User.Read.All"
    )
    principal = directory.get_service_principal(tenant=contoso.id, key=app.app_id)
    resource = directory.get_service_principal(tenant=contoso.id, key="graph")
    shown = app_role_assignment_json(row, principal=principal, resource=resource)
    assert shown["appRoleId"] == "df021288-bdef-4463-88db-98f22de89214"
    assert shown["principalDisplayName"] == "Daemon"
    assert shown["resourceDisplayName"] == "Microsoft Graph"
    assert shown["principalType"] == "ServicePrincipal"


def test_a_tenant_is_an_organization_with_verified_domains(
    directory: Directory, contoso: Tenant
) -> None:
    external = directory.create_tenant(
        display_name="Woodgrove", domain="woodgrove", tenant_type="external"
    )
    shown = organization_json(contoso, ["contoso.onmicrosoft.com", "contoso.com"])
    assert shown["tenantType"] == "AAD"
    assert [d["isInitial"] for d in shown["verifiedDomains"]] == [True, False]
    assert organization_json(external, ["woodgrove.onmicrosoft.com"])["tenantType"] == "CIAM"


def test_a_selection_builds_only_the_properties_it_names(
    directory: Directory, contoso: Tenant
) -> None:
    app = directory.create_application(tenant=contoso.id, display_name="Daemon")

    def never() -> Any:
        raise AssertionError("read a related object that was not selected")

    facts = ApplicationFacts(
        app,
        read_password_credentials=never,
        read_key_credentials=never,
        read_publisher_domain=never,
    )
    selection = APPLICATION.choose(["DISPLAYNAME"])
    assert selection == ("displayName", "id")
    assert APPLICATION.render(facts, selection) == {"displayName": "Daemon", "id": app.id}
    with pytest.raises(AssertionError, match="not selected"):
        APPLICATION.render(facts, APPLICATION.choose(["passwordCredentials"]))


@pytest.mark.parametrize(
    "shape", [USER, APPLICATION, SERVICE_PRINCIPAL, APP_ROLE_ASSIGNMENT, ORGANIZATION]
)
def test_every_resource_checks_select_in_the_same_place(shape: Shape[Any]) -> None:
    with pytest.raises(InvalidRequest, match=f"named 'shoeSize' on type '{shape.type_name}'"):
        shape.choose(["id", "shoeSize"])
    assert shape.choose(None) is None
    assert set(shape.default) <= set(shape.names)
