"""The token service's modules import each other one way: no cycle, `token → grants → issuing`.

Imports are read with `ast`, so every import counts, also those under `TYPE_CHECKING` and
inside functions: a cycle hidden from the interpreter is still a cycle in the design.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tenantlab.sts

PACKAGE = "tenantlab.sts"
STS_DIR = Path(tenantlab.sts.__file__).parent


def sts_modules() -> dict[str, Path]:
    return {path.stem: path for path in sorted(STS_DIR.glob("*.py")) if path.stem != "__init__"}


def imported_sts_modules(path: Path, modules: set[str]) -> set[str]:
    """The sibling modules `path` imports, however it spells the import."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = PACKAGE if node.level == 1 else PACKAGE.rsplit(".", node.level - 1)[0]
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name.startswith(PACKAGE + "."):
                first = name[len(PACKAGE) + 1 :].split(".")[0]
                if first in modules:
                    found.add(first)
    found.discard(path.stem)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = sts_modules()
    return {name: imported_sts_modules(path, set(modules)) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle is not None:
                return cycle
    return None


def test_the_graph_is_read_from_every_module() -> None:
    graph = import_graph()
    assert {"token", "grants", "issuing", "password_grant", "errors"} <= set(graph)
    # The parser sees both spellings: `from tenantlab.sts import errors` and `...sts.errors`.
    assert "errors" in graph["tenancy"]
    assert "errors" in graph["assertion_jws"]


def test_find_cycle_reports_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_sts_modules_import_each_other_without_a_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle in tenantlab.sts: " + " -> ".join(cycle or [])


def test_token_service_imports_run_token_grants_issuing() -> None:
    graph = import_graph()
    assert "issuing" in graph["grants"]
    assert "issuing" in graph["token"]
    assert not graph["issuing"] & {"token", "grants", "password_grant", "app"}
    assert not graph["grants"] & {"token", "password_grant", "app"}
