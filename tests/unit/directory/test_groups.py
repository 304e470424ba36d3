"""Groups in the directory: kinds, members of three kinds, owners, transitive membership
(cycle-safe), what Entra refuses, and the audit record of each change."""

from __future__ import annotations

import pytest

from tenantlab.directory import (
    Conflict,
    Directory,
    DirectoryObjectNotFound,
    GroupNotFound,
    ValidationFailed,
)
from tenantlab.directory import audits as audit_log
from tenantlab.directory.audits import AuditQuery, list_audits
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant


def _user(directory: Directory, tenant: Tenant, alias: str) -> str:
    return directory.create_user(
        tenant=tenant.id, user_principal_name=f"{alias}@contoso.onmicrosoft.com", display_name=alias
    ).id


def test_a_security_group_by_default_and_a_microsoft_365_group_with_a_mail_address(
    directory: Directory, contoso: Tenant
) -> None:
    sec = directory.create_group(tenant=contoso.id, display_name="Admins", mail_nickname="admins")
    assert (sec.security_enabled, sec.mail_enabled, sec.group_types, sec.mail) == (
        True,
        False,
        [],
        None,
    )
    m365 = directory.create_group(
        tenant=contoso.id,
        display_name="Sales",
        mail_nickname="sales",
        group_types=["Unified"],
        mail_enabled=True,
        security_enabled=False,
    )
    assert m365.mail == "sales@contoso.onmicrosoft.com"
    assert m365.visibility == "Public"
    assert directory.get_group(tenant=contoso.id, key="sales").id == m365.id
    assert directory.get_group(tenant=contoso.id, key=m365.id.upper()).id == m365.id
    with pytest.raises(Conflict, match="proxyAddresses"):
        directory.create_group(
            tenant=contoso.id,
            display_name="Sales 2",
            mail_nickname="SALES",
            group_types=["Unified"],
            mail_enabled=True,
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mail_enabled": True}, "mail-enabled groups"),
        ({"group_types": ["Unified"]}, "mailEnabled"),
        ({"group_types": ["DynamicMembership"]}, "dynamic membership"),
        ({"group_types": ["Teams"]}, "groupTypes"),
        ({"mail_nickname": "has space"}, "mailNickname"),
        ({"mail_nickname": "x" * 65}, "mailNickname"),
        ({"mail_nickname": "caf\u00e9"}, "mailNickname"),
        ({"display_name": " "}, "displayName"),
        ({"description": "d" * 1025}, "description"),
        ({"visibility": "Private"}, "visibility"),
    ],
)
def test_what_entra_refuses_on_create(
    directory: Directory, contoso: Tenant, fields: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"display_name": "G", "mail_nickname": "g", **fields}
    with pytest.raises(ValidationFailed, match=message):
        directory.create_group(tenant=contoso.id, **arguments)  # type: ignore[arg-type]


def test_members_of_three_kinds_and_transitive_membership_through_a_cycle(
    directory: Directory, contoso: Tenant
) -> None:
    adele = _user(directory, contoso, "adele")
    app = directory.create_application(tenant=contoso.id, display_name="Daemon")
    sp = directory.get_service_principal(tenant=contoso.id, key=app.app_id)
    outer = directory.create_group(tenant=contoso.id, display_name="Outer", mail_nickname="o")
    inner = directory.create_group(tenant=contoso.id, display_name="Inner", mail_nickname="i")
    directory.add_group_member(tenant=contoso.id, group=inner.id, member=adele)
    directory.add_group_member(tenant=contoso.id, group=inner.id, member=app.app_id)  # its SP
    directory.add_group_member(tenant=contoso.id, group=outer.id, member=inner.id)
    directory.add_group_member(tenant=contoso.id, group=inner.id, member=outer.id)  # a cycle

    members = directory.group_members(tenant=contoso.id, group="Inner")
    assert {(m.kind, m.id) for m in members} == {
        ("user", adele),
        ("servicePrincipal", sp.id),
        ("group", outer.id),
    }
    transitive = directory.transitive_group_members(tenant=contoso.id, group=outer.id)
    assert {m.id for m in transitive} == {inner.id, adele, sp.id}  # never the group itself
    assert {g.id for g in directory.member_of(tenant=contoso.id, key=adele)} == {inner.id}
    assert {g.id for g in directory.transitive_member_of(tenant=contoso.id, key=adele)} == {
        inner.id,
        outer.id,
    }
    assert directory.member_group_ids(tenant=contoso.id, key=sp.id) == sorted([inner.id, outer.id])
    assert directory.check_member_groups(
        tenant=contoso.id, key="adele@contoso.onmicrosoft.com", group_ids=[outer.id.upper()]
    ) == [outer.id]
    # A group in a cycle is in itself transitively? Entra lists the other group only.
    assert directory.member_group_ids(tenant=contoso.id, key=outer.id) == [inner.id]


