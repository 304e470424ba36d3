"""The daemon is a client: it may import only the base modules, msal, httpx, rich and click
(its command line is click's, like the rest of `tenantlab`)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import tenantlab.daemon

ALLOWED_OURS = (
    "tenantlab.daemon",
    "tenantlab.config",
    "tenantlab.errors",
    "tenantlab.clock",
    "tenantlab.ids",
    "tenantlab.aadsts",  # a base module: the AADSTS explanations the portal shows too
)
ALLOWED_THIRD_PARTY = {"msal", "httpx", "rich", "click"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_daemon_imports_no_server_package() -> None:
    package = Path(tenantlab.daemon.__file__).parent
    offending: list[str] = []
    for path in sorted(package.glob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top == "tenantlab":
                if not name.startswith(ALLOWED_OURS):
                    offending.append(f"{path.name}: {name}")
            elif top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY | {
                "__future__"
            }:
                offending.append(f"{path.name}: {name}")
    assert offending == []
