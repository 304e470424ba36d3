"""Groups end to end over TLS: real MSAL gets delegated (password grant) and app-only tokens that
carry `groups` and the roles of the user's groups; past 200 groups the overage points at Graph's
getMemberObjects, which answers; `tenantlab.apiauth` follows it with its own Graph token; and
msgraph-sdk manages groups and members (`$ref`) against the live Graph."""

from __future__ import annotations

import asyncio
from typing import Any

import msal
import pytest
from msgraph.generated.models.group import Group as GraphGroup
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.users.item.get_member_groups.get_member_groups_post_request_body import (
    GetMemberGroupsPostRequestBody,
)
from test_graph_sdk import sdk_client
from test_todo_user_tokens import PASSWORD, user_token

from tenantlab.apiauth import GraphGroups, TokenValidationSettings, TokenValidator
from tenantlab.bootstrap import read_management_credentials
from tenantlab.ids import new_guid
from tenantlab.storage.schema import Group, GroupMember, Tenant

pytestmark = pytest.mark.integration

LiveCloud = Any
APPROVER = "3f0c6a55-8d7e-4b11-9c2a-5e6f7a8b9c0d"


@pytest.fixture
def setup(cloud: LiveCloud, tenant: Tenant) -> dict[str, Any]:
    """An API (v2, groups claim: SecurityGroup, a user role); a public client with delegated
    consent; a daemon with a secret, GroupMember.Read.All on Graph and a role on the API; adele
    in Readers, Readers in Staff; Readers assigned the API's Approver role."""
    d, tid = cloud.directory, tenant.id
    api_uri = f"api://groups-{new_guid()[:8]}"
    api = d.create_application(
        tenant=tid,
        display_name="Groups API",
        identifier_uris=[api_uri],
        requested_access_token_version=2,
    )
    d.update_application(
        tenant=tid, app=api.app_id, changes={"groupMembershipClaims": "SecurityGroup"}
    )
    d.add_permission_scope(tenant=tid, app=api.app_id, value="Items.Read")
    d.add_app_role(tenant=tid, app=api.app_id, value="Items.Read.All")
    d.add_app_role(
        tenant=tid,
        app=api.app_id,
        value="Approver",
        allowed_member_types=["User"],
        role_id=APPROVER,
    )
    public = d.create_application(tenant=tid, display_name="Groups public client")
    d.grant_delegated(tenant=tid, client=public.app_id, resource=api_uri, scopes=["Items.Read"])
    daemon = d.create_application(tenant=tid, display_name="Groups daemon")
    secret = d.add_password(tenant=tid, app=daemon.app_id).secret_text
    d.grant_app_role(tenant=tid, client=daemon.app_id, resource=api_uri, role="Items.Read.All")
    d.grant_app_role(
        tenant=tid, client=daemon.app_id, resource="graph", role="GroupMember.Read.All"
    )
    domain = d.tenant_domains(tid)[0]
    adele = d.create_user(
        tenant=tid, user_principal_name=f"adele@{domain}", display_name="Adele", password=PASSWORD
    )
    readers = d.create_group(tenant=tid, display_name="Readers", mail_nickname="readers")
    staff = d.create_group(tenant=tid, display_name="Staff", mail_nickname="staff")
    d.add_group_member(tenant=tid, group=readers.id, member=adele.id)
    d.add_group_member(tenant=tid, group=staff.id, member=readers.id)
    daemon_sp = d.get_service_principal(tenant=tid, key=daemon.app_id)
    d.add_group_member(tenant=tid, group=readers.id, member=daemon_sp.id)
    d.assign_app_role_to_group(tenant=tid, group=readers.id, resource=api_uri, role="Approver")
    return {
        "api": api,
        "api_uri": api_uri,
        "public": public,
        "daemon": daemon,
        "secret": secret,
        "adele": adele,
        "groups": sorted([readers.id, staff.id]),
    }


def _claims(token: str) -> dict[str, Any]:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})  # type: ignore[no-any-return]


def _daemon_token(cloud: LiveCloud, tenant: Tenant, setup: dict[str, Any], scope: str) -> str:
    app = msal.ConfidentialClientApplication(
        setup["daemon"].app_id,
        client_credential=setup["secret"],
        authority=cloud.authority(tenant.id),
        instance_discovery=False,
    )
    result = app.acquire_token_for_client([scope])
    assert "access_token" in result, result
    return result["access_token"]  # type: ignore[no-any-return]


def _validator(cloud: LiveCloud, tenant: Tenant, setup: dict[str, Any]) -> TokenValidator:
    return TokenValidator(
        TokenValidationSettings(
            instance=cloud.origin,
            tenant=tenant.id,
            audiences=(setup["api"].app_id,),
            ca_bundle=cloud.ca_bundle,
        )
    )