def test_deleting_a_member_or_a_group_removes_its_memberships(
    directory: Directory, contoso: Tenant
) -> None:
    adele = _user(directory, contoso, "adele")
    outer = directory.create_group(tenant=contoso.id, display_name="Outer", mail_nickname="o")
    inner = directory.create_group(tenant=contoso.id, display_name="Inner", mail_nickname="i")
    directory.add_group_member(tenant=contoso.id, group=outer.id, member=inner.id)
    directory.add_group_member(tenant=contoso.id, group=inner.id, member=adele)
    directory.add_group_owner(tenant=contoso.id, group=outer.id, owner=adele)
    directory.delete_group(tenant=contoso.id, key=inner.id)
    assert directory.group_members(tenant=contoso.id, group=outer.id) == []
    directory.delete_user(tenant=contoso.id, key=adele)
    assert directory.group_owners(tenant=contoso.id, group=outer.id) == []


def test_refusals_on_membership(directory: Directory, contoso: Tenant) -> None:
    adele = _user(directory, contoso, "adele")
    group = directory.create_group(tenant=contoso.id, display_name="G", mail_nickname="g")
    m365 = directory.create_group(
        tenant=contoso.id,
        display_name="M",
        mail_nickname="m",
        group_types=["Unified"],
        mail_enabled=True,
    )
    with pytest.raises(ValidationFailed, match="member of itself"):
        directory.add_group_member(tenant=contoso.id, group=group.id, member=group.id)
    with pytest.raises(ValidationFailed, match="Microsoft 365 group"):
        directory.add_group_member(tenant=contoso.id, group=m365.id, member=group.id)
    directory.add_group_member(tenant=contoso.id, group=group.id, member=adele)
    with pytest.raises(Conflict, match="already exist"):
        directory.add_group_member(tenant=contoso.id, group=group.id, member=adele)
    with pytest.raises(DirectoryObjectNotFound):
        directory.add_group_member(
            tenant=contoso.id, group=group.id, member="0f6a2b5e-1d7c-4a55-9a0e-111111111111"
        )
    with pytest.raises(GroupNotFound):
        directory.add_group_member(tenant=contoso.id, group="nope", member=adele)
    with pytest.raises(ValidationFailed, match="owners are users or service principals"):
        directory.add_group_owner(tenant=contoso.id, group=m365.id, owner=group.id)
    directory.remove_group_member(tenant=contoso.id, group=group.id, member=adele)
    with pytest.raises(DirectoryObjectNotFound, match="not a member"):
        directory.remove_group_member(tenant=contoso.id, group=group.id, member=adele)
    with pytest.raises(ValidationFailed, match="groupTypes cannot be changed"):
        directory.update_group(tenant=contoso.id, key=group.id, group_types=["Unified"])


def test_another_tenants_objects_are_not_found(directory: Directory, contoso: Tenant) -> None:
    fabrikam = directory.create_tenant(display_name="Fabrikam", domain="fabrikam")
    theirs = directory.create_group(tenant=fabrikam.id, display_name="T", mail_nickname="t")
    ours = directory.create_group(tenant=contoso.id, display_name="O", mail_nickname="o")
    with pytest.raises(GroupNotFound):
        directory.get_group(tenant=contoso.id, key=theirs.id)
    with pytest.raises(DirectoryObjectNotFound):
        directory.add_group_member(tenant=contoso.id, group=ours.id, member=theirs.id)


