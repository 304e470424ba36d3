"""`tenantlab managed-identity ...` and managed identities in tenant files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result

from tenantlab.keys.host_secrets import HostSecrets
from tenantlab.platform import Platform
from tenantlab.seed import SeedFileError, apply_seed, parse_seed

Run = Callable[..., Result]


@pytest.fixture
def contoso(run: Run) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")


def test_create_list_show_delete(contoso: None, run: Run, run_json: Callable[..., Any]) -> None:
    system = run_json("managed-identity", "create", "--system-assigned", "vm1")
    assert system["type"] == "SystemAssigned"
    assert system["servicePrincipal"]["servicePrincipalType"] == "ManagedIdentity"
    assert system["servicePrincipal"]["appId"] == system["clientId"]
    assert system["servicePrincipal"]["id"] == system["principalId"]
    user = run_json("managed-identity", "create", "worker", "--host", "vm1")
    assert user["servicePrincipal"]["alternativeNames"] == ["isExplicit=True", user["resourceId"]]
    assert user["hosts"] == ["vm1"]
    listed = run_json("managed-identity", "list")["value"]
    assert [i["name"] for i in listed] == ["vm1", "worker"]
    assert run_json("managed-identity", "show", user["clientId"])["name"] == "worker"
    assert "worker" in run("managed-identity", "list").stdout
    run("app", "grant", "worker", "graph", "--role", "User.Read.All")
    assert "Deleted managed identity worker" in run("managed-identity", "delete", "worker").stdout
    missing = run("managed-identity", "show", "worker", code=1)
    assert missing.stderr.startswith("error: no managed identity 'worker'")
    assert "Traceback" not in missing.stderr


def test_mistakes_are_one_line_each(contoso: None, run: Run) -> None:
    run("managed-identity", "create", "--system-assigned", "vm1")
    for args, words in [
        (("create", "vm1"), "already exists"),
        (("create", "bad name"), "not a valid managed identity name"),
        (("attach", "vm1", "--host", "vm2"), "system-assigned"),
        (("env", "nowhere", "--endpoint", "http://127.0.0.1:1"), "no managed identity is on host"),
    ]:
        result = run("managed-identity", *args, code=1)
        assert words in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    usage = run("managed-identity", "create", "--system-assigned", "vm2", "--host", "x", code=2)
    assert "--host is for user-assigned" in usage.stderr


def test_env_prints_a_secret_the_endpoint_accepts(contoso: None, run: Run) -> None:
    run("managed-identity", "create", "--system-assigned", "vm1")
    out = run("managed-identity", "env", "vm1", "--endpoint", "http://127.0.0.1:50342/").stdout
    lines = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    assert lines["IDENTITY_ENDPOINT"] == "'http://127.0.0.1:50342/msi/token'"
    secret = lines["IDENTITY_HEADER"].strip("'")
    imds = run("managed-identity", "env", "vm1", "--endpoint", "http://x:1", "--form", "imds")
    assert (
        imds.stdout.strip()
        == f"export AZURE_POD_IDENTITY_AUTHORITY_HOST='http://x:1/hosts/{secret}'"
    )
    from tenantlab.config import PlatformSettings

    named = HostSecrets(PlatformSettings().home).check(secret)
    assert named is not None
    assert named.host == "vm1"


def test_a_tenant_file_declares_managed_identities(platform: Platform) -> None:
    spec = {
        "tenants": [
            {
                "displayName": "Contoso",
                "domain": "contoso",
                "managedIdentities": [
                    {"name": "vm1", "type": "SystemAssigned"},
                    {
                        "name": "worker",
                        "hosts": ["vm1"],
                        "grants": [{"resource": "graph", "roles": ["User.Read.All"]}],
                    },
                ],
            }
        ]
    }
    report = apply_seed(platform, parse_seed(spec))
    assert any("created managed identity worker" in c for c in report.changes)
    assert any("granted 1 app role(s) to managed identity worker" in c for c in report.changes)
    tenant = platform.directory.get_tenant("contoso.onmicrosoft.com")
    names = [v.name for v in platform.directory.host_identities(tenant=tenant.id, host="vm1")]
    assert names == ["vm1", "worker"]
    again = apply_seed(platform, parse_seed(spec))
    assert again.changes == []


def test_a_tenant_file_with_bad_managed_identities_names_each_problem() -> None:
    spec = {
        "tenants": [
            {
                "displayName": "Contoso",
                "domain": "contoso",
                "managedIdentities": [
                    {"name": "vm 1", "type": "SystemAssigned", "hosts": ["x"]},
                    {"name": "w", "grants": [{"resource": "graph", "roles": ["Nope.All"]}]},
                    {"name": "w", "grants": [{"resource": "graph", "scopes": ["User.Read"]}]},
                ],
            }
        ]
    }
    with pytest.raises(SeedFileError) as caught:
        parse_seed(spec)
    paths = [p for p, _ in caught.value.problems]
    assert paths == [
        "tenants[0].managedIdentities[0].name",
        "tenants[0].managedIdentities[0].hosts",
        "tenants[0].managedIdentities[1].grants[0].roles[0]",
        "tenants[0].managedIdentities[2].name",
        "tenants[0].managedIdentities[2].grants[0].scopes",
    ]
