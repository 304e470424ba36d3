"""TENANTLAB_DATABASE_URL with a PostgreSQL URL, through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgcluster import TEST_KEY_ENCRYPTION_KEY

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

EXAMPLE = Path(__file__).parents[2] / "examples" / "contoso.yaml"


def test_the_cli_keeps_the_directory_in_postgresql(postgres_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env.update(
        TENANTLAB_HOME=str(tmp_path / "home"),
        TENANTLAB_DATABASE_URL=postgres_url,
        TENANTLAB_KEY_ENCRYPTION_KEY=TEST_KEY_ENCRYPTION_KEY,
    )

    def tenantlab(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tenantlab.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    tenantlab("seed", str(EXAMPLE))
    assert tenantlab("seed", str(EXAMPLE)).strip() == "seed: nothing to change"
    apps = json.loads(tenantlab("app", "list", "--json"))["value"]
    assert {"ToDo List API", "ToDo Daemon"} <= {a["displayName"] for a in apps}
    assert not (tmp_path / "home" / "tenantlab.db").exists()
