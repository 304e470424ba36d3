"""`$expand` on directory objects: related objects inline, within Graph's limits.

    GET /users/{id}?$expand=memberOf($select=id,displayName)
    GET /groups?$expand=members
    GET /servicePrincipals/{id}?$expand=appRoleAssignments

What expands (the navigation properties tenantlab models): users' `memberOf`; groups'
`members`, `owners`, `memberOf`; service principals' `memberOf`, `appRoleAssignments`. As Graph
does for directory objects, an expanded collection holds at most 20 objects (`MAX_EXPANDED`),
only one level expands (no `$expand` inside the parentheses; `$select` is the one option taken
there), and each relationship is named once. A name the type does not declare is Graph's 400
"Could not find a property named ..."; a declared property that is no relationship, the OData
400 "... is not a navigation property ..."; a relationship Graph has and tenantlab does not model
(`manager`, `directReports`, `ownedObjects`, an application's `owners`, ...) a 400
`Request_UnsupportedQuery` that says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tenantlab.directory import DirectoryObject
from tenantlab.graph.errors import InvalidRequest
from tenantlab.graph.odata import parse_select
from tenantlab.graph.routing import GraphRequest
from tenantlab.graph.shapes._shape import Shape
from tenantlab.graph.shapes.groups import choose_objects, directory_object_json

MAX_EXPANDED = 20
_ITEM = re.compile(r"\s*(?P<name>[A-Za-z][A-Za-z0-9_.]*)\s*(?:\((?P<options>[^()]*)\))?\s*$")
# Graph's relationships on these types that tenantlab does not model.
NOT_MODELLED = frozenset(
    {
        "manager",
        "directReports",
        "ownedObjects",
        "registeredOwners",
        "createdObjects",
        "ownedDevices",
        "registeredDevices",
        "transitiveMemberOf",
        "transitiveMembers",
        "appRoleAssignedTo",
        "oauth2PermissionGrants",
        "extensions",
        "owners",
    }
)


@dataclass(frozen=True)
class Expansion:
    name: str  # the relationship, as Graph spells it
    select: tuple[str, ...] | None


Related = Callable[[GraphRequest, str, tuple[str, ...] | None], list[dict[str, Any]]]


def _directory_objects(read: Callable[[GraphRequest, str], list[Any]]) -> Related:
    def related(request: GraphRequest, key: str, select: tuple[str, ...] | None) -> list[Any]:
        selection = choose_objects(select)
        directory = request.platform.directory
        objects = sorted(read(request, key), key=lambda o: o.id)[:MAX_EXPANDED]
        return [directory_object_json(directory, o, selection) for o in objects]

    return related


def _groups_of(request: GraphRequest, key: str) -> list[Any]:
    groups = request.platform.directory.member_of(tenant=request.tenant, key=key)
    return [DirectoryObject("group", group) for group in groups]


def _members(request: GraphRequest, key: str) -> list[Any]:
    return request.platform.directory.group_members(tenant=request.tenant, group=key)


def _owners(request: GraphRequest, key: str) -> list[Any]:
    return request.platform.directory.group_owners(tenant=request.tenant, group=key)


def _assignments(
    request: GraphRequest, key: str, select: tuple[str, ...] | None
) -> list[dict[str, Any]]:
    from tenantlab.graph.service_principals import assignment_json

    if select:
        raise InvalidRequest(
            "$select inside $expand=appRoleAssignments is not supported by tenantlab.",
            code="Request_UnsupportedQuery",
        )
    rows = request.platform.directory.app_role_assignments_of(
        tenant=request.tenant, principal_id=key
    )
    return [assignment_json(request, row) for row in rows[:MAX_EXPANDED]]


_MEMBER_OF = _directory_objects(_groups_of)
NAVIGATIONS: Mapping[str, Mapping[str, Related]] = {
    "microsoft.graph.user": {"memberOf": _MEMBER_OF},
    "microsoft.graph.group": {
        "members": _directory_objects(_members),
        "owners": _directory_objects(_owners),
        "memberOf": _MEMBER_OF,
    },
    "microsoft.graph.servicePrincipal": {
        "memberOf": _MEMBER_OF,
        "appRoleAssignments": _assignments,
    },
}


def parse_expand(text: str | None, shape: Shape[Any]) -> tuple[Expansion, ...]:
    """The `$expand` of a request on `shape`'s type, checked as Graph checks it."""
    if text is None:
        return ()
    navigations = NAVIGATIONS.get(shape.type_name, {})
    expansions: list[Expansion] = []
    for item in _split(text):
        match = _ITEM.match(item)
        if match is None:
            raise InvalidRequest(f"Invalid $expand clause: '{item.strip()}'.", code="BadRequest")
        wanted, options = match.group("name"), match.group("options")
        name = next((n for n in navigations if n.lower() == wanted.lower()), None)
        if name is None:
            raise _not_expandable(wanted, shape)
        if any(e.name == name for e in expansions):
            raise InvalidRequest(f"'{name}' is expanded twice.", code="BadRequest")
        expansions.append(Expansion(name, _options(options, name)))
    return tuple(expansions)


def _split(text: str) -> list[str]:
    """Top-level comma-separated items; nested parentheses are refused (one level only)."""
    items, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
            if depth > 1:
                raise InvalidRequest(
                    "Nested $expand is not supported: only one level of relationships expands.",
                    code="Request_UnsupportedQuery",
                )
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:index])
            start = index + 1
    items.append(text[start:])
    if depth != 0 or not all(i.strip() for i in items):
        raise InvalidRequest(f"Invalid $expand clause: '{text}'.", code="BadRequest")
    return items


def _options(text: str | None, name: str) -> tuple[str, ...] | None:
    if text is None or not text.strip():
        return None
    select: tuple[str, ...] | None = None
    for option in text.split(";"):
        key, _, value = option.partition("=")
        if key.strip().lower() == "$expand":
            raise InvalidRequest(
                "Nested $expand is not supported: only one level of relationships expands.",
                code="Request_UnsupportedQuery",
            )
        if key.strip().lower() != "$select":
            raise InvalidRequest(
                f"Only $select is supported inside $expand={name}(...); '{key.strip()}' is not.",
                code="Request_UnsupportedQuery",
            )
        select = parse_select(value)
    return select


def _not_expandable(wanted: str, shape: Shape[Any]) -> InvalidRequest:
    declared = next((n for n in shape.names if n.lower() == wanted.lower()), None)
    if declared is not None:
        return InvalidRequest(
            f"Property '{declared}' on type '{shape.type_name}' is not a navigation property or "
            "complex property. Only navigation properties can be expanded."
        )
    if any(n.lower() == wanted.lower() for n in NOT_MODELLED):
        return InvalidRequest(
            f"Expanding '{wanted}' on '{shape.type_name}' is not supported by tenantlab: the "
            "relationship is not modelled.",
            code="Request_UnsupportedQuery",
        )
    return InvalidRequest(
        f"Could not find a property named '{wanted}' on type '{shape.type_name}'."
    )


def expand(
    request: GraphRequest,
    shape: Shape[Any],
    expansions: tuple[Expansion, ...],
    values: list[dict[str, Any]],
) -> None:
    """Put each expanded relationship on each object (which carry their `id`)."""
    navigations = NAVIGATIONS.get(shape.type_name, {})
    for expansion in expansions:
        related = navigations[expansion.name]
        for value in values:
            value[expansion.name] = related(request, value["id"], expansion.select)
