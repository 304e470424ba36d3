"""Protecting FastAPI routes: every route declares the permission it needs, or it is refused.

    guard = ApiGuard(BearerAuthenticator(TokenValidator(settings)))
    router = APIRouter(route_class=guard.route_class)

    @router.get("/items")
    @requires(READ)                      # below the route decorator
    async def list_items(request: Request) -> list[Item]:
        principal = principal_of(request)

Authentication and authorization run in the route handler itself rather than in a `Depends`:
FastAPI's dependency machinery costs about as much as a cached token check (api-security.md §4.4),
and a route class sees every route, so a route that forgot its `@requires` is refused (403)
instead of served (Microsoft.Identity.Web's scope handlers succeed in that case: fail open).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from starlette.responses import JSONResponse, Response

from tenantlab.apiauth.errors import ApiAuthError, InsufficientScope, InvalidToken, MissingToken
from tenantlab.apiauth.groups import GraphGroups
from tenantlab.apiauth.principal import Principal
from tenantlab.apiauth.validator import TokenValidator

logger = logging.getLogger("tenantlab.apiauth")

PRINCIPAL_KEY = "tenantlab.principal"
BEARER_SCHEME = "bearer"
_PERMISSION_ATTR = "__tenantlab_permission__"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Permission:
    """What a route accepts: any of `scopes` for users (`scp`), any of `app_permissions` for apps.

    Apps are judged by `roles` only and users by `scp` only: app roles such as
    `ToDoList.Read.All` are application permissions, so a user token cannot earn them.
    """

    name: str
    scopes: frozenset[str] = frozenset()
    app_permissions: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, name: str, *, scopes: Iterable[str] = (), app_permissions: Iterable[str] = ()
    ) -> Permission:
        return cls(name, frozenset(scopes), frozenset(app_permissions))

    def allows(self, principal: Principal) -> bool:
        if principal.is_app:
            return not self.app_permissions.isdisjoint(principal.roles)
        return not self.scopes.isdisjoint(principal.scopes)

    @property
    def accepted(self) -> tuple[str, ...]:
        return tuple(sorted(self.scopes | self.app_permissions))


def requires(permission: Permission) -> Callable[[F], F]:
    """Declare the permission of a route; put it below `@router.get(...)`."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, _PERMISSION_ATTR, permission)
        return endpoint

    return mark


def declared_permission(endpoint: Callable[..., Any]) -> Permission | None:
    value = getattr(endpoint, _PERMISSION_ATTR, None)
    return value if isinstance(value, Permission) else None


def principal_of(request: Request) -> Principal:
    """The caller of a protected route (set before the endpoint runs)."""
    principal = request.scope.get(PRINCIPAL_KEY)
    if not isinstance(principal, Principal):
        raise RuntimeError("principal_of() used outside a route protected by ApiGuard")
    return principal


class Authenticator(Protocol):
    async def authenticate(self, request: Request) -> Principal: ...


class BearerAuthenticator:
    """Reads `Authorization: Bearer <token>` (RFC 6750 §2.1) and validates the token."""

    def __init__(self, validator: TokenValidator, *, groups: GraphGroups | None = None) -> None:
        """`groups`: resolve the groups overage from Graph, so `principal.groups` is complete."""
        self.validator = validator
        self.groups = groups
        # Cap before decoding anything: uvicorn+httptools accepts megabyte headers (§4.5).
        self._max_header = validator.settings.max_token_length + len("Bearer ")

    async def authenticate(self, request: Request) -> Principal:
        found: bytes | None = None
        for name, value in request.scope["headers"]:
            if name == b"authorization":
                if found is not None:
                    raise InvalidToken("several_authorization_headers")
                found = value
        if found is None:
            raise MissingToken("no_authorization_header")
        if len(found) > self._max_header:
            raise InvalidToken("token_too_large")
        scheme, _, token = found.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer":
            raise MissingToken("not_a_bearer_authorization")
        token = token.strip(" ")
        if not token:
            raise InvalidToken("empty_bearer_token")
        principal = await self.validator.validate(token)
        if self.groups is not None and principal.group_overage:
            principal = await self.groups.resolve(principal)
        return principal


def error_response(error: ApiAuthError) -> Response:
    headers = {"Cache-Control": "no-store"}
    challenge = error.www_authenticate()
    if challenge is not None:
        headers["WWW-Authenticate"] = challenge
    return JSONResponse(
        {"error": error.error, "error_description": error.description},
        status_code=error.status_code,
        headers=headers,
    )


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ApiGuard:
    """Authenticates and authorizes every request to routes built with `route_class`."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator
        self.route_class = self._make_route_class()

    async def admit(self, request: Request, permission: Permission | None) -> Response | None:
        """None when the request may proceed; else the 401/403/503 response to send."""
        try:
            principal = await self.authenticator.authenticate(request)
            if permission is None:
                logger.error("route %r declares no permission: refused", request.url.path)
                raise InsufficientScope("route_declares_no_permission")
            if not permission.allows(principal):
                raise InsufficientScope(f"lacks_{permission.name}", permission.accepted)
        except ApiAuthError as error:
            client = request.client.host if request.client else "-"
            logger.info(
                "refused %s %r from %s: %s", request.method, request.url.path, client, error.reason
            )
            return error_response(error)
        request.scope[PRINCIPAL_KEY] = principal
        return None

    def _make_route_class(self) -> type[APIRoute]:
        guard = self

        class ProtectedRoute(APIRoute):
            def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
                super().__init__(path, endpoint, **kwargs)
                extra = dict(self.openapi_extra or {})
                extra.setdefault("security", [{BEARER_SCHEME: []}])
                permission = declared_permission(endpoint)
                if permission is not None:
                    note = f"Requires one of: {', '.join(permission.accepted)}."
                    extra["description"] = f"{extra.get('description', '')}\n\n{note}".strip()
                self.openapi_extra = extra

            def get_route_handler(self) -> Handler:
                inner = super().get_route_handler()
                permission = declared_permission(self.endpoint)

                async def handler(request: Request) -> Response:
                    refusal = await guard.admit(request, permission)
                    if refusal is not None:
                        return refusal
                    return await inner(request)

                return handler

        return ProtectedRoute


def document_bearer_security(
    app: FastAPI, description: str = "Microsoft Entra access token"
) -> None:
    """Declare the bearer scheme that protected routes reference in /docs (OpenAPI)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})[BEARER_SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": description,
        }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
