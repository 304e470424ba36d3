"""The protected ToDo list API (`/api/todolist`), the contract of Azure-Samples' ToDoListAPI.

Differences from the sample, on purpose (reference/sample-apps.md §3): permissions are enforced
(the sample's configuration makes Microsoft.Identity.Web skip them), POST answers with the real
`Location`, items are persisted, and a user token whose `oid` is bad is a 401, not a 500.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import WithJsonSchema
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from tenantlab.apiauth import (
    ApiGuard,
    Authenticator,
    BearerAuthenticator,
    Permission,
    Principal,
    TokenValidationSettings,
    TokenValidator,
    document_bearer_security,
    principal_of,
    requires,
)
from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.ids import EMPTY_GUID
from tenantlab.storage import Database
from tenantlab.todo.schemas import (
    ID_SCHEMA,
    BadRequest,
    BearerError,
    Problem,
    TodoIn,
    TodoOut,
    parse_id,
    parse_todo,
)
from tenantlab.todo.settings import TodoApiSettings
from tenantlab.todo.store import TodoStore, open_todo_database

logger = logging.getLogger("tenantlab.todo")

BASE = "/api/todolist"
# The path's id: read as text and checked by `parse_id` (a 400 with our message, not FastAPI's
# 422), documented as the integers `parse_id` accepts.
ItemId = Annotated[str, Path(description="The item's id."), WithJsonSchema(ID_SCHEMA)]

# What every operation may answer besides success, in the OpenAPI document (issue 11 item 10:
# the document must list every status the API gives, with its body).
_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Malformed request (body or id)"},
    401: {"model": BearerError, "description": "Missing, invalid or expired access token"},
    403: {"model": BearerError, "description": "The token lacks the permission"},
}
_MISSING: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "Missing, or not the caller's"},
}


def permissions(settings: TodoApiSettings) -> tuple[Permission, Permission]:
    read = Permission.of(
        "read", scopes=settings.read_scopes, app_permissions=settings.read_app_permissions
    )
    write = Permission.of(
        "write", scopes=settings.write_scopes, app_permissions=settings.write_app_permissions
    )
    return read, write


def _owner_filter(principal: Principal) -> str | None:
    """Apps see every item of their tenant; users only their own (`oid`)."""
    return None if principal.is_app else principal.object_id


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"title": title, "status": status, "detail": detail}, status_code=status)


def _not_found(item_id: int) -> JSONResponse:
    return _problem(404, "Not Found", f"no ToDo item {item_id}")


def _body_doc(description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": TodoIn.model_json_schema()}},
        },
        "description": description,
    }


def build_router(guard: ApiGuard, store: TodoStore, settings: TodoApiSettings) -> APIRouter:
    read, write = permissions(settings)
    router = APIRouter(route_class=guard.route_class, tags=["todolist"])
    item_doc: dict[int | str, dict[str, Any]] = {200: {"model": TodoOut}, **_REFUSALS, **_MISSING}

    @router.get(BASE, responses={200: {"model": list[TodoOut]}, **_REFUSALS})
    @requires(read)
    async def list_todos(request: Request) -> Response:
        principal = principal_of(request)
        owner = _owner_filter(principal)
        if store.reads_inline:
            items = store.list(tenant_id=principal.tenant_id, owner=owner)
        else:
            items = await run_in_threadpool(store.list, tenant_id=principal.tenant_id, owner=owner)
        return JSONResponse([item.as_json() for item in items])

    @router.get(BASE + "/{item_id}", responses=item_doc)
    @requires(read)
    async def get_todo(request: Request, item_id: ItemId) -> Response:
        principal = principal_of(request)
        number = parse_id(item_id)
        tenant_id, owner = principal.tenant_id, _owner_filter(principal)
        if store.reads_inline:
            item = store.get(tenant_id=tenant_id, item_id=number, owner=owner)
        else:
            item = await run_in_threadpool(
                store.get, tenant_id=tenant_id, item_id=number, owner=owner
            )
        return JSONResponse(item.as_json()) if item else _not_found(number)

    @router.post(
        BASE,
        status_code=201,
        responses={201: {"model": TodoOut}, **_REFUSALS},
        openapi_extra=_body_doc("Apps may set `owner`; for users the owner is their `oid`."),
    )
    @requires(write)
    async def create_todo(request: Request) -> Response:
        principal = principal_of(request)
        todo = parse_todo(await request.body())
        if principal.is_app:
            owner = str(todo.owner) if todo.owner else EMPTY_GUID
        else:
            owner = principal.object_id
        item = await run_in_threadpool(
            store.add, tenant_id=principal.tenant_id, owner=owner, description=todo.description
        )
        return JSONResponse(
            item.as_json(), status_code=201, headers={"Location": f"{BASE}/{item.id}"}
        )

    @router.put(
        BASE + "/{item_id}",
        responses=item_doc,
        openapi_extra=_body_doc("Only `description` changes; `id` and `owner` are ignored."),
    )
    @requires(write)
    async def update_todo(request: Request, item_id: ItemId) -> Response:
        principal = principal_of(request)
        number = parse_id(item_id)
        todo = parse_todo(await request.body())
        item = await run_in_threadpool(
            store.update,
            tenant_id=principal.tenant_id,
            item_id=number,
            owner=_owner_filter(principal),
            description=todo.description,
        )
        return JSONResponse(item.as_json()) if item else _not_found(number)

    @router.delete(
        BASE + "/{item_id}",
        # 200 with an empty body and no Content-Type, as the sample's `Ok()`: documented so.
        response_class=Response,
        responses={200: {"description": "Deleted (empty body)"}, **_REFUSALS, **_MISSING},
    )
    @requires(write)
    async def delete_todo(request: Request, item_id: ItemId) -> Response:
        principal = principal_of(request)
        number = parse_id(item_id)
        deleted = await run_in_threadpool(
            store.delete,
            tenant_id=principal.tenant_id,
            item_id=number,
            owner=_owner_filter(principal),
        )
        return Response(status_code=200) if deleted else _not_found(number)

    return router


def create_app(
    settings: TodoApiSettings,
    store: TodoStore,
    authenticator: Authenticator,
    *,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """The ToDo API. `authenticator` is normally a BearerAuthenticator over a TokenValidator."""
    app = FastAPI(
        title="tenantlab ToDo list API",
        description="The protected web API of Microsoft's daemon samples, with real authorization.",
        version="1.0",
        lifespan=lifespan,
    )
    guard = ApiGuard(authenticator)
    app.include_router(build_router(guard, store, settings))
    _document_own_errors(app)
    document_bearer_security(app)
    app.state.todo_store = store
    app.state.guard = guard

    @app.exception_handler(BadRequest)
    async def bad_request(_: Request, exc: BadRequest) -> Response:
        return _problem(400, "Bad Request", exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> Response:
        # FastAPI's 422 would echo inputs and internal locations; say which part was wrong only.
        return _problem(400, "Bad Request", "the request is malformed")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        response = _problem(exc.status_code, str(exc.detail), str(exc.detail))
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.error(
            "unexpected error on %s %s: %s", request.method, request.url.path, type(exc).__name__
        )
        return _problem(500, "Internal Server Error", "the request could not be completed")

    return app


def _document_own_errors(app: FastAPI) -> None:
    """Drop FastAPI's generated 422: this API answers malformed requests 400 (`Problem`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        schemas = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def validator_for(
    settings: TodoApiSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> TokenValidator:
    settings.require_identity()
    return TokenValidator(
        TokenValidationSettings(
            instance=settings.instance,
            tenant=settings.tenant_id,
            audiences=settings.resolved_audiences,
            allowed_tenants=tuple(settings.allowed_tenants),
            allowed_client_ids=tuple(settings.allowed_client_ids),
            accept_v1=settings.accept_v1,
            leeway=settings.leeway,
            ca_bundle=settings.ca_bundle,
        ),
        transport=transport,
        clock=clock,
    )


