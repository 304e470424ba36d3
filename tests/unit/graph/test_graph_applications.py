"""`/applications`, `/servicePrincipals`, credentials and admin consent through Graph."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tenantlab.ids import MICROSOFT_GRAPH_APP_ID
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant

USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214"


def certificate_b64() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "daemon")])
    now = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


@pytest.fixture
def app(manager: Any) -> dict[str, Any]:
    response = manager.post("/v1.0/applications", json={"displayName": "Daemon"})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_create_application_has_graph_shape_and_no_service_principal(
    manager: Any, app: dict[str, Any]
) -> None:
    assert app["@odata.context"].endswith("#applications/$entity")
    assert app["signInAudience"] == "AzureADMyOrg"
    assert app["passwordCredentials"] == []
    found = manager.get(
        "/v1.0/servicePrincipals", params={"$filter": f"appId eq '{app['appId']}'"}
    ).json()
    assert found["value"] == []


def test_get_application_by_object_id_and_by_app_id(
    as_app: Callable[..., Any], app: dict[str, Any]
) -> None:
    reader = as_app("Application.Read.All")
    by_id = reader.get(f"/v1.0/applications/{app['id']}").json()
    by_app_id = reader.get(f"/v1.0/applications(appId='{app['appId']}')").json()
    assert by_id["id"] == by_app_id["id"] == app["id"]
    # The object-id form does not accept an appId, as in Graph.
    assert reader.get(f"/v1.0/applications/{app['appId']}").status_code == 404
    assert reader.get("/v1.0/applications/not-a-guid").status_code == 400


def test_select_on_an_application(as_app: Callable[..., Any], app: dict[str, Any]) -> None:
    reader = as_app("Application.Read.All")
    body = reader.get(f"/v1.0/applications/{app['id']}", params={"$select": "appId"}).json()
    assert set(body) == {"@odata.context", "appId", "id"}
    bad = reader.get(f"/v1.0/applications/{app['id']}", params={"$select": "nope"})
    assert bad.status_code == 400


def test_add_password_returns_the_secret_once_and_it_works(
    manager: Any, platform: Platform, tenant: Tenant, app: dict[str, Any]
) -> None:
    added = manager.post(
        f"/v1.0/applications/{app['id']}/addPassword",
        json={"passwordCredential": {"displayName": "ci"}},
    )
    assert added.status_code == 200, added.text
    credential = added.json()
    assert credential["@odata.context"].endswith("#microsoft.graph.passwordCredential")
    secret = credential["secretText"]
    assert credential["hint"] == secret[:3]
    [stored] = platform.directory.password_credentials(app["id"])
    assert platform.directory.secret_matches(stored, secret)
    listed = manager.get(f"/v1.0/applications/{app['id']}").json()["passwordCredentials"]
    assert listed[0]["secretText"] is None
    assert secret not in manager.get(f"/v1.0/applications/{app['id']}").text
    removed = manager.post(
        f"/v1.0/applications/{app['id']}/removePassword", json={"keyId": credential["keyId"]}
    )
    assert removed.status_code == 204
    assert platform.directory.password_credentials(app["id"]) == []


def test_a_secret_longer_than_24_months_is_refused(manager: Any, app: dict[str, Any]) -> None:
    response = manager.post(
        f"/v1.0/applications/{app['id']}/addPassword",
        json={"passwordCredential": {"endDateTime": "2099-01-01T00:00:00Z"}},
    )
    assert response.status_code == 400
    assert "24 months" in response.json()["error"]["message"]


def test_patch_application_and_key_credentials(manager: Any, app: dict[str, Any]) -> None:
    path = f"/v1.0/applications/{app['id']}"
    role = {
        "allowedMemberTypes": ["Application"],
        "displayName": "Read",
        "id": "5f6b5bd3-1d0a-4a3b-9b5e-3c1b7e1d3a10",
        "isEnabled": True,
        "value": "Things.Read.All",
        "description": "Read things",
    }
    patched = manager.patch(path, json={"displayName": "Renamed", "appRoles": [role]})
    assert patched.status_code == 204, patched.text
    with_key = manager.patch(
        path,
        json={
            "keyCredentials": [
                {"type": "AsymmetricX509Cert", "usage": "Verify", "key": certificate_b64()}
            ]
        },
    )
    assert with_key.status_code == 204, with_key.text
    body = manager.get(path).json()
    assert body["displayName"] == "Renamed"
    assert [r["value"] for r in body["appRoles"]] == ["Things.Read.All"]
    [key] = body["keyCredentials"]
    assert key["key"] is None  # only with $select, as in Graph
    selected = manager.get(path, params={"$select": "keyCredentials"}).json()
    assert selected["keyCredentials"][0]["key"]
    # Keeping the first by keyId and adding a second.
    both = manager.patch(
        path, json={"keyCredentials": [{"keyId": key["keyId"]}, {"key": certificate_b64()}]}
    )
    assert both.status_code == 204
    assert len(manager.get(path).json()["keyCredentials"]) == 2
    assert manager.patch(path, json={"keyCredentials": []}).status_code == 204
    assert manager.get(path).json()["keyCredentials"] == []


@pytest.mark.parametrize(
    "change",
    [
        {"signInAudience": "Everyone"},
        {"passwordCredentials": []},
        {"keyCredentials": [{"key": "!!!"}]},
        {"identifierUris": ["not a uri"]},
        {"colour": "blue"},
    ],
)
def test_patch_validation_errors(manager: Any, app: dict[str, Any], change: dict[str, Any]) -> None:
    response = manager.patch(f"/v1.0/applications/{app['id']}", json=change)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "Request_BadRequest"


def test_delete_application(manager: Any, app: dict[str, Any]) -> None:
    assert manager.delete(f"/v1.0/applications/{app['id']}").status_code == 204
    missing = manager.get(f"/v1.0/applications/{app['id']}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "Request_ResourceNotFound"


def test_federated_identity_credentials_crud(manager: Any, app: dict[str, Any]) -> None:
    base = f"/v1.0/applications/{app['id']}/federatedIdentityCredentials"
    fic = {
        "name": "github-main",
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": "repo:contoso/daemon:ref:refs/heads/main",
        "audiences": ["api://AzureADTokenExchange"],
    }
    created = manager.post(base, json=fic)
    assert created.status_code == 201, created.text
    fic_id = created.json()["id"]
    assert manager.get(base).json()["value"][0]["name"] == "github-main"
    changed = manager.patch(f"{base}/{fic_id}", json={"subject": "repo:contoso/daemon:env:prod"})
    assert changed.status_code == 204
    assert manager.get(f"{base}/{fic_id}").json()["subject"] == "repo:contoso/daemon:env:prod"
    assert manager.patch(f"{base}/{fic_id}", json={"name": "other"}).status_code == 400
    assert manager.post(base, json={**fic, "name": "second"}).status_code == 201
    assert manager.post(base, json=fic).status_code == 400  # same name again
    assert manager.delete(f"{base}/{fic_id}").status_code == 204
    assert manager.get(f"{base}/{fic_id}").status_code == 404


def test_service_principal_and_admin_consent(
    manager: Any, platform: Platform, tenant: Tenant, app: dict[str, Any]
) -> None:
    created = manager.post("/v1.0/servicePrincipals", json={"appId": app["appId"]})
    assert created.status_code == 201, created.text
    sp = created.json()
    assert manager.post("/v1.0/servicePrincipals", json={"appId": app["appId"]}).status_code == 400
    graph = manager.get(f"/v1.0/servicePrincipals(appId='{MICROSOFT_GRAPH_APP_ID}')").json()
    path = f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignments"
    grant = {"principalId": sp["id"], "resourceId": graph["id"], "appRoleId": USER_READ_ALL}
    assigned = manager.post(path, json=grant)
    assert assigned.status_code == 201, assigned.text
    assignment = assigned.json()
    assert assignment["resourceDisplayName"] == "Microsoft Graph"
    assert assignment["principalType"] == "ServicePrincipal"
    assert platform.directory.assigned_role_values(sp["id"], graph["id"]) == ["User.Read.All"]
    again = manager.post(path, json=grant)
    assert again.status_code == 400
    assert again.json()["error"]["message"] == (
        "Permission being assigned already exists on the object."
    )
    listed = manager.get(path).json()["value"]
    assert [a["id"] for a in listed] == [assignment["id"]]
    assert manager.delete(f"{path}/{assignment['id']}").status_code == 204
    assert platform.directory.assigned_role_values(sp["id"], graph["id"]) == []
    assert manager.delete(f"{path}/{assignment['id']}").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("appRoleId", "00000000-0000-0000-0000-000000000001", "was not found on application"),
        ("principalId", "00000000-0000-0000-0000-000000000001", "principalId"),
        ("resourceId", "00000000-0000-0000-0000-000000000001", "does not exist"),
        ("appRoleId", "Things.Read", "appRoleId"),
    ],
)
def test_assignment_errors(
    manager: Any, app: dict[str, Any], field: str, value: str, message: str
) -> None:
    sp = manager.post("/v1.0/servicePrincipals", json={"appId": app["appId"]}).json()
    graph = manager.get(f"/v1.0/servicePrincipals(appId='{MICROSOFT_GRAPH_APP_ID}')").json()
    grant = {"principalId": sp["id"], "resourceId": graph["id"], "appRoleId": USER_READ_ALL}
    response = manager.post(
        f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignments", json={**grant, field: value}
    )
    assert response.status_code in (400, 404), response.text
    assert message in response.json()["error"]["message"]


def test_list_service_principals_pages(manager: Any) -> None:
    for index in range(3):
        app = manager.post("/v1.0/applications", json={"displayName": f"App {index}"}).json()
        manager.post("/v1.0/servicePrincipals", json={"appId": app["appId"]})
    names: list[str] = []
    url = "/v1.0/servicePrincipals?$top=2&$select=displayName"
    while url:
        body = manager.get(url).json()
        assert len(body["value"]) <= 2
        names += [sp["displayName"] for sp in body["value"]]
        url = body.get("@odata.nextLink")
    # Microsoft Graph's and the management app's principals are in every tenant.
    assert sorted(names) == [
        "App 0", "App 1", "App 2", "Microsoft Graph", "tenantlab management"
    ]  # fmt: skip


def test_select_is_checked_on_an_empty_page_too(manager: Any) -> None:
    """Graph validates `$select` against the type, not against the objects it found."""
    nothing = "displayName eq 'no such principal'"
    for collection in ("servicePrincipals", "applications", "users"):
        response = manager.get(f"/v1.0/{collection}", params={"$filter": nothing, "$select": "x"})
        assert response.status_code == 400, (collection, response.text)
        assert "Could not find a property named 'x'" in response.json()["error"]["message"]
