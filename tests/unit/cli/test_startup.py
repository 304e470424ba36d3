"""Start-up: `--help` and `--version` load no heavy library; a directory command loads SQLAlchemy
and the schema, and none of what only servers, migrations or certificates need (issue 12 item 7:
its start is measured by bench/cli_startup.py against `import sqlalchemy`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenantlab.cli import COMMANDS, cli

HEAVY = ("sqlalchemy", "fastapi", "starlette", "msal", "cryptography", "uvicorn", "alembic", "rich")

PROBE = """
import json, sys
from tenantlab.cli import main
sys.argv = ["tenantlab", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_after(args: list[str], home: Path) -> set[str]:
    """Every module (dotted name) loaded once `tenantlab ARGS` has run in a new interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env["TENANTLAB_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def loaded_after(args: list[str], home: Path) -> set[str]:
    """The top-level packages loaded by `tenantlab ARGS`."""
    return {name.split(".")[0] for name in modules_after(args, home)}


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["-h"]])
def test_help_and_version_load_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    loaded = loaded_after(args, tmp_path)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert "tenantlab" in loaded


def test_a_directory_command_skips_alembic_once_migrated(tmp_path: Path) -> None:
    first = loaded_after(["tenant", "create", "--name", "Contoso", "--domain", "contoso"], tmp_path)
    assert "alembic" in first  # a new database is migrated
    again = loaded_after(["tenant", "list"], tmp_path)
    assert "sqlalchemy" in again
    assert not again & {"alembic", "mako", "rich", "cryptography", "fastapi", "msal"}


# What a directory command used to load for nothing: pydantic(-settings) and asyncio to read the
# settings, SQLAlchemy's PostgreSQL dialect for one index's predicate, cryptography for `app`.
NOT_FOR_A_DIRECTORY_COMMAND = {
    "pydantic",
    "pydantic_settings",
    "sqlalchemy.dialects.postgresql",
    "cryptography",
    "yaml",
}


@pytest.mark.parametrize("args", [["tenant", "list"], ["app", "list"], ["user", "list"]])
def test_a_directory_command_loads_only_what_it_uses(args: list[str], tmp_path: Path) -> None:
    modules_after(["tenant", "create", "--name", "Contoso", "--domain", "contoso"], tmp_path)
    loaded = modules_after(args, tmp_path)
    assert "tenantlab.storage.schema" in loaded
    assert not loaded & NOT_FOR_A_DIRECTORY_COMMAND, sorted(loaded & NOT_FOR_A_DIRECTORY_COMMAND)


def test_the_help_lists_every_command_with_its_summary() -> None:
    result = CliRunner().invoke(cli, ["--help"], catch_exceptions=False)
    for name, (_, summary) in COMMANDS.items():
        assert f"{name}" in result.stdout
        assert summary in " ".join(result.stdout.split())


def test_ctrl_c_while_a_command_imports_is_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "slow_command.py").write_text("raise KeyboardInterrupt\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(COMMANDS, "slow", ("slow_command:slow", "Interrupted while importing."))
    result = CliRunner().invoke(cli, ["slow"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "Aborted!" in result.stderr
    assert "Traceback" not in result.output


FREEZE_PROBE = """
import gc, json, sys
from tenantlab.cli import main
sys.argv = ["tenantlab", "tenant", "list"]
try:
    main()
except SystemExit:
    pass
print(json.dumps([gc.get_freeze_count(), gc.isenabled()]), file=sys.stderr)
"""


def test_a_command_s_own_process_freezes_what_it_loaded(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env["TENANTLAB_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", FREEZE_PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    frozen, collecting = json.loads(done.stderr.strip().splitlines()[-1])
    assert frozen > 100_000  # SQLAlchemy, the ORM and the schema: out of every later collection
    assert collecting  # the collector runs again for what the command itself makes


def test_the_cli_called_in_process_leaves_the_callers_collector_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    monkeypatch.setenv("TENANTLAB_HOME", str(tmp_path))
    monkeypatch.delitem(cli.commands, "keys", raising=False)  # loaded afresh below
    before = gc.get_freeze_count()
    CliRunner().invoke(cli, ["keys", "--help"], catch_exceptions=False)
    assert "keys" in cli.commands  # its command was loaded ...
    assert gc.get_freeze_count() == before  # ... and nothing of the caller's was frozen
    assert gc.isenabled()
