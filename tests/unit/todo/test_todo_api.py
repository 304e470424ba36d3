"""The ToDo API contract (reference/sample-apps.md §3), in process."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from apiauth.fakes import USER_ID
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tenantlab.ids import EMPTY_GUID

from .conftest import TokenFactory

pytestmark = pytest.mark.anyio

OWNER_A = "0f0e0d0c-0b0a-4909-8807-060504030201"


async def test_the_daemon_scenario_of_the_dotnet_sample(
    api: httpx.AsyncClient, app_token: TokenFactory
) -> None:
    auth = app_token()
    first = await api.post(
        "/api/todolist",
        json={"Id": 0, "Owner": OWNER_A, "Description": "Bake bread"},
        headers=auth,
    )
    assert first.status_code == 201
    assert first.json() == {"id": first.json()["id"], "owner": OWNER_A, "description": "Bake bread"}
    assert first.headers["location"] == f"/api/todolist/{first.json()['id']}"
    assert (await api.get(first.headers["location"], headers=auth)).json() == first.json()
    second = await api.post(
        "/api/todolist",
        json={"owner": str(uuid.uuid4()), "description": "Butter bread"},
        headers=auth,
    )
    assert [i["description"] for i in (await api.get("/api/todolist", headers=auth)).json()] == [
        "Bake bread",
        "Butter bread",
    ]
    deleted = await api.request(
        "DELETE", f"/api/todolist/{first.json()['id']}", json=first.json(), headers=auth
    )
    assert (deleted.status_code, deleted.content) == (200, b"")
    edited = await api.put(
        f"/api/todolist/{second.json()['id']}",
        json={"Id": 999, "Owner": OWNER_A, "Description": "Eat bread"},
        headers=auth,
    )
    assert edited.status_code == 200
    assert edited.json() == {**second.json(), "description": "Eat bread"}
    await api.delete(f"/api/todolist/{second.json()['id']}", headers=auth)
    assert (await api.get("/api/todolist", headers=auth)).json() == []


async def test_an_app_post_without_owner_gets_the_empty_guid(
    api: httpx.AsyncClient, app_token: TokenFactory
) -> None:
    created = await api.post("/api/todolist", json={"description": "x"}, headers=app_token())
    assert created.json()["owner"] == EMPTY_GUID


async def test_users_see_and_change_only_their_own_items(
    api: httpx.AsyncClient, app_token: TokenFactory, user_token: TokenFactory
) -> None:
    app_auth = app_token()
    user_auth = user_token(scp="ToDoList.ReadWrite")
    theirs = (
        await api.post(
            "/api/todolist", json={"owner": OWNER_A, "description": "A's"}, headers=app_auth
        )
    ).json()
    mine = await api.post(
        "/api/todolist", json={"owner": OWNER_A, "description": "mine"}, headers=user_auth
    )
    assert mine.status_code == 201
    assert mine.json()["owner"] == USER_ID  # a user's owner is always their oid
    listed = (await api.get("/api/todolist", headers=user_auth)).json()
    assert listed == [mine.json()]
    other = f"/api/todolist/{theirs['id']}"
    assert (await api.get(other, headers=user_auth)).status_code == 404
    assert (await api.put(other, json={"description": "x"}, headers=user_auth)).status_code == 404
    assert (await api.delete(other, headers=user_auth)).status_code == 404
    everything = (await api.get("/api/todolist", headers=app_auth)).json()
    assert {i["description"] for i in everything} == {"A's", "mine"}


async def test_items_of_another_tenant_are_invisible(
    api: httpx.AsyncClient, app_token: TokenFactory, todo_app: FastAPI
) -> None:
    store = todo_app.state.todo_store
    foreign = store.add(tenant_id=str(uuid.uuid4()), owner=OWNER_A, description="elsewhere")
    auth = app_token()
    assert (await api.get("/api/todolist", headers=auth)).json() == []
    assert (await api.get(f"/api/todolist/{foreign.id}", headers=auth)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/todolist", b"{not json"),
        ("POST", "/api/todolist", b"[1, 2]"),
        ("POST", "/api/todolist", b'{"owner": "' + OWNER_A.encode() + b'"}'),
        ("POST", "/api/todolist", b'{"description": 5}'),
        ("POST", "/api/todolist", b'{"description": "x", "owner": "not-a-guid"}'),
        ("POST", "/api/todolist", b'{"description": "' + b"x" * 5000 + b'"}'),
        ("POST", "/api/todolist", b"[" * 100_000),
        ("POST", "/api/todolist", b'{"description": "' + b"x" * 70_000 + b'"}'),
        ("PUT", "/api/todolist/1", b"nope"),
        ("GET", "/api/todolist/abc", b""),
        ("GET", "/api/todolist/-1", b""),
        ("GET", "/api/todolist/0", b""),
        ("GET", "/api/todolist/99999999999999999999999", b""),
        ("DELETE", "/api/todolist/1.5", b""),
    ],
)
async def test_bad_input_is_a_400_without_internals(
    api: httpx.AsyncClient, app_token: TokenFactory, method: str, path: str, body: bytes
) -> None:
    response = await api.request(
        method, path, content=body, headers={**app_token(), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    text = response.text
    assert "Traceback" not in text
    assert "pydantic" not in text
    assert "sqlalchemy" not in text.lower()
    assert response.json()["status"] == 400


async def test_missing_items_are_404(api: httpx.AsyncClient, app_token: TokenFactory) -> None:
    auth = app_token()
    assert (await api.get("/api/todolist/4242", headers=auth)).status_code == 404
    assert (
        await api.put("/api/todolist/4242", json={"description": "x"}, headers=auth)
    ).status_code == 404
    assert (await api.delete("/api/todolist/4242", headers=auth)).status_code == 404


async def test_a_missing_token_is_a_bare_bearer_challenge(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/todolist")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_bad_token_is_401_invalid_token_and_never_logged(
    api: httpx.AsyncClient, app_token: TokenFactory, caplog: pytest.LogCaptureFixture
) -> None:
    expired = app_token(exp=1_700_000_000)
    with caplog.at_level(logging.DEBUG):
        response = await api.get("/api/todolist", headers=expired)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert "expired" in caplog.text  # the reason is logged ...
    assert expired["Authorization"].split()[1] not in caplog.text  # ... the token is not
    assert (
        await api.get("/api/todolist", headers={"Authorization": "Basic dXNlcjpwdw=="})
    ).status_code == 401


async def test_a_huge_authorization_header_is_refused_before_parsing(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get(
        "/api/todolist", headers={"Authorization": "Bearer " + "A" * 1_000_000}
    )
    assert response.status_code == 401


async def test_a_route_without_a_declared_permission_is_refused(
    todo_app: FastAPI, app_token: TokenFactory
) -> None:
    guard = todo_app.state.guard
    from fastapi import APIRouter

    router = APIRouter(route_class=guard.route_class)

    @router.get("/api/forgotten")
    async def forgotten(request: Request) -> JSONResponse:
        return JSONResponse({"leaked": True})

    todo_app.include_router(router)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=todo_app), base_url="https://todo.test"
    ) as client:
        all_roles = app_token(roles=["ToDoList.Read.All", "ToDoList.ReadWrite.All", "Admin"])
        response = await client.get("/api/forgotten", headers=all_roles)
        assert response.status_code == 403
        assert "leaked" not in response.text
        assert (await client.get("/api/forgotten")).status_code == 401


async def test_openapi_documents_the_bearer_scheme(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert schema["paths"]["/api/todolist"]["get"]["security"] == [{"bearer": []}]
    assert (await api.get("/docs")).status_code == 200


async def test_items_survive_a_restart(
    todo_settings: object, app_token: TokenFactory, api: httpx.AsyncClient, authority: object
) -> None:
    from tenantlab.clock import FixedClock
    from tenantlab.todo import build_app

    created = (
        await api.post("/api/todolist", json={"description": "kept"}, headers=app_token())
    ).json()
    again = build_app(
        todo_settings,  # type: ignore[arg-type]
        transport=httpx.MockTransport(authority.handler),  # type: ignore[attr-defined]
        clock=FixedClock(1_800_000_000),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=again), base_url="https://todo.test"
    ) as client:
        assert (
            await client.get(f"/api/todolist/{created['id']}", headers=app_token())
        ).json() == created


async def test_unknown_routes_and_methods_answer_json(api: httpx.AsyncClient) -> None:
    missing = await api.get("/api/nothing")
    assert (missing.status_code, missing.json()["status"]) == (404, 404)
    wrong = await api.patch("/api/todolist")
    assert wrong.status_code == 405
    assert "GET" in wrong.headers["allow"]


@pytest.mark.parametrize(
    "roles", ["ToDoList.ReadWrite.All", [["ToDoList.ReadWrite.All"]], ["ToDoList.ReadWriteX.All"]]
)
async def test_attack_16_mistyped_or_near_miss_roles_are_403(
    api: httpx.AsyncClient, app_token: TokenFactory, roles: object
) -> None:
    response = await api.get("/api/todolist", headers=app_token(roles=roles))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


async def test_attack_30_items_follow_oid_never_mutable_names(
    api: httpx.AsyncClient, user_token: TokenFactory
) -> None:
    adele = user_token(scp="ToDoList.ReadWrite", preferred_username="adele@contoso.test")
    created = (await api.post("/api/todolist", json={"description": "x"}, headers=adele)).json()
    impostor = user_token(
        scp="ToDoList.ReadWrite",
        oid=OWNER_A,
        preferred_username="adele@contoso.test",
        email="adele@contoso.test",
        upn="adele@contoso.test",
    )
    assert (await api.get("/api/todolist", headers=impostor)).json() == []
    assert (await api.get(f"/api/todolist/{created['id']}", headers=impostor)).status_code == 404
