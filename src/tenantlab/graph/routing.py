"""The pieces every Graph route shares: the request a handler sees, its result, the route table.

Handlers are plain synchronous functions (they talk to the database through the directory) that
`app.py` runs in a worker thread; they never see Starlette, so they are tested with plain objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tenantlab.graph.auth import Caller
from tenantlab.graph.errors import InvalidRequest, ResourceNotFound
from tenantlab.ids import is_guid, normalize_guid
from tenantlab.platform import Platform

# Graph's application permissions that allow each kind of operation.
USERS_READ = frozenset(
    {"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
)
USERS_WRITE = frozenset({"User.ReadWrite.All", "Directory.ReadWrite.All"})
APPLICATIONS_READ = frozenset(
    {
        "Application.Read.All",
        "Application.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    }
)
APPLICATIONS_WRITE = frozenset({"Application.ReadWrite.All"})
ASSIGNMENTS_READ = APPLICATIONS_READ | {"AppRoleAssignment.ReadWrite.All"}
ASSIGNMENTS_WRITE = frozenset({"AppRoleAssignment.ReadWrite.All"})
AUDIT_LOGS_READ = frozenset({"AuditLog.Read.All"})

JSON_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)


@dataclass
class GraphRequest:
    platform: Platform
    caller: Caller
    method: str
    version: str  # "v1.0" or "beta"
    path: str  # after the version, e.g. "/users/abc"
    params: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: dict[str, Any] | None
    match: Mapping[str, str]

    @property
    def tenant(self) -> str:
        return self.caller.tenant_id

    def context(self, fragment: str) -> str:
        """`@odata.context`: this service's own $metadata, as Graph points at its own."""
        return f"{self.platform.settings.graph_origin}/{self.version}/$metadata#{fragment}"

    def link(self, path: str, params: Mapping[str, str]) -> str:
        from urllib.parse import urlencode

        query = urlencode(params, safe="$,'()")
        return f"{self.platform.settings.graph_origin}/{self.version}{path}" + (
            f"?{query}" if query else ""
        )

    def json(self) -> dict[str, Any]:
        if self.body is None:
            raise InvalidRequest(
                "Unable to read JSON request payload. Please ensure Content-Type header is set and "
                "payload is of valid JSON format.",
                code="BadRequest",
            )
        return self.body


@dataclass
class Result:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # plain-text bodies ($count)


Handler = Callable[[GraphRequest], Result]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    allowed: frozenset[str]
    collection: str  # for throttling costs


def route(
    method: str, path: str, handler: Handler, allowed: frozenset[str], collection: str
) -> Route:
    """`path` is a regex over the part after the version; `{key}`/`{sub}` name a segment."""
    pattern = path.replace("{key}", r"(?P<key>[^/()]+)").replace("{sub}", r"(?P<sub>[^/()]+)")
    # An entity addressed by object id (`/applications/{id}`) or by appId (`(appId='...')`).
    pattern = pattern.replace("{app}", r"(?:/(?P<key>[^/()]+)|\(appId='(?P<app_id>[^'/]*)'\))")
    return Route(method, re.compile(f"^{pattern}/?$"), handler, allowed, collection)


def object_id(value: str) -> str:
    """A path's object id; Graph answers 400 for one that is not a GUID."""
    if not is_guid(value):
        raise InvalidRequest(f"Invalid object identifier '{value}'.")
    return normalize_guid(value)


def not_found(key: str) -> ResourceNotFound:
    return ResourceNotFound(
        f"Resource '{key}' does not exist or one of its queried reference-property objects "
        "are not present."
    )


def reject_unknown(body: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Graph refuses properties the type does not declare (clients catch typos this way)."""
    for name in body:
        if name not in allowed and not name.startswith("@odata."):
            raise InvalidRequest(
                f"Property '{name}' does not exist as a declared property or extension property."
            )


_EDM = {str: "Edm.String", bool: "Edm.Boolean", list: "Collection(Edm.String)"}


def typed_fields(
    body: Mapping[str, Any],
    writable: Mapping[str, tuple[str, type]],
    complex_items: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The writable properties of a body as directory fields, each checked against its Edm type
    with Graph's message. Lists hold strings, or objects for the `complex_items` properties
    (name -> Graph's complex type, for the message); a null list becomes []."""
    complex_items = complex_items or {}
    fields: dict[str, Any] = {}
    for name, (column, kind) in writable.items():
        if name not in body:
            continue
        value = body[name]
        if value is not None and not isinstance(value, kind):
            raise InvalidRequest(
                f"Cannot convert the literal '{value}' to the expected type '{_EDM[kind]}'."
            )
        item_type = dict if name in complex_items else str
        if isinstance(value, list) and not all(isinstance(item, item_type) for item in value):
            item_name = complex_items.get(name, "Edm.String")
            raise InvalidRequest(f"Cannot convert a value to the expected type '{item_name}'.")
        fields[column] = value if value is not None or kind is not list else []
    return fields