def test_msal_tokens_carry_groups_and_the_roles_of_the_users_groups(
    cloud: LiveCloud, tenant: Tenant, setup: dict[str, Any]
) -> None:
    result = user_token(
        cloud,
        tenant.id,
        setup["public"].app_id,
        setup["adele"].user_principal_name,
        [f"{setup['api_uri']}/Items.Read"],
    )
    assert "access_token" in result, result
    claims = _claims(result["access_token"])
    assert claims["scp"] == "Items.Read"
    assert claims["roles"] == ["Approver"]
    assert sorted(claims["groups"]) == setup["groups"]

    app_claims = _claims(_daemon_token(cloud, tenant, setup, f"{setup['api_uri']}/.default"))
    assert app_claims["roles"] == ["Items.Read.All"]
    assert sorted(app_claims["groups"]) == setup["groups"]

    async def validate() -> Any:
        validator = _validator(cloud, tenant, setup)
        try:
            return await validator.validate(result["access_token"])
        finally:
            await validator.aclose()

    principal = asyncio.run(validate())
    assert sorted(principal.groups) == setup["groups"]
    assert principal.group_overage is False


def test_the_overage_points_at_getmemberobjects_and_apiauth_follows_it(
    cloud: LiveCloud, tenant: Tenant, setup: dict[str, Any]
) -> None:
    adele = setup["adele"]
    now = cloud.platform.clock.now()
    extra = [new_guid() for _ in range(210)]
    with cloud.platform.database.session() as session:  # seeding, not what the test is about
        session.add_all(
            Group(
                id=gid,
                tenant_id=tenant.id,
                display_name=f"Bulk {i:03}",
                mail_nickname=f"bulk{i:03}",
                security_enabled=True,
                mail_enabled=False,
                group_types=[],
                created_at=now,
            )
            for i, gid in enumerate(extra)
        )
        session.flush()
        session.add_all(
            GroupMember(
                group_id=gid, member_id=adele.id, member_type="user", tenant_id=tenant.id,
                user_id=adele.id,
            )
            for gid in extra
        )  # fmt: skip
        from tenantlab.storage.database import bump_revision

        bump_revision(session)
    result = user_token(
        cloud,
        tenant.id,
        setup["public"].app_id,
        adele.user_principal_name,
        [f"{setup['api_uri']}/Items.Read"],
    )
    assert "access_token" in result, result
    claims = _claims(result["access_token"])
    assert "groups" not in claims
    endpoint = claims["_claim_sources"][claims["_claim_names"]["groups"]]["endpoint"]
    assert endpoint == f"{cloud.origin}/v1.0/users/{adele.id}/getMemberObjects"
    every = sorted([*setup["groups"], *extra])

    async def resolve() -> Any:
        validator = _validator(cloud, tenant, setup)

        async def graph_token() -> str:
            return await asyncio.to_thread(
                _daemon_token, cloud, tenant, setup, "https://graph.microsoft.com/.default"
            )

        groups = GraphGroups(
            graph_origin=cloud.origin, token=graph_token, ca_bundle=cloud.ca_bundle
        )
        try:
            principal = await validator.validate(result["access_token"])
            assert principal.group_overage is True
            assert principal.groups == frozenset()
            return await groups.resolve(principal)
        finally:
            await validator.aclose()
            await groups.aclose()

    resolved = asyncio.run(resolve())
    assert sorted(resolved.groups) == every


def test_msgraph_sdk_manages_groups_and_members(
    cloud: LiveCloud, tenant: Tenant, setup: dict[str, Any]
) -> None:
    credentials = read_management_credentials(cloud.platform.settings, tenant.id)
    assert credentials is not None
    cloud.directory.grant_app_role(
        tenant=tenant.id, client=credentials.clientId, resource="graph", role="Group.ReadWrite.All"
    )
    client = sdk_client(cloud, tenant.id, credentials.clientId, credentials.clientSecret)
    adele = setup["adele"]

    async def run() -> tuple[Any, Any, Any]:
        created = await client.groups.post(
            GraphGroup(
                display_name="SDK group",
                mail_enabled=False,
                mail_nickname="sdkgroup",
                security_enabled=True,
            )
        )
        assert created is not None
        assert created.id is not None
        await client.groups.by_group_id(created.id).members.ref.post(
            ReferenceCreate(odata_id=f"{cloud.origin}/v1.0/directoryObjects/{adele.id}")
        )
        members = await client.groups.by_group_id(created.id).members.get()
        member_of = await client.users.by_user_id(adele.id).transitive_member_of.get()
        ids = await client.users.by_user_id(adele.id).get_member_groups.post(
            GetMemberGroupsPostRequestBody(security_enabled_only=True)
        )
        return created, members, (member_of, ids)

    created, members, (member_of, ids) = asyncio.run(run())
    assert [m.id for m in members.value] == [adele.id]
    assert type(members.value[0]).__name__ == "User"
    assert created.id in {g.id for g in member_of.value}
    assert sorted(ids.value) == sorted([*setup["groups"], created.id])
