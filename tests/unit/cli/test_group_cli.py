"""`tenantlab group ...`: groups, members of three kinds, a role assigned to a group, and the
one-line errors with the fix (exit 1, no traceback)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from click.testing import Result

Run = Callable[..., Result]
RunJson = Callable[..., Any]


def test_groups_members_and_roles(run: Run, run_json: RunJson) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    run("user", "create", "adele", "--name", "Adele Vance")
    api = run_json(
        "app", "create", "--name", "ToDo API", "--identifier-uri", "api://todo",
        "--group-claims", "SecurityGroup",
    )  # fmt: skip
    assert api["groupMembershipClaims"] == "SecurityGroup"
    run("app", "role", "add", api["appId"], "Tasks.Approve", "--member-types", "User")
    ops = run_json("group", "create", "Ops Team", "--description", "On call")
    assert (ops["mailNickname"], ops["securityEnabled"], ops["groupTypes"]) == (
        "OpsTeam",
        True,
        [],
    )
    sales = run_json("group", "create", "Sales", "--microsoft-365")
    assert sales["mail"] == "Sales@contoso.onmicrosoft.com"
    assert "Microsoft 365" in run("group", "list").stdout

    added = run_json("group", "member", "add", "Ops Team", "adele")
    assert added["@odata.type"] == "#microsoft.graph.user"
    run("group", "member", "add", "Sales", "adele@contoso.onmicrosoft.com")
    outer = run_json("group", "create", "Everyone")
    run("group", "member", "add", outer["id"], "Ops Team")
    run("group", "member", "add", "Everyone", "ToDo API")  # its service principal
    direct = run_json("group", "member", "list", "Everyone")["value"]
    assert sorted(m["@odata.type"] for m in direct) == [
        "#microsoft.graph.group",
        "#microsoft.graph.servicePrincipal",
    ]
    transitive = run_json("group", "member", "list", "Everyone", "--transitive")["value"]
    assert "Adele Vance" in {m["displayName"] for m in transitive}
    assert "member of" in run("group", "show", "Ops Team").stdout

    assigned = run_json("group", "role", "Ops Team", "api://todo", "Tasks.Approve")
    assert (assigned["principalType"], assigned["principalId"]) == ("Group", ops["id"])

    removed = run_json("group", "member", "remove", "Ops Team", "adele")
    assert removed["removed"] is True
    deleted = run_json("group", "delete", "Sales")
    assert deleted == {"id": sales["id"], "displayName": "Sales", "deleted": True}


def test_errors_are_one_line_with_the_fix(run: Run) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    run("group", "create", "Ops")
    itself = run("group", "member", "add", "Ops", "Ops", code=1)
    assert "A group cannot be added as a member of itself." in itself.stderr
    assert "Traceback" not in itself.stderr
    missing = run("group", "show", "Nope", code=1)
    assert "tenantlab group list" in missing.stderr
    nickname = run("group", "create", "Bad", "--mail-nickname", "a b", code=1)
    assert "mailNickname" in nickname.stderr