class TodoApi:
    """The ToDo API with what it owns: the item database and the validator's HTTPS client.

    A context manager, like `DaemonClient`: `with TodoApi(settings) as todo: serve(todo.app)`
    releases both however the block ends. The validator's client must be closed on the loop
    that served: a server with lifespan events does it at shutdown; without them, call
    `await todo.aclose_validator()` on that loop before the servers stop (an idle keep-alive
    connection to a stopping server holds its shutdown up). `close()` then only disposes the
    database; if nothing closed the validator, `close()` closes it itself.
    """

    def __init__(
        self,
        settings: TodoApiSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings
        self.validator = validator_for(settings, transport=transport, clock=clock)
        self._validator_open = True
        self.database: Database = open_todo_database(settings.resolved_database_url)
        try:
            store = TodoStore(self.database, clock)
            self.app = create_app(
                settings, store, BearerAuthenticator(self.validator), lifespan=self._lifespan
            )
        except BaseException:
            self.database.dispose()
            raise

    @asynccontextmanager
    async def _lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        yield
        await self.aclose_validator()

    async def aclose_validator(self) -> None:
        self._validator_open = False
        await self.validator.aclose()

    def close(self) -> None:
        try:
            if self._validator_open:
                asyncio.run(self.aclose_validator())
        finally:
            self.database.dispose()

    def __enter__(self) -> TodoApi:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def build_app(
    settings: TodoApiSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> FastAPI:
    """The ToDo API from its settings, for callers that never close it (tests, benchmarks);
    a server uses `TodoApi`, which releases the database and the validator."""
    return TodoApi(settings, transport=transport, clock=clock).app
