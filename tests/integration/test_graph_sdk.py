"""Microsoft's own Graph SDK (msgraph-sdk + azure-identity) against the live cloud, over TLS.

The SDK is used as documented for a custom endpoint: a kiota `AzureIdentityAuthenticationProvider`
that may send tokens to `localhost`, and a `GraphRequestAdapter` whose `base_url` is the cloud's
`/v1.0`. azure-identity talks to the token service with instance discovery off.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from azure.identity import ClientSecretCredential
from kiota_abstractions.api_error import APIError
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.applications.item.add_password.add_password_post_request_body import (
    AddPasswordPostRequestBody,
)
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.application import Application
from msgraph.generated.models.password_credential import PasswordCredential
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core.tasks.page_iterator import PageIterator

from tenantlab.bootstrap import read_management_credentials
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, new_guid
from tenantlab.storage.schema import Tenant, User

pytestmark = pytest.mark.integration

LiveCloud = Any  # tests/integration/conftest.py
USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214"


def sdk_client(cloud: LiveCloud, tenant_id: str, client_id: str, secret: str) -> GraphServiceClient:
    credential = ClientSecretCredential(
        tenant_id, client_id, secret, authority=cloud.origin, disable_instance_discovery=True
    )
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=["https://graph.microsoft.com/.default"], allowed_hosts=["localhost"]
    )
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = f"{cloud.origin}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


@pytest.fixture
def management(cloud: LiveCloud, tenant: Tenant) -> GraphServiceClient:
    credentials = read_management_credentials(cloud.platform.settings, tenant.id)
    assert credentials is not None
    return sdk_client(cloud, tenant.id, credentials.clientId, credentials.clientSecret)


def bulk_users(cloud: LiveCloud, tenant: Tenant, count: int, prefix: str = "user") -> None:
    """Insert users in one transaction: seeding, not what the test is about."""
    domain = cloud.directory.tenant_domains(tenant.id)[0]
    now = cloud.platform.clock.now()
    with cloud.platform.database.session() as session:
        session.add_all(
            User(
                id=new_guid(),
                tenant_id=tenant.id,
                user_principal_name=f"{prefix}{i:05}@{domain}",
                upn_key=f"{prefix}{i:05}@{domain}",
                display_name=f"{prefix.title()} {i:05}",
                mail_nickname=f"{prefix}{i:05}",
                created_at=now,
            )
            for i in range(count)
        )


def test_sdk_lists_users_across_pages(
    cloud: LiveCloud, tenant: Tenant, management: GraphServiceClient
) -> None:
    bulk_users(cloud, tenant, 250)

    async def run() -> list[str]:
        config = UsersRequestBuilder.UsersRequestBuilderGetRequestConfiguration(
            query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                top=100, select=["id", "displayName", "userPrincipalName"]
            )
        )
        first = await management.users.get(request_configuration=config)
        assert first is not None
        assert first.odata_next_link is not None
        names: list[str] = []

        def collect(user: Any) -> bool:
            names.append(user.user_principal_name)
            return True

        iterator = PageIterator(first, management.request_adapter)
        await iterator.iterate(collect)
        return names

    names = asyncio.run(run())
    assert len(names) == 250
    assert len(set(names)) == 250


def test_sdk_reads_an_application_adds_a_password_and_consents(
    cloud: LiveCloud, tenant: Tenant, management: GraphServiceClient
) -> None:
    async def run() -> tuple[Any, Any, Any, Any]:
        app = await management.applications.post(Application(display_name="Provisioned daemon"))
        assert app is not None
        assert app.id is not None
        assert app.app_id is not None
        by_id = await management.applications.by_application_id(app.id).get()
        by_app_id = await management.applications_with_app_id(app.app_id).get()
        secret = await management.applications.by_application_id(app.id).add_password.post(
            AddPasswordPostRequestBody(password_credential=PasswordCredential(display_name="ci"))
        )
        sp = await management.service_principals.post(ServicePrincipal(app_id=app.app_id))
        assert sp is not None
        assert sp.id is not None
        graph = await management.service_principals_with_app_id(MICROSOFT_GRAPH_APP_ID).get()
        assert graph is not None
        assert graph.id is not None
        assignment = await management.service_principals.by_service_principal_id(
            sp.id
        ).app_role_assignments.post(
            AppRoleAssignment(principal_id=sp.id, resource_id=graph.id, app_role_id=USER_READ_ALL)  # type: ignore[arg-type]
        )
        return by_id, by_app_id, secret, assignment

    by_id, by_app_id, secret, assignment = asyncio.run(run())
    assert by_id.display_name == by_app_id.display_name == "Provisioned daemon"
    assert secret.secret_text
    assert secret.hint == secret.secret_text[:3]
    assert str(assignment.app_role_id) == USER_READ_ALL
    assert assignment.resource_display_name == "Microsoft Graph"

    # The new app can now read users with its new secret: the grant reached its token.
    daemon = sdk_client(cloud, tenant.id, by_id.app_id, secret.secret_text)
    users = asyncio.run(daemon.users.get())
    assert users is not None
    assert users.value is not None


def test_sdk_surfaces_graphs_403_for_a_missing_permission(cloud: LiveCloud, tenant: Tenant) -> None:
    app = cloud.directory.create_application(tenant=tenant.id, display_name="No permissions")
    secret = cloud.directory.add_password(tenant=tenant.id, app=app.app_id).secret_text
    client = sdk_client(cloud, tenant.id, app.app_id, secret)
    with pytest.raises(APIError) as raised:
        asyncio.run(client.users.get())
    assert raised.value.response_status_code == 403
    assert raised.value.error.code == "Authorization_RequestDenied"  # type: ignore[attr-defined]
    assert raised.value.error.message == "Insufficient privileges to complete the operation."  # type: ignore[attr-defined]
