"""Tenant files and broken data (issue 12 item 12): every reference checked by `seed --check`, a
file applied all or nothing, broken YAML and a damaged database each said in one line."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tenantlab.config import PlatformSettings
from tenantlab.directory.errors import TenantNotFound
from tenantlab.platform import Platform
from tenantlab.seed import SeedFileError, apply_seed, parse_seed

Run = Callable[..., Result]
EXAMPLE = Path(__file__).parents[3] / "examples" / "contoso.yaml"


def _file(tmp_path: Path, text: str, name: str = "tenant.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GRANTS_MISSING_RESOURCE = """\
tenants:
  - displayName: Contoso
    domain: contoso
    apps:
      - displayName: Daemon
        secrets:
          - displayName: quickstart
        grants:
          - resource: api://no-such-api
            roles: [ToDoList.Read.All]
"""


def _open_home() -> Platform:
    """The directory the CLI commands of this test use (TENANTLAB_HOME)."""
    return Platform.open(PlatformSettings())


def _only_line(result: Result) -> str:
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- seed --check resolves every reference -------------------------------------------------------


def test_check_refuses_a_grant_of_a_resource_that_exists_nowhere(run: Run, tmp_path: Path) -> None:
    result = run("seed", str(_file(tmp_path, GRANTS_MISSING_RESOURCE)), "--check", code=2)
    assert "tenants[0].apps[0].grants[0]" in result.stderr
    assert "no resource 'api://no-such-api'" in result.stderr


def test_check_without_a_database_creates_nothing(run: Run) -> None:
    home = Path(os.environ["TENANTLAB_HOME"])
    run("seed", str(EXAMPLE), "--check")
    assert not home.exists()


def test_check_resolves_a_resource_that_only_the_database_has(run: Run, tmp_path: Path) -> None:
    run("seed", str(EXAMPLE))
    home = _open_home()
    try:
        d = home.directory
        tenant = d.get_tenant("contoso.onmicrosoft.com")
        api = d.get_application(tenant=tenant.id, app="ToDo List API")
        before = d.revision()
        secret_files = sorted((home.settings.home / "secrets").iterdir())
    finally:
        home.close()
    uses_existing = GRANTS_MISSING_RESOURCE.replace("api://no-such-api", api.app_id)
    path = _file(tmp_path, uses_existing)
    assert "every reference resolves" in run("seed", str(path), "--check").stdout
    # A check changes nothing: no new app, no new revision, no secret file.
    home = _open_home()
    try:
        assert home.directory.revision() == before
        names = {a.display_name for a in home.directory.list_applications(tenant=tenant.id)}
        assert "Daemon" not in names
        assert sorted((home.settings.home / "secrets").iterdir()) == secret_files
    finally:
        home.close()
    wrong_role = uses_existing.replace("ToDoList.Read.All", "ToDoList.Nothing")
    result = run("seed", str(_file(tmp_path, wrong_role)), "--check", code=2)
    assert "tenants[0].apps[0].grants[0]" in result.stderr
    assert "no app role 'ToDoList.Nothing'" in result.stderr


# -- one transaction -----------------------------------------------------------------------------


def test_a_file_that_fails_half_way_leaves_nothing_behind(platform: Platform) -> None:
    d = platform.directory
    d.create_tenant(display_name="Contoso", domain="contoso")
    before = d.revision()
    data: dict[str, Any] = {
        "tenants": [
            {
                "displayName": "Contoso",
                "domain": "contoso",
                "apps": [
                    {
                        "displayName": "Daemon",
                        "secrets": [{"displayName": "quickstart"}],
                        "grants": [{"resource": "api://no-such-api", "roles": ["Read.All"]}],
                    }
                ],
            },
            {"displayName": "Fabrikam", "domain": "fabrikam"},
        ]
    }
    # The new tenant comes first, so the failing grant happens after it was created.
    data["tenants"].reverse()
    with pytest.raises(SeedFileError, match=r"tenants\[1\]\.apps\[0\]\.grants\[0\]"):
        apply_seed(platform, parse_seed(data))

    tenant = d.get_tenant("contoso.onmicrosoft.com")
    assert "Daemon" not in {a.display_name for a in d.list_applications(tenant=tenant.id)}
    with pytest.raises(TenantNotFound):
        d.get_tenant("fabrikam.onmicrosoft.com")
    assert d.revision() == before
    # Nor any file: no secret kept, no management credentials of the rolled-back tenant.
    home = platform.settings.home
    assert not (home / "secrets").exists()
    assert {p.name for p in (home / "tenants").iterdir()} == {tenant.id}


def test_a_file_that_applies_writes_its_secret_files_after_the_commit(platform: Platform) -> None:
    app = {"displayName": "D", "secrets": [{"displayName": "s"}]}
    data = {"tenants": [{"displayName": "C", "domain": "c", "apps": [app]}]}
    report = apply_seed(platform, parse_seed(data))
    [issued] = report.secrets
    assert (platform.settings.home / "secrets" / f"{issued.app_id}.json").exists()
    tenant = report.tenants[0]
    assert (platform.settings.home / "tenants" / tenant.id / "management-app.json").exists()


# -- broken YAML ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("tenants:\n  - displayName: Contoso\n   domain: contoso\n", ":3:4: not valid YAML: "),
        ("tenants:\n\t- x\n", ":2:1: not valid YAML: "),
        ('tenants:\n  - displayName: "Contoso\n', ":3:1: not valid YAML: "),
    ],
)
def test_broken_yaml_is_one_line_with_file_line_and_column(
    run: Run, tmp_path: Path, text: str, where: str
) -> None:
    path = _file(tmp_path, text)
    for args in (["seed", str(path)], ["seed", str(path), "--check"]):
        line = _only_line(run(*args, code=2))
        assert line.startswith(f"error: {path}{where}")


def test_broken_json_is_one_line_too(run: Run, tmp_path: Path) -> None:
    path = _file(tmp_path, '{"tenants": [}\n', "tenant.json")
    assert _only_line(run("seed", str(path), code=2)) == (
        f"error: {path}:1:14: not valid JSON: Expecting value"
    )


# -- a damaged database --------------------------------------------------------------------------


def _damage(home: Path, how: str) -> Path:
    db = home / "tenantlab.db"
    if how == "not a database":
        home.mkdir(parents=True, exist_ok=True)
        db.write_bytes(b"these are not the pages you are looking for\n" * 200)
    else:  # cut in half: SQLite reads the header, then finds the pages malformed
        size = db.stat().st_size
        with db.open("r+b") as f:
            f.truncate(size // 2)
    return db


@pytest.mark.parametrize("how", ["not a database", "truncated"])
@pytest.mark.parametrize(
    "args",
    [
        ["tenant", "list"],
        ["app", "list"],
        ["user", "list"],
        ["keys", "list"],
        ["seed", str(EXAMPLE)],
        ["seed", str(EXAMPLE), "--check"],
    ],
)
def test_a_damaged_database_is_one_line_naming_the_file_and_the_fix(
    run: Run, how: str, args: list[str]
) -> None:
    home = Path(os.environ["TENANTLAB_HOME"])
    if how == "truncated":
        run("seed", str(EXAMPLE))
    db = _damage(home, how)
    line = _only_line(run(*args, code=1))
    assert line.startswith(f"error: the database file {db} is damaged (")
    assert f"mv {db} {db}.damaged" in line
