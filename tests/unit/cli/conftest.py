"""Run the `tenantlab` command in-process (click's runner): no sockets, the test's own home."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tenantlab.cli import cli

Run = Callable[..., Result]


@pytest.fixture
def run() -> Run:
    """`run("app", "list")`: the result; asserts the exit code (default 0)."""

    def invoke(*args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result

    return invoke


@pytest.fixture
def run_json(run: Run) -> Callable[..., Any]:
    def invoke(*args: str) -> Any:
        return json.loads(run(*args, "--json").stdout)

    return invoke
