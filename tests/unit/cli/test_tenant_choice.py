"""Choosing a tenant: -t by id, domain, short domain or display name; the current tenant."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from test_cli_errors import assert_one_error_line

Run = Callable[..., Result]
RunJson = Callable[..., Any]


@pytest.fixture
def two(run_json: RunJson) -> dict[str, str]:
    contoso = run_json("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    fabrikam = run_json("tenant", "create", "--name", "Fabrikam Ltd", "--domain", "fabrikam")
    return {"contoso": contoso["id"], "fabrikam": fabrikam["id"]}


@pytest.mark.parametrize(
    "name", ["fabrikam", "FABRIKAM", "fabrikam.onmicrosoft.com", "Fabrikam Ltd", "fabrikam ltd"]
)
def test_t_takes_short_domain_and_display_name(
    run_json: RunJson, two: dict[str, str], name: str
) -> None:
    assert run_json("tenant", "show", "-t", name)["id"] == two["fabrikam"]
    assert run_json("tenant", "show", name)["id"] == two["fabrikam"]  # the older positional form
    assert run_json("user", "list", "-t", name)["value"] == []


def test_t_by_guid_and_an_unknown_name_lists_the_tenants(run: Run, two: dict[str, str]) -> None:
    assert "Contoso" in run("tenant", "show", "-t", two["contoso"].upper()).stdout
    result = run("user", "list", "-t", "nowhere", code=1)
    assert_one_error_line(result, "tenant 'nowhere' not found", "Contoso (contoso.onmicrosoft.com)")


def test_an_ambiguous_display_name_lists_the_matches(run: Run, run_json: RunJson) -> None:
    first = run_json("tenant", "create", "--name", "Twin", "--domain", "twin1")
    second = run_json("tenant", "create", "--name", "Twin", "--domain", "twin2")
    result = run("app", "list", "-t", "twin", code=2)
    assert_one_error_line(result, "2 tenants are named 'twin'", first["id"], second["id"])
    assert len(result.stderr.splitlines()) == 1
    assert run_json("user", "list", "-t", "twin2")["value"] == []  # the short domain is exact


def test_tenant_use_makes_the_default(
    run: Run, run_json: RunJson, two: dict[str, str], tmp_path: Path
) -> None:
    run("app", "list", code=2)
    used = run("tenant", "use", "Fabrikam Ltd").stdout
    assert "Fabrikam Ltd (fabrikam.onmicrosoft.com" in used
    stored = (tmp_path / "tenantlab-home" / "current-tenant").read_text().strip()
    assert stored == two["fabrikam"]
    assert "Applications of Fabrikam Ltd" in run("app", "list").stdout
    assert run_json("tenant", "use")["currentTenant"]["id"] == two["fabrikam"]
    assert "(current tenant)" in run("tenant", "show").stdout
    listed = [line for line in run("tenant", "list").stdout.splitlines() if "*" in line]
    assert any(two["fabrikam"] in line for line in listed)
    assert "Applications of Contoso" in run("app", "list", "-t", "contoso").stdout  # -t wins
    run("tenant", "use", "--clear")
    run("app", "list", code=2)


def test_a_missing_object_names_the_current_tenant(run: Run, two: dict[str, str]) -> None:
    run("app", "create", "--name", "Daemon", "-t", "contoso")
    run("tenant", "use", "fabrikam")
    result = run("app", "show", "Daemon", code=1)
    assert_one_error_line(result, "no application 'Daemon'", "Fabrikam Ltd", "the current tenant")


def test_tenant_delete_asks_and_forgets_the_current_tenant(
    run: Run, run_json: RunJson, two: dict[str, str], tmp_path: Path
) -> None:
    run("app", "create", "--name", "Daemon", "-t", "contoso")
    run("tenant", "use", "contoso")
    result = run("tenant", "delete", "contoso", code=2)  # no terminal to confirm on
    assert_one_error_line(result, "--yes")
    assert "Deleted tenant Contoso" in run("tenant", "delete", "contoso", "--yes").stdout
    assert [t["id"] for t in run_json("tenant", "list")["value"]] == [two["fabrikam"]]
    assert not (tmp_path / "tenantlab-home" / "current-tenant").exists()
    assert not (tmp_path / "tenantlab-home" / "signing-keys" / two["contoso"]).exists()
    assert "Applications of Fabrikam Ltd" in run("app", "list").stdout  # the only one left


def test_a_vanished_current_tenant_is_explained(
    run: Run, two: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "tenantlab-home" / "current-tenant").write_text(
        "6b7f7f4e-0000-4000-8000-000000000000\n"
    )
    assert_one_error_line(run("app", "list", code=2), "no longer exists", "tenant use")


def test_app_create_hint_names_the_tenant_when_there_are_several(
    run: Run, two: dict[str, str]
) -> None:
    out = run("app", "create", "--name", "Orders", "-t", "fabrikam").stdout
    hint = next(line for line in out.splitlines() if "next" in line)
    assert hint.rstrip().endswith("-t fabrikam.onmicrosoft.com")


def test_app_create_hint_without_t_for_one_tenant(run: Run) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    out = run("app", "create", "--name", "Orders").stdout
    hint = next(line for line in out.splitlines() if "next" in line)
    assert " -t " not in hint


def test_graph_throttling_takes_t_and_the_older_form(run: Run, two: dict[str, str]) -> None:
    assert "on for Contoso" in run("tenant", "graph-throttling", "on", "-t", "contoso").stdout
    assert "off for Contoso" in run("tenant", "graph-throttling", "contoso", "off").stdout
    assert json.loads(run("tenant", "graph-throttling", "on", "-t", "fabrikam", "--json").stdout)[
        "graphThrottling"
    ]


def test_duplicate_app_names_are_allowed_and_a_lookup_lists_them(
    run: Run, run_json: RunJson
) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    first = run_json("app", "create", "--name", "Dup")
    second = run_json("app", "create", "--name", "Dup")
    result = run("app", "show", "dup", code=1)
    assert_one_error_line(result, "2 applications are named 'dup'", first["appId"], second["appId"])
    assert run_json("app", "show", second["appId"])["id"] == second["id"]