def test_each_change_is_audited_as_entra_names_it(
    platform: Platform, directory: Directory, contoso: Tenant
) -> None:
    adele = _user(directory, contoso, "adele")
    group = directory.create_group(tenant=contoso.id, display_name="G", mail_nickname="g")
    directory.update_group(tenant=contoso.id, key=group.id, description="Ops")
    directory.add_group_member(tenant=contoso.id, group=group.id, member=adele)
    directory.remove_group_member(tenant=contoso.id, group=group.id, member=adele)
    with pytest.raises(ValidationFailed):
        directory.add_group_member(tenant=contoso.id, group=group.id, member=group.id)
    directory.delete_group(tenant=contoso.id, key=group.id)
    records = list_audits(platform.database, AuditQuery(tenant_id=contoso.id, target_id=group.id))
    # One clock instant for all of them: compare as a set of (activity, result).
    names = sorted((r.activity_display_name, r.result) for r in records)
    assert names == sorted(
        [
            (audit_log.ADD_GROUP.display_name, "success"),
            (audit_log.UPDATE_GROUP.display_name, "success"),
            (audit_log.ADD_MEMBER.display_name, "success"),
            (audit_log.REMOVE_MEMBER.display_name, "success"),
            (audit_log.DELETE_GROUP.display_name, "success"),
        ]
    )
    added = next(r for r in records if r.activity_display_name == "Add member to group")
    member, target = added.target_resources
    assert (member["id"], member["type"], target["id"]) == (adele, "User", group.id)
    assert member["modifiedProperties"][0] == {
        "displayName": "Group.ObjectID",
        "oldValue": None,
        "newValue": f'["{group.id}"]',
    }
    (failure,) = list_audits(platform.database, AuditQuery(tenant_id=contoso.id, result="failure"))
    assert failure.result_reason == "A group cannot be added as a member of itself."
    updated = next(r for r in records if r.activity_display_name == "Update group")
    assert updated.target_resources[0]["modifiedProperties"] == [
        {"displayName": "description", "oldValue": None, "newValue": '["Ops"]'}
    ]


def test_group_types_any_is_one_sql_condition_on_both_backends(
    directory: Directory, contoso: Tenant
) -> None:
    from tenantlab.directory.queries import Comparison, Negation, PageQuery

    directory.create_group(tenant=contoso.id, display_name="Sec", mail_nickname="sec")
    m365 = directory.create_group(
        tenant=contoso.id,
        display_name="M",
        mail_nickname="m",
        group_types=["Unified"],
        mail_enabled=True,
    )
    unified = Comparison("groupTypes", "any", "unified")
    page = directory.page_groups(tenant=contoso.id, query=PageQuery(filter=unified, count=True))
    assert ([g.id for g in page.items], page.count) == ([m365.id], 1)
    others = directory.page_groups(tenant=contoso.id, query=PageQuery(filter=Negation(unified)))
    assert [g.display_name for g in others.items] == ["Sec"]


def test_a_disabled_role_cannot_be_assigned_to_a_group(
    directory: Directory, contoso: Tenant
) -> None:
    """The same check as a grant to an application (it was missing for groups)."""
    role = {
        "id": "5f0c3d7e-6a1b-4c2d-9e8f-0a1b2c3d4e5f",
        "value": "Legacy",
        "displayName": "Legacy",
        "description": "Legacy",
        "allowedMemberTypes": ["User"],
        "isEnabled": False,
    }
    api = directory.create_application(tenant=contoso.id, display_name="Old API", app_roles=[role])
    directory.create_group(tenant=contoso.id, display_name="Staff", mail_nickname="staff")
    with pytest.raises(ValidationFailed, match="'Legacy' is disabled"):
        directory.assign_app_role_to_group(
            tenant=contoso.id, group="Staff", resource=api.app_id, role="Legacy"
        )
