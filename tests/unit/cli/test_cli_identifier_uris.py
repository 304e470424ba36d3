"""Identifier URI rules through the CLI and tenant files: one line, or the path that is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result

from tenantlab.ids import new_guid
from tenantlab.seed import SeedFileError, parse_seed

Run = Callable[..., Result]


def _one_error_line(result: Result) -> str:
    assert "Traceback" not in result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    return line


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("https://graph.microsoft.com", "graph.microsoft.com belongs to Microsoft"),
        ("https://fabrikam.com/api", "must use a verified domain of the organization"),
        (f"api://{new_guid()}", "must be this application's appId or its tenant's id"),
    ],
)
def test_app_create_refuses_identifier_uris_the_tenant_does_not_own(
    run: Run, uri: str, fragment: str
) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    line = _one_error_line(run("app", "create", "--name", "X", "--identifier-uri", uri, code=1))
    assert fragment in line
    assert "api://" in line  # the fix: the app's own api://{appId}
    assert "X" not in run("app", "list").stdout.split()


def test_the_squat_of_another_tenants_api_is_refused(
    run: Run, run_json: Callable[..., Any]
) -> None:
    run("tenant", "create", "--name", "Woodgrove", "--domain", "woodgrove")
    api = run_json(
        "app", "create", "--name", "ToDo API", "--identifier-uri", "api://{appId}",
        "--audience", "AzureADMultipleOrgs", "-t", "woodgrove.onmicrosoft.com",
    )  # fmt: skip
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    result = run(
        "app", "create", "--name", "Squatter", "--identifier-uri", f"api://{api['appId']}",
        "-t", "contoso.onmicrosoft.com", code=1,
    )  # fmt: skip
    assert "appId or its tenant's id" in _one_error_line(result)


def _file(tenant_id: str | None, *uris: str, app_id: str | None = None) -> dict[str, Any]:
    app: dict[str, Any] = {"displayName": "API", "identifierUris": list(uris)}
    if app_id:
        app["appId"] = app_id
    tenant: dict[str, Any] = {"displayName": "Contoso", "domain": "contoso", "apps": [app]}
    if tenant_id:
        tenant["id"] = tenant_id
    return {"tenants": [tenant]}


def test_a_tenant_file_names_the_identifier_uri_it_may_not_claim() -> None:
    other = new_guid()
    with pytest.raises(SeedFileError) as caught:
        parse_seed(
            _file(
                None,
                "api://{appId}",
                "https://graph.microsoft.com",
                f"api://{other}",
                "https://fabrikam.com/api",
            )
        )
    found = dict(caught.value.problems)
    assert set(found) == {
        "tenants[0].apps[0].identifierUris[1]",
        "tenants[0].apps[0].identifierUris[2]",
        "tenants[0].apps[0].identifierUris[3]",
    }
    assert "belongs to Microsoft" in found["tenants[0].apps[0].identifierUris[1]"]
    assert "appId or its tenant's id" in found["tenants[0].apps[0].identifierUris[2]"]
    assert "verified domain" in found["tenants[0].apps[0].identifierUris[3]"]


def test_a_tenant_file_may_use_its_own_ids_and_domains() -> None:
    tenant_id, app_id = new_guid(), new_guid()
    spec = parse_seed(
        _file(
            tenant_id,
            f"api://{app_id}",
            f"api://{tenant_id}/todo",
            "https://contoso.onmicrosoft.com/todo",
            app_id=app_id,
        )
    )
    assert len(spec.tenants[0].apps[0].identifierUris or []) == 3
