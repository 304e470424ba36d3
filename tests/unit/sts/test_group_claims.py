"""Groups in tokens: the `groups` claim by the resource's groupMembershipClaims (v1 and v2, user
and app-only), the overage past 200 groups, `emit_as_roles`, and app roles assigned to groups."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sts_support import StsSetup, decode_jwt

PASSWORD = "Tenantlab-Test-Passw0rd!"
USER_ROLE = "5a3c1f7e-2b4d-4e6f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def groups(sts: StsSetup) -> StsSetup:
    """A user (adele) in a security group (Readers), which is in another (Staff); a Microsoft 365
    group (Sales) with adele; the daemon's service principal in Readers; a delegated grant."""
    d = sts.platform.directory
    tid = sts.tenant.id
    d.add_permission_scope(tenant=tid, app=sts.api_app_id, value="ToDoList.Read")
    d.add_app_role(
        tenant=tid,
        app=sts.api_app_id,
        value="Tasks.Approve",
        allowed_member_types=["User"],
        role_id=USER_ROLE,
    )
    public = d.create_application(tenant=tid, display_name="Public client")
    d.grant_delegated(
        tenant=tid, client=public.app_id, resource=sts.api_uri, scopes=["ToDoList.Read"]
    )
    d.create_user(
        tenant=tid,
        user_principal_name=f"adele@{sts.domain}",
        display_name="Adele",
        password=PASSWORD,
    )
    readers = d.create_group(tenant=tid, display_name="Readers", mail_nickname="readers")
    staff = d.create_group(tenant=tid, display_name="Staff", mail_nickname="staff")
    sales = d.create_group(
        tenant=tid,
        display_name="Sales",
        mail_nickname="sales",
        group_types=["Unified"],
        mail_enabled=True,
        security_enabled=False,
    )
    d.add_group_member(tenant=tid, group=readers.id, member=f"adele@{sts.domain}")
    d.add_group_member(tenant=tid, group=sales.id, member=f"adele@{sts.domain}")
    d.add_group_member(tenant=tid, group=staff.id, member=readers.id)
    d.add_group_member(tenant=tid, group=readers.id, member=sts.daemon_sp_id)
    d.grant_app_role(
        tenant=tid, client=sts.daemon_app_id, resource=sts.api_uri, role="ToDoList.Read.All"
    )
    return dataclasses.replace(sts, daemon_app_id=public.app_id)


def _set(sts: StsSetup, **changes: Any) -> None:
    sts.platform.directory.update_application(
        tenant=sts.tenant.id, app=sts.api_app_id, changes=changes
    )


def _user_token(sts: StsSetup, version: int = 2) -> dict[str, Any]:
    form = {
        "grant_type": "password",
        "client_id": sts.daemon_app_id,
        "username": f"adele@{sts.domain}",
        "password": PASSWORD,
    }
    if version == 2:
        form["scope"] = f"{sts.api_uri}/ToDoList.Read"
        url = f"/{sts.tenant.id}/oauth2/v2.0/token"
    else:
        form["resource"] = sts.api_uri
        url = f"/{sts.tenant.id}/oauth2/token"
    response = sts.client.post(url, data=form)
    assert response.status_code == 200, response.text
    return decode_jwt(response.json()["access_token"])[1]


def _app_token(sts: StsSetup, client_id: str) -> dict[str, Any]:
    response = sts.client.post(
        f"/{sts.tenant.id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": sts.secret,
            "scope": f"{sts.api_uri}/.default",
        },
    )
    assert response.status_code == 200, response.text
    return decode_jwt(response.json()["access_token"])[1]


def _ids(sts: StsSetup, *names: str) -> list[str]:
    return sorted(sts.platform.directory.get_group(tenant=sts.tenant.id, key=n).id for n in names)


def test_no_groups_claim_unless_the_resource_asks(groups: StsSetup) -> None:
    assert "groups" not in _user_token(groups)
    _set(groups, groupMembershipClaims="None")
    assert "groups" not in _user_token(groups)


@pytest.mark.parametrize("version", [1, 2])
def test_security_groups_transitively_in_v1_and_v2(groups: StsSetup, version: int) -> None:
    _set(
        groups, groupMembershipClaims="SecurityGroup", api={"requestedAccessTokenVersion": version}
    )
    claims = _user_token(groups, version)
    assert claims["ver"] == f"{version}.0"
    assert sorted(claims["groups"]) == _ids(groups, "Readers", "Staff")  # not the M365 group


def test_all_groups_include_microsoft_365_groups(groups: StsSetup) -> None:
    _set(groups, groupMembershipClaims="All")
    assert sorted(_user_token(groups)["groups"]) == _ids(groups, "Readers", "Staff", "Sales")


