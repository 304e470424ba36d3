"""`tenantlab hosts install|remove` on a hosts file of the test's own (never /etc/hosts)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from tenantlab.cli import cli

Run = Callable[..., Result]

ORIGINAL = "127.0.0.1 localhost\n::1 localhost\n"


def hosts_file(tmp_path: Path) -> Path:
    path = tmp_path / "hosts"
    path.write_text(ORIGINAL)
    return path


def test_install_shows_the_lines_then_remove_restores_the_file(run: Run, tmp_path: Path) -> None:
    path = hosts_file(tmp_path)
    run("tenant", "create", "--name", "Woodgrove", "--domain", "woodgrove")
    shown = run("hosts", "install", "--yes", "--hosts-file", str(path)).stdout
    assert "  127.0.0.1 login.microsoftonline.com" in shown
    assert "  127.0.0.1 woodgrove.ciamlogin.com" in shown
    text = path.read_text()
    assert text.startswith(ORIGINAL)
    assert "127.0.0.1 graph.microsoft.com\n" in text
    assert "127.0.0.1 sts.windows.net\n" in text

    run("hosts", "remove", "--hosts-file", str(path))
    assert path.read_text() == ORIGINAL


def test_install_twice_leaves_one_block(run: Run, tmp_path: Path) -> None:
    path = hosts_file(tmp_path)
    run("hosts", "install", "--yes", "--hosts-file", str(path))
    once = path.read_text()
    result = run("hosts", "install", "--yes", "--hosts-file", str(path), code=1)
    assert result.stderr.splitlines() == [
        f"error: {path} already has tenantlab's block (lines 3-9): nothing changed; "
        "`tenantlab hosts remove` takes it out"
    ]
    assert path.read_text() == once


def test_remove_without_a_block_fails_and_changes_nothing(run: Run, tmp_path: Path) -> None:
    path = hosts_file(tmp_path)
    result = run("hosts", "remove", "--hosts-file", str(path), code=1)
    assert result.stderr.splitlines() == [
        f"error: {path} has no tenantlab block: nothing to remove "
        "(`tenantlab hosts install` adds one)"
    ]
    assert path.read_text() == ORIGINAL


def test_install_asks_first_and_a_no_changes_nothing(tmp_path: Path) -> None:
    path = hosts_file(tmp_path)
    result = CliRunner().invoke(cli, ["hosts", "install", "--hosts-file", str(path)], input="n\n")
    assert result.exit_code == 2
    assert "change the file? [y/N]" in result.stdout
    assert result.stderr.splitlines() == [f"error: not confirmed: {path} was not changed"]
    assert path.read_text() == ORIGINAL

    result = CliRunner().invoke(cli, ["hosts", "install", "--hosts-file", str(path)], input="y\n")
    assert result.exit_code == 0
    assert "127.0.0.1 login.windows.net" in path.read_text()


def test_a_missing_hosts_file_is_one_line(run: Run, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = run("hosts", "install", "--yes", "--hosts-file", str(missing), code=2)
    assert result.stderr.splitlines() == [
        f"error: {missing} does not exist (choose the file with --hosts-file)"
    ]
    assert not missing.exists()
