"""Microsoft Graph for the emulated tenant, as an ASGI app served under `/v1.0` and `/beta`.

Every request goes: request ids -> token validation (`tenantlab.apiauth`, on the event loop) ->
tenant rules -> the caller's service principal still enabled -> route -> permission gate ->
throttling -> handler -> JSON. Handlers use the synchronous directory: they run in a worker thread,
except GETs on SQLite, which run on the event loop (cheaper than the hop; see `reads_inline`). Every
failure, ours or the directory's, is rendered in one place (`_error_response`, the body by
`errors.error_body`) as Graph's envelope:
`{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}`,
with the `request-id` and `client-request-id` headers Graph sends on every response.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tenantlab.apiauth import Principal
from tenantlab.directory import DirectoryError, ServicePrincipalNotFound
from tenantlab.directory.audits import Initiator, acting_as
from tenantlab.graph import (
    applications,
    audit_logs,
    batch,
    directory_audits,
    groups,
    groups_delta,
    member_of,
    service_principals,
    users,
)
from tenantlab.graph.auth import WWW_AUTHENTICATE, Caller, GraphAuthenticator, TenantState
from tenantlab.graph.errors import (
    GraphError,
    InvalidAuthenticationToken,
    InvalidRequest,
    MethodNotAllowed,
    TooManyRequests,
    error_body,
    error_document,
)
from tenantlab.graph.routing import JSON_TYPE, GraphRequest, Result, Route
from tenantlab.graph.settings import GraphSettings, load_graph_settings
from tenantlab.graph.throttling import Throttle, request_cost, tenant_budget
from tenantlab.ids import new_guid
from tenantlab.platform import Platform

log = logging.getLogger("tenantlab.graph")

ROUTES: list[Route] = [
    *users.ROUTES,
    *applications.ROUTES,
    *service_principals.ROUTES,
    *audit_logs.ROUTES,
    *directory_audits.ROUTES,
    *groups_delta.ROUTES,  # ahead of `/groups/{id}`
    *groups.ROUTES,
    *member_of.ROUTES,
]
VERSIONS = ("v1.0", "beta")
MAX_BODY = 1_000_000
DISABLED_APP = "Access token validation failure. The application is disabled in this tenant."
INTERNAL = "An internal error occurred; see the tenantlab log."


class GraphApp:
    """The Graph front end over one platform (directory, keys, clock)."""

    def __init__(self, platform: Platform, *, throttle_limit: int | None = None) -> None:
        self.platform = platform
        self.auth = GraphAuthenticator(platform)
        self.throttle = Throttle(platform.clock, throttle_limit, platform.counters)
        self._budgets: dict[str, tuple[int, int]] = {}  # tenant -> (revision, budget)
        # service principal id -> (revision, accountEnabled) at that revision
        self._enabled: dict[str, tuple[int, bool]] = {}
        # A SQLite read costs less than handing it to a worker thread (as in the ToDo API): GETs
        # run on the event loop there; writes and anything on PostgreSQL go to the thread pool.
        self.reads_inline = platform.database.is_sqlite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        ids = {
            "request-id": new_guid(),
            "client-request-id": request.headers.get("client-request-id") or new_guid(),
        }
        try:
            response = await self._handle(request, ids)
        except GraphError as exc:
            response = _error_response(
                exc.status, exc.code, exc.message, ids, exc.headers, now=self.platform.clock.now()
            )
        except DirectoryError as exc:
            response = _error_response(
                exc.status, exc.code, exc.message, ids, now=self.platform.clock.now()
            )
        except Exception:
            # The cause goes to the log by type and place only: SQL errors can carry values.
            log.exception("Graph request failed")
            response = _error_response(
                500,
                "UnknownError",
                INTERNAL,
                ids,
                now=self.platform.clock.now(),
            )
        response.headers.update(ids)
        await response(scope, receive, send)

    async def _handle(self, request: Request, ids: Mapping[str, str]) -> Response:
        version, _, rest = request.url.path.lstrip("/").partition("/")
        if version not in VERSIONS:
            raise InvalidRequest(f"Invalid version: {version}", code="BadRequest")
        principal = await self.auth.authenticate(request)
        method = request.method
        raw = await request.body() if method in ("POST", "PATCH") else b""
        # `v1.0//users`: msgraph-sdk joins its base URL, which ends with a slash, to `/users`.
        path = "/" + rest.lstrip("/")
        if path.rstrip("/") == "/$batch":
            if method != "POST":
                raise MethodNotAllowed(
                    "Specified HTTP method is not allowed for the request target."
                )
            return _render(await run_in_threadpool(self._batch, principal, version, ids, raw))
        work = (
            ids["client-request-id"],
            principal,
            method,
            version,
            path,
            query_options(request.query_params.multi_items()),
            dict(request.headers.items()),  # ASGI header names are lower-case already
            raw,
        )
        if method == "GET" and self.reads_inline:
            result, extra = self._process(*work)
        else:  # one hop to a worker thread for all the synchronous work
            result, extra = await run_in_threadpool(self._process, *work)
        response = _render(result)
        response.headers.update(extra)
        return response

    def _process(
        self,
        correlation_id: str,
        principal: Principal,
        method: str,
        version: str,
        path: str,
        params: dict[str, str],
        headers: dict[str, str],
        raw_body: bytes,
    ) -> tuple[Result, dict[str, str]]:
        """Tenant rules, route, check the permission, charge the budget, run the handler."""
        caller, tenant_state = self.auth.tenants.admit(principal)
        self._require_enabled(caller)
        route, match = _resolve(method, path)
        caller.require(route.allowed)
        throttle_headers = self._charge(caller, tenant_state, route, method, params)
        graph_request = GraphRequest(
            platform=self.platform,
            caller=caller,
            method=method,
            version=version,
            path=path,
            params=params,
            headers=headers,
            body=_json_body(raw_body),
            match=match,
        )
        # The caller is the initiator of every directory change this request makes.
        with acting_as(
            Initiator.app(app_id=caller.app_id, service_principal_id=caller.service_principal_id),
            correlation_id,
        ):
            return route.handler(graph_request), throttle_headers

    def _batch(
        self, principal: Principal, version: str, ids: Mapping[str, str], raw: bytes
    ) -> Result:
        """`POST /$batch`: each request through `_process`, as if it came on its own."""
        caller, _ = self.auth.tenants.admit(principal)
        self._require_enabled(caller)
        document = _json_body(raw)
        if document is None:
            raise InvalidRequest("Invalid batch payload format.", code="BadRequest")
        correlation_id = ids["client-request-id"]

        def envelope(code: str, message: str) -> dict[str, Any]:
            inner_ids = {"request-id": new_guid(), "client-request-id": correlation_id}
            return error_document(code, message, inner_ids, self.platform.clock.now())

        def execute(item: batch.BatchItem) -> tuple[int, dict[str, str], Any]:
            raw_path, _, query = item.url.partition("?")
            path = unquote(raw_path)  # as the ASGI server decodes a request's own path
            try:
                params = query_options(parse_qsl(query, keep_blank_values=True))
                result, extra = self._process(
                    correlation_id, principal, item.method, version, "/" + path.lstrip("/"),
                    params, item.headers, item.body,
                )  # fmt: skip
            except (GraphError, DirectoryError) as exc:
                headers = {**getattr(exc, "headers", {}), "Content-Type": JSON_TYPE}
                return exc.status, headers, envelope(exc.code, exc.message)
            except Exception:
                log.exception("Graph batch request failed")
                return 500, {"Content-Type": JSON_TYPE}, envelope("UnknownError", INTERNAL)
            headers = {**result.headers, **extra}
            if result.text is not None:
                headers["Content-Type"] = "text/plain;charset=utf-8"
                return result.status, headers, result.text
            if result.body is not None:
                headers["Content-Type"] = JSON_TYPE
            return result.status, headers, result.body

        return Result(body=batch.run(batch.parse(document), execute, envelope))

    def _require_enabled(self, caller: Caller) -> None:
        """Tokens of an app disabled in its tenant stop working once the revision moves (Graph
        re-reads it at most every `auth.REVISION_TTL`): one lookup per caller and revision."""
        revision = self.auth.tenants.revision()
        known = self._enabled.get(caller.service_principal_id)
        if known is None or known[0] != revision:
            try:
                sp = self.platform.directory.get_service_principal(
                    tenant=caller.tenant_id, key=caller.service_principal_id
                )
                enabled = sp.account_enabled or sp.id != caller.service_principal_id
            except ServicePrincipalNotFound:
                enabled = True  # deletion is not disabling; tokens live out their lifetime
            known = (revision, enabled)
            self._enabled[caller.service_principal_id] = known
        if not known[1]:
            raise InvalidAuthenticationToken(
                DISABLED_APP, headers={"WWW-Authenticate": WWW_AUTHENTICATE}
            )

    def _charge(
        self,
        caller: Caller,
        state: TenantState,
        route: Route,
        method: str,
        params: Mapping[str, str],
    ) -> dict[str, str]:
        if not state.throttling:
            return {}
        budget = self._budget(caller.tenant_id)
        top = params.get("$top")
        cost = request_cost(
            method,
            route.collection,
            selected="$select" in params,
            top=int(top) if top and top.isdigit() else None,
            expanded="$expand" in params,
        )
        decision = self.throttle.charge(caller.tenant_id, caller.app_id, cost, budget)
        headers = decision.headers(caller.tenant_id, caller.app_id)
        if not decision.allowed:
            raise TooManyRequests(
                "Too many requests. The application exceeded its resource unit budget; retry "
                "after the number of seconds in Retry-After.",
                headers=headers,
            )
        return headers

    def _budget(self, tenant_id: str) -> int:
        """The tenant's per-app budget by size, recounted only when the directory changed."""
        revision = self.auth.tenants.revision()
        cached = self._budgets.get(tenant_id)
        if cached is not None and cached[0] == revision:
            return cached[1]
        from tenantlab.directory.queries import PageQuery

        page = self.platform.directory.page_users(
            tenant=tenant_id, query=PageQuery(top=1, count=True)
        )
        budget = tenant_budget(page.count or 0)
        self._budgets[tenant_id] = (revision, budget)
        return budget