def test_application_groups_are_the_groups_assigned_to_the_resource(groups: StsSetup) -> None:
    _set(groups, groupMembershipClaims="ApplicationGroup")
    assert "groups" not in _user_token(groups)
    d = groups.platform.directory
    d.assign_app_role_to_group(
        tenant=groups.tenant.id, group="Staff", resource=groups.api_uri, role="Tasks.Approve"
    )
    assert _user_token(groups)["groups"] == _ids(groups, "Staff")


def test_app_only_tokens_name_the_service_principals_groups(
    groups: StsSetup, sts: StsSetup
) -> None:
    _set(groups, groupMembershipClaims="SecurityGroup")
    claims = _app_token(groups, sts.daemon_app_id)
    assert claims["roles"] == ["ToDoList.Read.All"]
    assert sorted(claims["groups"]) == _ids(groups, "Readers", "Staff")


def test_emit_as_roles_puts_the_group_ids_in_roles(groups: StsSetup, sts: StsSetup) -> None:
    _set(
        groups,
        groupMembershipClaims="SecurityGroup",
        optionalClaims={
            "accessToken": [{"name": "groups", "additionalProperties": ["emit_as_roles"]}]
        },
    )
    claims = _app_token(groups, sts.daemon_app_id)
    assert "groups" not in claims
    assert sorted(claims["roles"]) == sorted(
        ["ToDoList.Read.All", *_ids(groups, "Readers", "Staff")]
    )


def test_graph_tokens_never_carry_groups(groups: StsSetup, sts: StsSetup) -> None:
    response = sts.client.post(
        f"/{sts.tenant.id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sts.daemon_app_id,
            "client_secret": sts.secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert "groups" not in decode_jwt(response.json()["access_token"])[1]


@pytest.mark.parametrize(("count", "overage"), [(200, False), (201, True)])
def test_over_200_groups_is_the_overage(
    groups: StsSetup, sts: StsSetup, count: int, overage: bool
) -> None:
    _set(groups, groupMembershipClaims="SecurityGroup")
    d, tid = groups.platform.directory, groups.tenant.id
    user = d.get_user(tenant=tid, key=f"adele@{groups.domain}")
    for i in range(count - 2):  # adele is in Readers and Staff already
        group = d.create_group(tenant=tid, display_name=f"G{i}", mail_nickname=f"g{i}")
        d.add_group_member(tenant=tid, group=group.id, member=user.id)
    claims = _user_token(groups)
    if not overage:
        assert len(claims["groups"]) == 200
        assert "_claim_names" not in claims
        return
    assert "groups" not in claims
    assert claims["_claim_names"] == {"groups": "src1"}
    assert claims["_claim_sources"] == {
        "src1": {
            "endpoint": f"{sts.platform.settings.origin}/v1.0/users/{user.id}/getMemberObjects"
        }
    }


def test_roles_of_groups_reach_their_direct_members_delegated_tokens(groups: StsSetup) -> None:
    d = groups.platform.directory
    assignment = d.assign_app_role_to_group(
        tenant=groups.tenant.id, group="Readers", resource=groups.api_uri, role=USER_ROLE
    )
    claims = _user_token(groups)
    assert claims["roles"] == ["Tasks.Approve"]
    assert list(claims).index("roles") < list(claims).index("scp")
    d.remove_group_app_role(tenant=groups.tenant.id, group="Readers", assignment=assignment.id)
    assert "roles" not in _user_token(groups)


def test_roles_of_a_parent_group_do_not_reach_nested_members_as_in_entra(groups: StsSetup) -> None:
    """Entra: group-based app role assignment does not follow nested groups."""
    groups.platform.directory.assign_app_role_to_group(
        tenant=groups.tenant.id, group="Staff", resource=groups.api_uri, role="Tasks.Approve"
    )
    assert "roles" not in _user_token(groups)


def test_an_application_only_role_cannot_be_assigned_to_a_group(groups: StsSetup) -> None:
    from tenantlab.directory import ValidationFailed

    with pytest.raises(ValidationFailed, match="applications only"):
        groups.platform.directory.assign_app_role_to_group(
            tenant=groups.tenant.id,
            group="Staff",
            resource=groups.api_uri,
            role="ToDoList.Read.All",
        )


def test_group_membership_claims_values_are_checked(groups: StsSetup) -> None:
    from tenantlab.directory import ValidationFailed

    with pytest.raises(ValidationFailed, match="groupMembershipClaims"):
        _set(groups, groupMembershipClaims="Everything")
    _set(groups, groupMembershipClaims="securitygroup, directoryrole")
    app = groups.platform.directory.get_application(tenant=groups.tenant.id, app=groups.api_app_id)
    assert app.group_membership_claims == "SecurityGroup, DirectoryRole"
