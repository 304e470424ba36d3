"""What an object is a member of: `memberOf` and `transitiveMemberOf` of users, service
principals and groups, and the membership actions `checkMemberGroups`, `getMemberGroups` and
`getMemberObjects` (transitive, as in Graph; `getMemberObjects` is the groups overage's
endpoint), under `/users`, `/servicePrincipals`, `/groups` and `/directoryObjects`."""

from __future__ import annotations

from collections.abc import Callable

from tenantlab.directory import DirectoryObject
from tenantlab.graph.errors import InvalidRequest
from tenantlab.graph.groups import (
    GROUPS_READ,
    MAX_CHECKED_GROUPS,
    existing_object,
    relationship_page,
)
from tenantlab.graph.routing import (
    GraphRequest,
    Result,
    Route,
    not_found,
    object_id,
    reject_unknown,
    route,
)
from tenantlab.graph.service_principals import addressed_principal
from tenantlab.ids import is_guid, normalize_guid


def _subject(kind: str) -> Callable[[GraphRequest], DirectoryObject]:
    """The user, service principal or group a relationship path starts from."""

    def find(request: GraphRequest) -> DirectoryObject:
        if kind == "servicePrincipal":
            return DirectoryObject(kind, addressed_principal(request))
        key = request.match["key"]
        if kind != "user" or is_guid(key):  # users are also addressed by userPrincipalName
            key = object_id(key)
        elif "@" not in key:
            raise not_found(key)
        found = existing_object(request, key)
        if kind != "directoryObject" and found.kind != kind:
            raise not_found(key)
        return found

    return find


def member_of(kind: str, *, transitive: bool) -> Callable[[GraphRequest], Result]:
    subject = _subject(kind)

    def handler(request: GraphRequest) -> Result:
        obj = subject(request)
        directory = request.platform.directory
        read = directory.transitive_member_of if transitive else directory.member_of
        groups = read(tenant=request.tenant, key=obj.id)
        return relationship_page(request, [DirectoryObject("group", g) for g in groups])

    return handler


def _strings(request: GraphRequest, values: list[str]) -> Result:
    return Result(
        body={"@odata.context": request.context("Collection(Edm.String)"), "value": values}
    )


def _security_only(request: GraphRequest) -> bool:
    body = request.json()
    reject_unknown(body, frozenset({"securityEnabledOnly"}))
    value = body.get("securityEnabledOnly")
    if not isinstance(value, bool):
        raise InvalidRequest(
            "Invalid value specified for parameter 'securityEnabledOnly': expected true or false."
        )
    return value


def get_member_groups(kind: str) -> Callable[[GraphRequest], Result]:
    """`getMemberGroups` and `getMemberObjects`: the groups the object is in, transitively
    (tenantlab has no directory roles or administrative units, so both list groups)."""
    subject = _subject(kind)

    def handler(request: GraphRequest) -> Result:
        obj = subject(request)
        ids = request.platform.directory.member_group_ids(
            tenant=request.tenant, key=obj.id, security_enabled_only=_security_only(request)
        )
        return _strings(request, ids)

    return handler


def check_member_groups(kind: str) -> Callable[[GraphRequest], Result]:
    subject = _subject(kind)

    def handler(request: GraphRequest) -> Result:
        obj = subject(request)
        body = request.json()
        reject_unknown(body, frozenset({"groupIds"}))
        ids = body.get("groupIds")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise InvalidRequest(
                "Invalid value specified for parameter 'groupIds': a list of group ids."
            )
        if len(ids) > MAX_CHECKED_GROUPS:
            raise InvalidRequest(
                f"The 'groupIds' parameter holds {len(ids)} ids; at most {MAX_CHECKED_GROUPS} "
                "can be checked in one call."
            )
        wanted = [object_id(i) for i in ids]
        found = request.platform.directory.check_member_groups(
            tenant=request.tenant, key=obj.id, group_ids=wanted
        )
        return _strings(request, [normalize_guid(g) for g in found])

    return handler


_PATHS = {
    "user": "/users/{key}",
    "servicePrincipal": "/servicePrincipals{app}",
    "group": "/groups/{key}",
    "directoryObject": "/directoryObjects/{key}",
}


def _membership_routes() -> list[Route]:
    routes = []
    for kind, path in _PATHS.items():
        collection = "groups"
        if kind != "directoryObject":
            routes.append(
                route(
                    "GET",
                    path + "/memberOf",
                    member_of(kind, transitive=False),
                    GROUPS_READ,
                    collection,
                )
            )
            routes.append(
                route(
                    "GET",
                    path + "/transitiveMemberOf",
                    member_of(kind, transitive=True),
                    GROUPS_READ,
                    collection,
                )
            )
        for action in ("getMemberGroups", "getMemberObjects"):
            routes.append(
                route("POST", f"{path}/{action}", get_member_groups(kind), GROUPS_READ, collection)
            )
        routes.append(
            route(
                "POST",
                path + "/checkMemberGroups",
                check_member_groups(kind),
                GROUPS_READ,
                collection,
            )
        )
    return routes


ROUTES: list[Route] = _membership_routes()
