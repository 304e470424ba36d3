"""One AADSTS catalogue: every code the token service answers is built in `sts/errors.py`, once.

The catalogue is read with `ast`: each factory function's `StsError(code, ...)` (or subclass)
calls. A code built by two factories, or an AADSTS error built in any other module, fails here.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import tenantlab.sts
from tenantlab.sts import errors
from tenantlab.sts.errors import StsError

STS_DIR = Path(tenantlab.sts.__file__).parent
ERROR_CLASSES = {
    name
    for name, value in vars(errors).items()
    if inspect.isclass(value) and issubclass(value, StsError)
}
AADSTS_TEXT = re.compile(r"AADSTS\d")


def _constructions(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name | ast.Attribute)
        and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) in ERROR_CLASSES
    ]


def catalogue() -> dict[int, list[str]]:
    """AADSTS code -> the factories in errors.py that build it."""
    tree = ast.parse((STS_DIR / "errors.py").read_text())
    codes: dict[int, list[str]] = {}
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef):
            continue
        for call in _constructions(function):
            first = call.args[0] if call.args else None
            where = f"{function.name}: the AADSTS code must be a literal first argument"
            assert isinstance(first, ast.Constant), where
            assert isinstance(first.value, int), where
            codes.setdefault(first.value, []).append(function.name)
    return codes


def _docstrings(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_the_catalogue_lists_the_codes_the_token_service_answers() -> None:
    codes = catalogue()
    # A sample from every banner, so an empty or half-read catalogue cannot pass.
    for code in (900144, 90002, 7000215, 700027, 700024, 700211, 50166, 70011, 65001, 50126):
        assert code in codes, code
    assert len(codes) >= 30


def test_no_code_has_two_factories() -> None:
    duplicates = {code: names for code, names in catalogue().items() if len(set(names)) > 1}
    assert not duplicates, f"AADSTS codes built by more than one factory: {duplicates}"


@pytest.mark.parametrize("path", sorted(STS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_other_module_builds_an_aadsts_error(path: Path) -> None:
    if path.name == "errors.py":
        return
    tree = ast.parse(path.read_text())
    built = [f"line {call.lineno}" for call in _constructions(tree)]
    assert not built, f"{path.name} builds an StsError itself ({built}): add a factory to errors.py"
    subclasses = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(
            (b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")) in ERROR_CLASSES
            for b in node.bases
        )
    ]
    assert not subclasses, f"{path.name} defines StsError subclasses {subclasses}"
    docstrings = _docstrings(tree)
    texts = [
        f"line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and AADSTS_TEXT.search(node.value)
    ]
    assert not texts, f"{path.name} spells an AADSTS code in a string ({texts})"


def test_700027_has_one_text() -> None:
    error = errors.assertion_failed("The key was not found.")
    assert (error.code, error.error, error.status) == (700027, "invalid_client", 401)
    assert error.text.startswith("Client assertion failed signature validation.")
