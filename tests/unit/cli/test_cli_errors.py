"""Mistakes get one `error:` line and exit 1 (2 for usage and settings), never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

Run = Callable[..., Result]


def assert_one_error_line(result: Result, *fragments: str) -> None:
    assert "Traceback" not in result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: ")
    for fragment in fragments:
        assert fragment in result.stderr


def test_no_tenant_yet(run: Run) -> None:
    result = run("app", "list", code=2)
    assert_one_error_line(result, "tenantlab tenant create")


def test_several_tenants_need_tenant(run: Run) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    run("tenant", "create", "--name", "Fabrikam", "--domain", "fabrikam")
    result = run("user", "list", code=2)
    assert_one_error_line(
        result,
        "-t NAME",
        "tenantlab tenant use",
        "contoso.onmicrosoft.com",
        "fabrikam.onmicrosoft.com",
    )
    assert "Users of Fabrikam" in run("user", "list", "--tenant", "fabrikam.onmicrosoft.com").stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["tenant", "show", "nowhere.onmicrosoft.com"], "not found"),
        (["app", "show", "Nope"], "no application 'Nope'"),
        (["app", "role", "add", "Daemon", "Has Space"], "cannot contain spaces"),
        (["app", "secret", "add", "Daemon", "--days", "900"], "at most 24 months"),
        (["app", "grant", "Daemon", "graph", "--role", "Mail.Send"], "no app role 'Mail.Send'"),
        (["user", "create", "bob@fabrikam.com"], "verified domain"),
        (["user", "create", "bob", "--password", "weak"], "password"),
        (["app", "create", "--name", "X", "--identifier-uri", "ftp://x"], "identifierUri"),
    ],
)
def test_directory_refusals(run: Run, args: list[str], fragment: str) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    run("app", "create", "--name", "Daemon")
    assert_one_error_line(run(*args, code=1), fragment)


def test_usage_errors_are_clicks(run: Run) -> None:
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    assert "Missing option '--name'" in run("app", "create", code=2).stderr
    assert "--role" in run("app", "grant", "A", "B", code=2).stderr


def test_a_bad_setting_is_named(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANTLAB_PORT", "many")
    assert_one_error_line(run("tenant", "list", code=2), "TENANTLAB_PORT")


def test_an_unreachable_database_is_one_line_without_the_password(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(
        "TENANTLAB_DATABASE_URL", f"postgresql://u:hunter22@/db?host={tmp_path}/no-socket-here"
    )
    result = run("tenant", "list", code=1)
    assert_one_error_line(result, "cannot open the database")
    assert "hunter22" not in result.output


def test_an_invalid_seed_file_lists_its_problems(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "tenants:\n  - displayName: C\n    domain: c\n    apps:\n"
        "      - displayName: A\n        roles: [{value: Has Space}]\n"
    )
    result = run("seed", str(bad), code=2)
    assert_one_error_line(result, "tenants[0].apps[0].roles[0].value", "1 problem")
