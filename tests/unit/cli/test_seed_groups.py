"""Groups in tenant files: created with members of three kinds (nested groups listed in any
order), owners and app roles; idempotent; refusals with the file's path."""

from __future__ import annotations

from typing import Any

import pytest

from tenantlab.platform import Platform
from tenantlab.seed import SeedFileError, apply_seed, parse_seed


def tenant_file(**extra: Any) -> dict[str, Any]:
    return {
        "tenants": [
            {
                "displayName": "Contoso",
                "domain": "contoso",
                "apps": [
                    {
                        "displayName": "ToDo API",
                        "identifierUris": ["api://todo"],
                        "groupMembershipClaims": "SecurityGroup",
                        "roles": [{"value": "Tasks.Approve", "allowedMemberTypes": ["User"]}],
                    },
                    {"displayName": "Daemon"},
                ],
                "users": [{"userPrincipalName": "adele"}],
                "groups": [
                    {"displayName": "Everyone", "members": ["Ops", "Daemon"]},
                    {
                        "displayName": "Ops",
                        "description": "On call",
                        "members": ["adele"],
                        "owners": ["adele@contoso.onmicrosoft.com"],
                        "appRoles": [{"resource": "api://todo", "role": "Tasks.Approve"}],
                    },
                    {"displayName": "Sales", "groupTypes": ["Unified"], "members": ["adele"]},
                ],
                **extra,
            }
        ]
    }


def test_groups_from_a_tenant_file(platform: Platform) -> None:
    data = tenant_file()
    first = apply_seed(platform, parse_seed(data))
    assert any("created group Ops" in line for line in first.changes)
    d = platform.directory
    tid = first.tenants[0].id
    everyone = d.get_group(tenant=tid, key="Everyone")
    kinds = sorted(m.kind for m in d.group_members(tenant=tid, group=everyone.id))
    assert kinds == ["group", "servicePrincipal"]
    sales = d.get_group(tenant=tid, key="Sales")
    assert (sales.mail_enabled, sales.security_enabled) == (True, False)
    ops = d.get_group(tenant=tid, key="Ops")
    assert [o.display_name for o in d.group_owners(tenant=tid, group=ops.id)] == ["adele"]
    assert len(d.group_app_role_assignments(tenant=tid, group=ops.id)) == 1
    api = d.get_application(tenant=tid, app="ToDo API")
    assert api.group_membership_claims == "SecurityGroup"
    assert apply_seed(platform, parse_seed(data)).changes == []


@pytest.mark.parametrize(
    ("group", "path"),
    [
        ({"displayName": "G", "mailNickname": "a b"}, "tenants[0].groups[0].mailNickname"),
        ({"displayName": "G", "groupTypes": ["Teams"]}, "tenants[0].groups[0].groupTypes"),
        ({"displayName": "G", "members": ["G"]}, "tenants[0].groups[0].members[0]"),
    ],
)
def test_refusals_name_the_place(group: dict[str, Any], path: str) -> None:
    data = tenant_file()
    data["tenants"][0]["groups"] = [group]
    with pytest.raises(SeedFileError) as caught:
        parse_seed(data)
    assert path in [where for where, _ in caught.value.problems]


def test_an_unknown_member_is_refused_with_its_place(platform: Platform) -> None:
    data = tenant_file()
    data["tenants"][0]["groups"] = [{"displayName": "G", "members": ["nobody"]}]
    with pytest.raises(SeedFileError) as caught:
        apply_seed(platform, parse_seed(data))
    assert "groups[0]" in str(caught.value)
