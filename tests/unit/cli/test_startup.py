"""Start-up: `--help` and `--version` load no heavy library; a directory command no Alembic."""

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
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
"""


def loaded_after(args: list[str], home: Path) -> set[str]:
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
