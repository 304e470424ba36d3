"""Every roles/scp combination against every route: who may read, who may write, who gets 403."""

from __future__ import annotations

from itertools import combinations

import httpx
import pytest
from apiauth.fakes import TENANT, USER_ID
from fastapi import FastAPI

from .conftest import TokenFactory

pytestmark = pytest.mark.anyio

ROUTES = [
    ("GET", "/api/todolist", "read"),
    ("GET", "/api/todolist/{id}", "read"),
    ("POST", "/api/todolist", "write"),
    ("PUT", "/api/todolist/{id}", "write"),
    ("DELETE", "/api/todolist/{id}", "write"),
]
APP_ROLES = ["ToDoList.Read.All", "ToDoList.ReadWrite.All", "User.Read.All"]
USER_SCOPES = ["ToDoList.Read", "ToDoList.ReadWrite", "User.Read"]


def subsets(values: list[str]) -> list[tuple[str, ...]]:
    return [c for n in range(len(values) + 1) for c in combinations(values, n)]


def expected(kind: str, granted: set[str], is_app: bool) -> int:
    if not granted:
        return 401  # neither scp nor roles: not an access token for this API
    if is_app:
        accepted = {"read": {"ToDoList.Read.All", "ToDoList.ReadWrite.All"}}.get(
            kind, {"ToDoList.ReadWrite.All"}
        )
    else:
        accepted = {"read": {"ToDoList.Read", "ToDoList.ReadWrite"}}.get(
            kind, {"ToDoList.ReadWrite"}
        )
    return 200 if granted & accepted else 403


async def test_every_permission_combination_on_every_route(
    api: httpx.AsyncClient, todo_app: FastAPI, app_token: TokenFactory, user_token: TokenFactory
) -> None:
    store = todo_app.state.todo_store
    cases: list[tuple[str, tuple[str, ...], str, str]] = []
    for roles in subsets(APP_ROLES):
        cases += [("app", roles, method, path) for method, path, _ in ROUTES]
    for scopes in subsets(USER_SCOPES):
        cases += [("user", scopes, method, path) for method, path, _ in ROUTES]
    # Near misses: a substring, another case, and a user holding an application permission.
    for scopes in (("ToDoList.ReadX",), ("todolist.readwrite",), ("ToDoList.Read.All",)):
        cases += [("user", scopes, method, path) for method, path, _ in ROUTES]

    want: dict[str, int] = {}
    got: dict[str, int] = {}
    for who, granted, method, path in cases:
        kind = next(k for m, p, k in ROUTES if (m, p) == (method, path))
        item = store.add(tenant_id=TENANT, owner=USER_ID, description="x")
        if who == "app":
            headers = app_token(roles=list(granted) or None)
        else:
            headers = user_token(scp=" ".join(granted) or None)
        body = {"description": "y"} if method in ("POST", "PUT") else None
        response = await api.request(
            method, path.replace("{id}", str(item.id)), json=body, headers=headers
        )
        label = f"{who} {' '.join(granted) or '-'} {method} {path}"
        status = response.status_code
        got[label] = 200 if status in (200, 201) else status
        want[label] = expected(kind, set(granted), who == "app")
        if status == 403:
            assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert got == want


async def test_a_user_token_with_app_roles_but_no_matching_scope_is_refused(
    api: httpx.AsyncClient, user_token: TokenFactory
) -> None:
    headers = user_token(scp="User.Read", roles=["ToDoList.ReadWrite.All"])
    assert (await api.get("/api/todolist", headers=headers)).status_code == 403


async def test_the_403_names_the_accepted_permissions(
    api: httpx.AsyncClient, app_token: TokenFactory
) -> None:
    response = await api.post(
        "/api/todolist", json={"description": "x"}, headers=app_token(roles=["ToDoList.Read.All"])
    )
    assert response.status_code == 403
    assert (
        'scope="ToDoList.ReadWrite ToDoList.ReadWrite.All"' in response.headers["www-authenticate"]
    )
