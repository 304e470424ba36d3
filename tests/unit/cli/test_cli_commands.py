"""Every command in both forms: Graph's JSON shape with --json, a readable summary without."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from tenantlab.graph.shapes import USER_DEFAULT_PROPERTIES

Run = Callable[..., Result]
RunJson = Callable[..., Any]
EXAMPLE = Path(__file__).parents[3] / "examples" / "contoso.yaml"


def test_tenant_create_list_show(run: Run, run_json: RunJson) -> None:
    created = run_json("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    assert created["displayName"] == "Contoso"
    assert created["tenantType"] == "AAD"
    assert created["verifiedDomains"][0]["name"] == "contoso.onmicrosoft.com"
    listed = run_json("tenant", "list")
    assert [t["id"] for t in listed["value"]] == [created["id"]]
    shown = run_json("tenant", "show", "CONTOSO.onmicrosoft.com")
    assert shown["id"] == created["id"]
    summary = run("tenant", "show", created["id"]).stdout
    assert f"https://localhost:5443/{created['id']}" in summary
    assert "contoso.onmicrosoft.com" in run("tenant", "list").stdout


def test_an_external_tenant_with_a_fixed_id(run_json: RunJson) -> None:
    tid = "5f1c1b59-0b3e-4a8e-9a0c-3f6d2d1e7a11"
    created = run_json(
        "tenant", "create", "--name", "Woodgrove", "--domain", "woodgrove", "--type", "external",
        "--id", tid,
    )  # fmt: skip
    assert (created["id"], created["tenantType"]) == (tid, "CIAM")


def test_app_lifecycle_with_secret_role_scope_and_grants(run: Run, run_json: RunJson) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    api = run_json(
        "app", "create", "--name", "ToDo API", "--identifier-uri", "api://{appId}",
        "--token-version", "2", "--idtyp",
    )  # fmt: skip
    assert api["identifierUris"] == [f"api://{api['appId']}"]
    assert api["api"]["requestedAccessTokenVersion"] == 2
    assert api["optionalClaims"]["accessToken"][0]["name"] == "idtyp"
    role = run_json("app", "role", "add", "ToDo API", "ToDoList.Read.All")
    assert role["allowedMemberTypes"] == ["Application"]
    scope = run_json("app", "scope", "add", api["appId"], "ToDoList.Read", "--type", "Admin")
    assert scope["type"] == "Admin"

    daemon = run_json("app", "create", "--name", "Daemon")
    secret = run_json("app", "secret", "add", "Daemon", "--name", "ci", "--days", "30")
    assert set(secret) == {
        "customKeyIdentifier", "displayName", "endDateTime", "hint", "keyId", "secretText",
        "startDateTime",
    }  # fmt: skip
    assert secret["hint"] == secret["secretText"][:3]

    granted = run_json(
        "app", "grant", "Daemon", "ToDo API", "--role", "ToDoList.Read.All",
        "--scope", "ToDoList.Read",
    )  # fmt: skip
    [assignment] = granted["appRoleAssignments"]
    assert assignment["appRoleId"] == role["id"]
    assert assignment["principalDisplayName"] == "Daemon"
    assert granted["oauth2PermissionGrants"][0]["scope"] == "ToDoList.Read"
    graph = run_json("app", "grant", daemon["appId"], "graph", "--role", "User.Read.All")
    assert graph["appRoleAssignments"][0]["resourceDisplayName"] == "Microsoft Graph"

    shown = run_json("app", "show", "Daemon")
    assert shown["passwordCredentials"][0]["secretText"] is None
    assert secret["secretText"] not in run("app", "show", "Daemon").stdout
    listed = run_json("app", "list")
    assert {"ToDo API", "Daemon"} <= {a["displayName"] for a in listed["value"]}

    removed = run_json("app", "secret", "remove", "Daemon", secret["keyId"])
    assert removed == {"keyId": secret["keyId"], "removed": True}
    assert run_json("app", "show", "Daemon")["passwordCredentials"] == []
    deleted = run_json("app", "delete", "Daemon")
    assert deleted["appId"] == daemon["appId"]
    run("app", "show", "Daemon", code=1)


def test_secret_add_prints_only_the_value_on_stdout(run: Run) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    run("app", "create", "--name", "Daemon")
    result = run("app", "secret", "add", "Daemon")
    value = result.stdout.strip()
    assert len(value) == 40
    assert "shown only now" in result.stderr


def test_users(run: Run, run_json: RunJson) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    created = run_json(
        "user", "create", "adele", "--name", "Adele Vance", "--password", "Pa55-word"
    )
    assert set(created) == set(USER_DEFAULT_PROPERTIES)
    assert created["userPrincipalName"] == "adele@contoso.onmicrosoft.com"
    listed = run_json("user", "list")
    assert [u["displayName"] for u in listed["value"]] == ["Adele Vance"]
    assert "Pa55-word" not in run("user", "list").stdout


def test_user_declared_properties_on_create_and_update(
    run: Run, run_json: RunJson, tmp_path: Path
) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    run(
        "user", "create", "adele", "--department", "Sales", "--employee-id", "E-1",
        "--usage-location", "us", "--other-mail", "a@fabrikam.com", "--other-mail", "b@x.com",
    )  # fmt: skip
    updated = run_json(
        "user", "update", "adele", "--company-name", "Contoso", "--on-premises-sync",
        "--on-premises-immutable-id", "aGVsbG8=",
    )  # fmt: skip
    assert updated["companyName"] == "Contoso"
    assert updated["onPremisesSyncEnabled"] is True
    assert updated["onPremisesImmutableId"] == "aGVsbG8="
    summary = run("user", "update", "adele", "--department", "Marketing").stdout
    assert summary == "Updated user adele@contoso.onmicrosoft.com: department.\n"
    assert "nothing to change" in run("user", "update", "adele", code=2).stderr
    assert (
        "usageLocation must be a two-letter"
        in run("user", "update", "adele", "--usage-location", "USA", code=1).stderr
    )
    from tenantlab.config import PlatformSettings
    from tenantlab.platform import Platform

    platform = Platform.open(PlatformSettings(home=tmp_path / "tenantlab-home"))
    try:
        [adele] = platform.directory.list_users(tenant="contoso.onmicrosoft.com")
    finally:
        platform.close()
    assert (adele.department, adele.employee_id, adele.usage_location) == ("Marketing", "E-1", "US")
    assert adele.other_mails == ["a@fabrikam.com", "b@x.com"]


def test_keys_list_and_rotate(run: Run, run_json: RunJson) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    [first] = run_json("keys", "list")["value"]
    assert first["active"] is True
    [rotated] = run_json("keys", "rotate", "--tenant", "contoso.onmicrosoft.com")["value"]
    assert rotated["kid"] != first["kid"]
    keys = {k["kid"]: k for k in run_json("keys", "list")["value"]}
    assert keys[first["kid"]]["active"] is False
    assert keys[first["kid"]]["removeAfterDateTime"] is not None
    assert keys[rotated["kid"]]["active"] is True


def test_seed_and_check(run: Run, run_json: RunJson) -> None:
    assert "valid (1 tenant(s))" in run("seed", str(EXAMPLE), "--check").stdout
    assert run_json("tenant", "list")["value"] == []
    first = run_json("seed", str(EXAMPLE))
    [secret] = first["secrets"]
    assert secret["secretText"]
    assert first["tenants"][0]["displayName"] == "Contoso"
    assert run("seed", str(EXAMPLE)).stdout.strip() == "seed: nothing to change"


def test_env_prints_exports_for_the_bundle(run: Run, tmp_path: Path) -> None:
    lines = run("env").stdout.splitlines()
    bundle = tmp_path / "tenantlab-home" / "ca-bundle.pem"
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"):
        assert f"export {name}={bundle}" in lines
    assert bundle.is_file()
