"""The import table of the architecture (../shared/ARCHITECTURE.md), checked on the source.

Each package may import only the packages its row names; composing packages (the CLI, the
server, the quickstart, drop-in mode, the test kit and probe-api) may import anything and nobody
imports them. A new package needs a row here: that is the point of the test.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import tenantlab

SOURCE = Path(tenantlab.__file__).parent
BASE = {"aadsts", "clock", "config", "errors", "ids", "jws", "listening", "logs", "served"}
COMPOSING = {"cli", "server", "quickstart", "dropin", "testing", "probe"}
# package -> the packages of ours it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    **dict.fromkeys(BASE, BASE),
    "storage": BASE,
    "keys": BASE | {"storage"},
    "directory": BASE | {"storage", "keys"},
    "bootstrap": BASE | {"storage", "keys", "directory"},
    # The platform owns the fault registry (plain data); the fault middleware is in `faults`'s
    # other modules, which render the STS's and Graph's envelopes and only the server wires in.
    "platform": BASE | {"storage", "keys", "directory", "bootstrap", "faults.registry"},
    "seed": BASE | {"storage", "keys", "directory", "platform"},
    "sts": BASE | {"storage", "keys", "directory", "platform"},
    "graph": BASE | {"storage", "keys", "directory", "platform", "apiauth"},
    "portal": BASE | {"storage", "keys", "directory", "platform"},
    "faults": BASE | {"storage", "keys", "directory", "platform", "sts", "graph"},
    "control": BASE | {"storage", "keys", "directory", "platform", "sts", "faults"},
    "apiauth": BASE,
    "todo": BASE | {"storage", "apiauth"},
    "daemon": BASE,
}
# Third-party packages a package must not load (a client is no server; the domain knows no HTTP).
NEVER: dict[str, set[str]] = {
    "directory": {"fastapi", "starlette", "uvicorn", "httpx", "msal"},
    "apiauth": {"sqlalchemy", "msal"},
    "daemon": {"sqlalchemy", "fastapi", "starlette", "uvicorn"},
}


def _imports() -> dict[str, set[str]]:
    """package -> every module name it imports (absolute), from every file of the package."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in SOURCE.rglob("*.py"):
        relative = path.relative_to(SOURCE)
        package = relative.parts[0] if len(relative.parts) > 1 else relative.stem
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found[package].update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found[package].add(node.module)
    return found


def _ours(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "tenantlab" or len(parts) < 2:
        return None
    return ".".join(parts[1:3]) if parts[1] == "faults" and len(parts) > 2 else parts[1]


def test_every_package_has_a_row() -> None:
    packages = {
        path.name if path.is_dir() else path.stem
        for path in SOURCE.iterdir()
        if (path.is_dir() and (path / "__init__.py").exists())
        or (path.suffix == ".py" and path.stem not in {"__init__", "__main__"})
    }
    assert packages - ALLOWED.keys() - COMPOSING == set()


def test_packages_import_only_what_their_row_allows() -> None:
    broken = []
    for package, modules in _imports().items():
        if package in COMPOSING or package in {"__init__", "__main__"}:
            continue
        allowed = ALLOWED[package] | {package}
        for module in sorted(modules):
            ours = _ours(module)
            if ours is None:
                if module.split(".")[0] in NEVER.get(package, set()):
                    broken.append(f"{package} imports {module}")
                continue
            if ours not in allowed and ours.split(".")[0] not in allowed:
                broken.append(f"{package} imports {module}")
            if ours in COMPOSING:
                broken.append(f"{package} imports the composing package {module}")
    assert broken == []


def test_the_rule_catches_a_forbidden_import() -> None:
    # The check itself: the domain importing the token service would be reported.
    assert _ours("tenantlab.sts.errors") == "sts"
    assert "sts" not in ALLOWED["directory"]
    assert _ours("tenantlab.faults.envelopes") == "faults.envelopes"
    assert "faults.envelopes" not in ALLOWED["platform"]
    assert _ours("msal") is None
