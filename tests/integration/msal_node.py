"""Unmodified @azure/msal-node (Node 20) run from tests: tests/node/client_credentials.mjs.

The node scripts and their locked dependencies live in tests/node; `scripts/bootstrap` runs
`npm ci` there, and `find_node` does it too when node_modules is missing. Without Node the tests
skip — except under CI=true, where a missing tool must fail the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


def find_node() -> str:
    """The node executable, with tests/node's packages installed; else skip (fail under CI)."""
    executable = shutil.which("node")
    if executable is None or shutil.which("npm") is None:
        message = "Node.js 20 and npm are needed for the msal-node interop tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: a missing tool fails the run)")
        pytest.skip(message)
    if not (NODE_DIR / "node_modules" / "@azure" / "msal-node").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=300
        )
    return executable


def run_client_credentials(node: str, ca_bundle: Path, request: dict[str, Any]) -> dict[str, Any]:
    """msal-node's acquireTokenByClientCredential as `request` asks; its results or its error."""
    done = subprocess.run(
        [node, "client_credentials.mjs"],
        cwd=NODE_DIR,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(ca_bundle)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result
