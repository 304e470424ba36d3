"""The declarative tenant file: validation with paths, idempotent application, secrets."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from tenantlab.platform import Platform
from tenantlab.seed import SeedFileError, apply_seed, apply_seed_file, load_seed_file, parse_seed

EXAMPLE = Path(__file__).parents[3] / "examples" / "contoso.yaml"


def minimal(**app: Any) -> dict[str, Any]:
    return {
        "tenants": [
            {
                "displayName": "Contoso",
                "domain": "contoso",
                "apps": [{"displayName": "API", **app}],
            }
        ]
    }


def problems(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(SeedFileError) as caught:
        parse_seed(data)
    return caught.value.problems


def test_the_example_file_builds_the_demo_tenant(platform: Platform) -> None:
    report = apply_seed_file(platform, EXAMPLE)
    d = platform.directory
    tenant = d.get_tenant("contoso.onmicrosoft.com")
    api = d.get_application(tenant=tenant.id, app="ToDo List API")
    daemon = d.get_application(tenant=tenant.id, app="ToDo Daemon")
    assert api.identifier_uris == [f"api://{api.app_id}"]
    assert api.requested_access_token_version == 2
    assert [r["value"] for r in api.app_roles] == ["ToDoList.Read.All", "ToDoList.ReadWrite.All"]
    assert [s["value"] for s in api.oauth2_permission_scopes] == [
        "ToDoList.Read",
        "ToDoList.ReadWrite",
    ]
    client = d.get_service_principal(tenant=tenant.id, key=daemon.app_id)
    for resource, roles in (
        (api.app_id, ["ToDoList.Read.All", "ToDoList.ReadWrite.All"]),
        ("graph", ["Application.Read.All", "User.Read.All"]),
    ):
        sp = d.get_service_principal(tenant=tenant.id, key=resource)
        assert d.assigned_role_values(client.id, sp.id) == roles
    upns = sorted(u.user_principal_name for u in d.list_users(tenant=tenant.id))
    assert upns == [f"{n}@contoso.onmicrosoft.com" for n in ("adele", "alex", "megan")]
    [issued] = report.secrets
    [credential] = d.password_credentials(daemon.id)
    assert issued.secret_text is not None
    assert platform.directory.secret_matches(credential, issued.secret_text)


def test_applying_the_same_file_twice_changes_nothing(platform: Platform) -> None:
    apply_seed_file(platform, EXAMPLE)
    revision = platform.directory.revision()
    again = apply_seed_file(platform, EXAMPLE)
    assert again.changes == []
    assert again.secrets == []
    assert again.summary_lines() == ["seed: nothing to change"]
    assert platform.directory.revision() == revision


def test_a_generated_secret_is_kept_in_an_owner_only_file(platform: Platform) -> None:
    report = apply_seed_file(platform, EXAMPLE)
    [issued] = report.secrets
    path = platform.settings.home / "secrets" / f"{issued.app_id}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    [entry] = json.loads(path.read_text())
    assert entry["secretText"] == issued.secret_text
    assert entry["clientId"] == issued.app_id
    assert entry["tenantId"] == issued.tenant_id


def test_a_fixed_secret_value_is_applied_once_and_replaced_when_it_changes(
    platform: Platform,
) -> None:
    d = platform.directory
    data = minimal(secrets=[{"displayName": "ci", "value": "reproducible-secret-0001"}])
    first = apply_seed(platform, parse_seed(data))
    assert [s.secret_text for s in first.secrets] == [None]  # not echoed: the file holds it
    assert not (platform.settings.home / "secrets").exists()
    assert apply_seed(platform, parse_seed(data)).changes == []
    data["tenants"][0]["apps"][0]["secrets"][0]["value"] = "reproducible-secret-0002"
    changed = apply_seed(platform, parse_seed(data))
    assert changed.changes == ["replaced secret 'ci' of API"]
    app = d.get_application(tenant="contoso.onmicrosoft.com", app="API")
    [credential] = d.password_credentials(app.id)
    assert platform.directory.secret_matches(credential, "reproducible-secret-0002")


def test_new_roles_are_added_and_existing_ones_keep_their_ids(platform: Platform) -> None:
    d = platform.directory
    apply_seed(platform, parse_seed(minimal(roles=[{"value": "Jobs.Read"}])))
    before = d.get_application(tenant="contoso.onmicrosoft.com", app="API").app_roles
    data = minimal(roles=[{"value": "Jobs.Read"}, {"value": "Jobs.Run"}])
    report = apply_seed(platform, parse_seed(data))
    assert report.changes == ["updated API: appRoles"]
    after = d.get_application(tenant="contoso.onmicrosoft.com", app="API").app_roles
    assert after[0]["id"] == before[0]["id"]
    assert [r["value"] for r in after] == ["Jobs.Read", "Jobs.Run"]
    assert apply_seed(platform, parse_seed(data)).changes == []


def test_scopes_without_identifier_uris_get_the_default_one(platform: Platform) -> None:
    apply_seed(platform, parse_seed(minimal(scopes=[{"value": "Jobs.Read"}])))
    app = platform.directory.get_application(tenant="contoso.onmicrosoft.com", app="API")
    assert app.identifier_uris == [f"api://{app.app_id}"]


def test_users_are_matched_by_upn_and_updated(platform: Platform) -> None:
    data = minimal()
    data["tenants"][0]["users"] = [{"userPrincipalName": "adele", "displayName": "Adele"}]
    apply_seed(platform, parse_seed(data))
    data["tenants"][0]["users"][0].update(jobTitle="Manager", password="Correct-Horse-1")
    report = apply_seed(platform, parse_seed(data))
    assert report.changes == ["updated user adele@contoso.onmicrosoft.com: job_title, password"]
    user = platform.directory.get_user(
        tenant="contoso.onmicrosoft.com", key="adele@contoso.onmicrosoft.com"
    )
    assert platform.directory.verify_user_password(user, "Correct-Horse-1")
    assert apply_seed(platform, parse_seed(data)).changes == []


def test_every_problem_is_reported_with_its_path_before_anything_is_written(
    platform: Platform,
) -> None:
    data = {
        "tenants": [
            {
                "displayName": "Contoso",
                "domain": "contoso",
                "apps": [
                    {"displayName": "Daemon", "grants": [{"resource": "API", "roles": ["Nope"]}]},
                    {
                        "displayName": "API",
                        "roles": [{"value": "Has Space"}, {"value": "Ok", "id": "x"}],
                        "identifierUris": ["ftp://x"],
                        "secrets": [{"displayName": "s", "days": 800}],
                    },
                ],
                "users": [{"userPrincipalName": "bob@fabrikam.com", "password": "weak"}],
            }
        ]
    }
    found = dict(problems(data))
    assert set(found) == {
        "tenants[0].apps[0].grants[0].roles[0]",
        "tenants[0].apps[1].roles[0].value",
        "tenants[0].apps[1].roles[1].id",
        "tenants[0].apps[1].identifierUris[0]",
        "tenants[0].apps[1].secrets[0].days",
        "tenants[0].users[0].userPrincipalName",
        "tenants[0].users[0].password",
    }
    assert "cannot contain spaces" in found["tenants[0].apps[1].roles[0].value"]
    assert "has no app role 'Nope'" in found["tenants[0].apps[0].grants[0].roles[0]"]
    assert platform.directory.list_tenants() == []


def test_unknown_keys_and_wrong_types_are_reported_with_paths() -> None:
    found = dict(
        problems(
            {
                "tenants": [
                    {
                        "displayName": "C",
                        "domain": "c",
                        "type": "b2c",
                        "apps": [
                            {"displayName": "A", "rolez": [], "requestedAccessTokenVersion": 3}
                        ],
                    }
                ]
            }
        )
    )
    assert set(found) == {
        "tenants[0].type",
        "tenants[0].apps[0].rolez",
        "tenants[0].apps[0].requestedAccessTokenVersion",
    }


def test_duplicates_across_the_file_are_reported() -> None:
    data = {
        "tenants": [
            {
                "displayName": "C",
                "domain": "contoso",
                "apps": [
                    {"displayName": "A", "identifierUris": ["api://todo"]},
                    {"displayName": "a", "identifierUris": ["API://todo"]},
                ],
            },
            {"displayName": "C2", "domain": "contoso.onmicrosoft.com"},
        ]
    }
    found = dict(problems(data))
    assert set(found) == {
        "tenants[0].apps[1].displayName",
        "tenants[0].apps[1].identifierUris[0]",
        "tenants[1].domain",
    }


def test_a_grant_of_a_user_only_role_or_an_unknown_graph_role_is_refused() -> None:
    data = minimal(
        roles=[{"value": "Reader", "allowedMemberTypes": ["User"]}],
        grants=[
            {"resource": "API", "roles": ["Reader"]},
            {"resource": "https://graph.microsoft.com", "roles": ["Mail.Send"]},
        ],
    )
    found = dict(problems(data))
    assert "for users only" in found["tenants[0].apps[0].grants[0].roles[0]"]
    assert "no app role 'Mail.Send'" in found["tenants[0].apps[0].grants[1].roles[0]"]


def test_yaml_and_json_files_load_alike(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    as_json = tmp_path / "contoso.json"
    as_json.write_text(json.dumps(data))
    assert load_seed_file(as_json) == load_seed_file(EXAMPLE)


def test_a_file_that_is_not_yaml_says_so(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tenants: [\n")
    with pytest.raises(SeedFileError, match="not valid YAML"):
        load_seed_file(bad)
    bad.write_text("- just a list\n")
    with pytest.raises(SeedFileError, match="'tenants' list"):
        load_seed_file(bad)


def test_a_tenant_id_that_disagrees_with_the_directory_is_a_conflict(platform: Platform) -> None:
    platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    data = minimal()
    data["tenants"][0]["id"] = "11111111-1111-1111-1111-111111111111"
    # The directory's refusal names the place in the file (and the file applies all or nothing).
    with pytest.raises(SeedFileError, match=r"tenants\[0\]: the domain .* belongs to tenant"):
        apply_seed(platform, parse_seed(data))


def test_a_secret_end_date_without_a_zone_is_utc(platform: Platform) -> None:
    data = minimal(secrets=[{"displayName": "ci", "endDateTime": "2027-06-30T00:00:00"}])
    apply_seed(platform, parse_seed(data))
    app = platform.directory.get_application(tenant="contoso.onmicrosoft.com", app="API")
    [credential] = platform.directory.password_credentials(app.id)
    assert credential.end_at == 1_814_313_600.0  # 2027-06-30T00:00:00Z


def test_users_carry_declared_properties(platform: Platform) -> None:
    user = {
        "userPrincipalName": "adele",
        "department": "Sales",
        "employeeId": "E-7",
        "usageLocation": "US",
        "proxyAddresses": ["SMTP:adele@contoso.onmicrosoft.com"],
        "onPremisesSyncEnabled": True,
        "onPremisesImmutableId": "aGVsbG8=",
    }
    data = {"tenants": [{"displayName": "Contoso", "domain": "contoso", "users": [user]}]}
    apply_seed(platform, parse_seed(data))
    [adele] = platform.directory.list_users(tenant="contoso.onmicrosoft.com")
    assert (adele.department, adele.employee_id, adele.usage_location) == ("Sales", "E-7", "US")
    assert adele.proxy_addresses == ["SMTP:adele@contoso.onmicrosoft.com"]
    assert (adele.on_premises_sync_enabled, adele.on_premises_immutable_id) == (True, "aGVsbG8=")
    user["department"] = "Marketing"
    report = apply_seed(platform, parse_seed(data))
    assert report.changes == ["updated user adele@contoso.onmicrosoft.com: department"]
