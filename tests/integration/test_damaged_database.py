"""A damaged tenantlab.db stops the serving commands with one line naming the file and the fix.

Real processes, as a user runs them (the CLI commands are covered in-process by
tests/unit/cli/test_tenant_files_and_broken_data.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "0"],
        ["up", "--port", "0", "--todo-port", "0"],
        ["quickstart", "--once", "--port", "0", "--todo-port", "0"],
    ],
)
def test_serving_commands_say_which_file_is_damaged_in_one_line(
    tmp_path: Path, args: list[str]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    db = home / "tenantlab.db"
    db.write_bytes(b"not a database at all\n" * 100)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env["TENANTLAB_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "tenantlab.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: the database file {db} is damaged (file is not a database)")
    assert f"mv {db} {db}.damaged" in line