def _resolve(method: str, path: str) -> tuple[Route, dict[str, str]]:
    allowed_methods = []
    for candidate in ROUTES:
        match = candidate.pattern.match(path)
        if match is None:
            continue
        if candidate.method == method:
            return candidate, {k: v for k, v in match.groupdict().items() if v is not None}
        allowed_methods.append(candidate.method)
    if allowed_methods:
        raise MethodNotAllowed("Specified HTTP method is not allowed for the request target.")
    segment = next((s for s in path.split("/") if s), "")
    raise InvalidRequest(f"Resource not found for the segment '{segment}'.", code="BadRequest")


def query_options(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Query options; Graph accepts `$top` and `top` alike, and repeats are an error."""
    params: dict[str, str] = {}
    for name, value in items:
        key = name if name.startswith("$") or name.startswith("@") else f"${name}"
        known = key.lower() in {"$top", "$select", "$filter", "$orderby", "$count", "$skiptoken"}
        if not name.startswith("$") and not known:
            continue  # ordinary query parameters are not OData options
        key = key.lower() if known else key
        if key in params:
            raise InvalidRequest(f"Query option '{key}' was specified more than once.")
        params[key] = value
    return params


def _json_body(raw: bytes) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    if len(raw) > MAX_BODY:
        raise InvalidRequest("The request body is too large.", code="BadRequest")
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise InvalidRequest(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and "
            "payload is of valid JSON format.",
            code="BadRequest",
        )
    return value


def _render(result: Result) -> Response:
    if result.text is not None:
        return Response(result.text, result.status, result.headers, "text/plain;charset=utf-8")
    if result.body is None:
        return Response(None, result.status, result.headers)
    content = json.dumps(result.body, separators=(",", ":"), ensure_ascii=False)
    return Response(content.encode(), result.status, result.headers, JSON_TYPE)


def _error_response(
    status: int,
    code: str,
    message: str,
    ids: Mapping[str, str],
    headers: Mapping[str, str] | None = None,
    *,
    now: float,
) -> Response:
    return Response(error_body(code, message, ids, now), status, dict(headers or {}), JSON_TYPE)


def create_app(
    platform: Platform,
    *,
    settings: GraphSettings | None = None,
    throttle_limit: int | None = None,
) -> ASGIApp:
    """Graph over `platform`; `throttle_limit` (or TENANTLAB_GRAPH_THROTTLE_LIMIT) replaces the
    published budget of tenants with throttling on."""
    settings = settings or load_graph_settings()
    return GraphApp(platform, throttle_limit=throttle_limit or settings.throttle_limit)
