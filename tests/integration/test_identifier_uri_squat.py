"""Issue 11 #5: a tenant cannot take another tenant's API name and get tokens with its own roles.

The attack: Contoso registers `api://<Woodgrove ToDo API appId>` with its own app role, then asks
for `api://<appId>/.default` and gets a token carrying Contoso's role. Graph refuses the
registration now; and a database written before that rule (the squatted name stored anyway) still
never resolves the name to the squatter: only to the app that owns it.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

import httpx
import msal
import pytest

from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, new_guid
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import Application, IdentifierUri, ServicePrincipal

pytestmark = pytest.mark.integration

LiveCloud = Any  # tests/integration/conftest.py
Reader = Callable[[str], dict[str, Any]]
ROLE = "ToDoList.ReadWrite.All"


def _token(cloud: LiveCloud, tenant_id: str, client_id: str, secret: str, scope: str) -> Any:
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=cloud.authority(tenant_id),
        instance_discovery=False,
    )
    return app.acquire_token_for_client(scopes=[scope])


def _squat_as_an_old_database_would_hold_it(
    cloud: LiveCloud, tenant_id: str, squatter_app_id: str, uri: str
) -> None:
    with cloud.directory.db.session() as session:
        app = session.query(Application).filter_by(app_id=squatter_app_id).one()
        app.identifier_uris = [uri]
        session.add(IdentifierUri(tenant_id=tenant_id, uri_key=uri.lower(), application_id=app.id))
        for sp in session.query(ServicePrincipal).filter_by(application_id=app.id):
            sp.service_principal_names = [squatter_app_id, uri]
        bump_revision(session)


def test_another_tenants_api_name_cannot_be_squatted(
    cloud: LiveCloud, read_sts_token: Reader
) -> None:
    directory = cloud.directory
    suffix = new_guid()[:8]
    woodgrove = directory.create_tenant(display_name="Woodgrove", domain=f"woodgrove{suffix}")
    api = directory.create_application(
        tenant=woodgrove.id,
        display_name="ToDo API",
        sign_in_audience="AzureADMultipleOrgs",
        identifier_uris=["api://{appId}"],
        requested_access_token_version=2,
    )
    directory.add_app_role(tenant=woodgrove.id, app=api.app_id, value=ROLE)
    api_uri = f"api://{api.app_id}"

    contoso = directory.create_tenant(display_name="Contoso", domain=f"contoso{suffix}")
    admin = directory.create_application(tenant=contoso.id, display_name="Admin")
    admin_secret = directory.add_password(tenant=contoso.id, app=admin.app_id).secret_text
    directory.grant_app_role(
        tenant=contoso.id,
        client=admin.app_id,
        resource=MICROSOFT_GRAPH_APP_ID,
        role="Application.ReadWrite.All",
    )
    graph_token = _token(
        cloud, contoso.id, admin.app_id, admin_secret, "https://graph.microsoft.com/.default"
    )
    trust = ssl.create_default_context(cafile=str(cloud.ca_bundle))
    with httpx.Client(
        base_url=f"{cloud.origin}/v1.0",
        headers={"Authorization": f"Bearer {graph_token['access_token']}"},
        verify=trust,
    ) as graph:
        for uri in (api_uri, "https://graph.microsoft.com"):
            refused = graph.post(
                "/applications", json={"displayName": "Squatter", "identifierUris": [uri]}
            )
            assert refused.status_code == 400, refused.text
        created = graph.post("/applications", json={"displayName": "Squatter"})
        assert created.status_code == 201, created.text
        squatter = created.json()
        assert graph.post("/servicePrincipals", json={"appId": squatter["appId"]}).status_code in (
            201,
            409,
        )

    # The squatter's own role, consented to Contoso's daemon.
    directory.add_app_role(tenant=contoso.id, app=squatter["appId"], value=ROLE)
    directory.grant_app_role(
        tenant=contoso.id, client=admin.app_id, resource=squatter["appId"], role=ROLE
    )
    _squat_as_an_old_database_would_hold_it(cloud, contoso.id, squatter["appId"], api_uri)

    # Before Woodgrove's API is consented in Contoso the name names nothing there.
    scope = f"{api_uri}/.default"
    missing = _token(cloud, contoso.id, admin.app_id, admin_secret, scope)
    assert "access_token" not in missing, read_sts_token(missing["access_token"])
    assert missing["error_codes"] == [500011]

    # Once consented, the name is the owner's: its audience, and none of the squatter's roles.
    directory.create_service_principal(tenant=contoso.id, app_id=api.app_id)
    granted = _token(cloud, contoso.id, admin.app_id, admin_secret, scope)
    assert "access_token" in granted, granted
    claims = read_sts_token(granted["access_token"])
    assert claims["aud"] == api.app_id
    assert "roles" not in claims
