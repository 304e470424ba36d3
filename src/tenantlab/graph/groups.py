"""`/groups` and who is in what: members and owners (`$ref`), transitive members, `memberOf` and
`transitiveMemberOf` of users, service principals and groups, and the three membership actions
(`checkMemberGroups`, `getMemberGroups`, `getMemberObjects`).

Relationship lists (`/members`, `/memberOf`, ...) are directory objects of mixed types, paged by
object id with `$top`/`$skiptoken`, selectable with `$select`; `$filter`, `$search` and
`$orderby` on them need Graph's advanced queries, which tenantlab does not offer there (a 400
saying so, not a silently unfiltered list).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tenantlab.directory import (
    DirectoryObject,
    DirectoryObjectNotFound,
    GroupNotFound,
    NotFound,
    ServicePrincipalNotFound,
)
from tenantlab.directory.queries import Page
from tenantlab.graph.errors import InvalidRequest
from tenantlab.graph.expand import expand, parse_expand
from tenantlab.graph.odata import list_options, parse_top
from tenantlab.graph.routing import (
    ASSIGNMENTS_WRITE,
    GraphRequest,
    Result,
    Route,
    not_found,
    object_id,
    reject_unknown,
    route,
    typed_fields,
)
from tenantlab.graph.shapes.groups import GROUP, choose_objects, directory_object_json
from tenantlab.graph.shapes.permissions import app_role_assignment_json
from tenantlab.graph.users import collection_page, count_of, entity_context
from tenantlab.ids import is_guid, normalize_guid
from tenantlab.storage.schema import Group

_DIRECTORY_READ = frozenset({"Directory.Read.All", "Directory.ReadWrite.All"})
# Graph's application permissions for groups (least privileged first).
GROUPS_READ = _DIRECTORY_READ | {
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
}
GROUPS_WRITE = frozenset({"Group.ReadWrite.All", "Directory.ReadWrite.All"})
MEMBERS_WRITE = GROUPS_WRITE | {"GroupMember.ReadWrite.All"}

WRITABLE: dict[str, tuple[str, type]] = {
    "displayName": ("display_name", str),
    "description": ("description", str),
    "mailNickname": ("mail_nickname", str),
    "mailEnabled": ("mail_enabled", bool),
    "securityEnabled": ("security_enabled", bool),
    "groupTypes": ("group_types", list),
    "visibility": ("visibility", str),
}
BINDS = ("members@odata.bind", "owners@odata.bind")
CREATE_ALLOWED = frozenset({*WRITABLE, *BINDS})
UPDATE_ALLOWED = frozenset({*WRITABLE, *BINDS}) - {"groupTypes"}
REQUIRED_ON_CREATE = ("displayName", "mailEnabled", "mailNickname", "securityEnabled")
MAX_BINDS = 20  # members@odata.bind: at most 20 objects per request
MAX_CHECKED_GROUPS = 20  # checkMemberGroups: at most 20 group ids
_REFERENCE = re.compile(
    r"/(?:directoryObjects|users|groups|servicePrincipals)/(?P<id>[^/?#]+)/?$", re.IGNORECASE
)


# -- /groups ---------------------------------------------------------------------------------------


def _group(request: GraphRequest) -> Group:
    key = request.match["key"]
    try:
        return request.platform.directory.get_group(tenant=request.tenant, key=object_id(key))
    except GroupNotFound:
        raise not_found(key) from None


def list_groups(request: GraphRequest) -> Result:
    options = list_options(request.params, request.headers, expandable=True)
    expansions = parse_expand(request.params.get("$expand"), GROUP)
    selection = GROUP.choose(options.select)
    page = request.platform.directory.page_groups(tenant=request.tenant, query=options.page)
    values = [GROUP.render(group, selection) for group in page.items]
    expand(request, GROUP, expansions, values)
    return collection_page(request, options, page, values, "groups")


def get_group(request: GraphRequest) -> Result:
    select = list_options({k: v for k, v in request.params.items() if k == "$select"}, {}).select
    body = {"@odata.context": request.context(entity_context("groups", select))}
    group = GROUP.render(_group(request), GROUP.choose(select))
    expand(request, GROUP, parse_expand(request.params.get("$expand"), GROUP), [group])
    body.update(group)
    return Result(body=body)


def _bound(request: GraphRequest, body: Mapping[str, Any], name: str) -> list[str]:
    """Object ids of a `members@odata.bind` / `owners@odata.bind` list of URLs."""
    if name not in body:
        return []
    urls = body[name]
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise InvalidRequest(f"Invalid value specified for property '{name}' of resource 'Group'.")
    if len(urls) > MAX_BINDS:
        raise InvalidRequest(
            f"The request contains {len(urls)} references in '{name}'; at most {MAX_BINDS} "
            "can be added in a single request."
        )
    return [_referenced_id(url) for url in urls]


def _referenced_id(url: str) -> str:
    match = _REFERENCE.search(url.strip())
    if match is None:
        raise InvalidRequest(f"Invalid URL format specified in @odata.bind or @odata.id: '{url}'.")
    return object_id(match.group("id"))


def _bind(request: GraphRequest, group_id: str, body: Mapping[str, Any]) -> None:
    directory = request.platform.directory
    for member in _bound(request, body, "members@odata.bind"):
        existing_object(request, member)
        directory.add_group_member(tenant=request.tenant, group=group_id, member=member)
    for owner in _bound(request, body, "owners@odata.bind"):
        existing_object(request, owner)
        directory.add_group_owner(tenant=request.tenant, group=group_id, owner=owner)


def create_group(request: GraphRequest) -> Result:
    body = request.json()
    reject_unknown(body, CREATE_ALLOWED)
    for name in REQUIRED_ON_CREATE:
        if body.get(name) in (None, ""):
            raise InvalidRequest(
                f"Invalid value specified for property '{name}' of resource 'Group'."
            )
    fields = typed_fields(body, WRITABLE)
    _bound(request, body, "members@odata.bind")  # checked before anything is made
    _bound(request, body, "owners@odata.bind")
    directory = request.platform.directory
    group = directory.create_group(tenant=request.tenant, **fields)
    _bind(request, group.id, body)
    document = {"@odata.context": request.context("groups/$entity")}
    document.update(GROUP.render(group))
    location = request.link(f"/groups/{group.id}", {})
    return Result(status=201, body=document, headers={"Location": location})


def update_group(request: GraphRequest) -> Result:
    body = request.json()
    if "groupTypes" in body:
        raise InvalidRequest("Property 'groupTypes' is read-only once the group is created.")
    reject_unknown(body, UPDATE_ALLOWED)
    fields = typed_fields(body, WRITABLE)
    _bound(request, body, "members@odata.bind")
    _bound(request, body, "owners@odata.bind")
    group = _group(request)
    if fields:
        request.platform.directory.update_group(tenant=request.tenant, key=group.id, **fields)
    _bind(request, group.id, body)
    return Result(status=204)


def delete_group(request: GraphRequest) -> Result:
    group = _group(request)
    request.platform.directory.delete_group(tenant=request.tenant, key=group.id)
    return Result(status=204)


# -- relationships: members, owners, memberOf ------------------------------------------------------


def existing_object(request: GraphRequest, key: str) -> DirectoryObject:
    """The user, service principal or group with object id `key` (a user also by
    userPrincipalName), or Graph's 404. Not by appId or name, which only the CLI takes."""
    try:
        found = request.platform.directory.get_directory_object(tenant=request.tenant, key=key)
    except DirectoryObjectNotFound:
        raise not_found(key) from None
    if (found.id != normalize_guid(key)) if is_guid(key) else found.kind != "user":
        raise not_found(key)
    return found


def relationship_page(request: GraphRequest, objects: list[DirectoryObject]) -> Result:
    """A page of directory objects by object id, as Graph pages a relationship."""
    for name in ("$filter", "$search", "$orderby"):
        if name in request.params:
            raise InvalidRequest(
                f"{name} on a relationship needs Graph's advanced queries, which tenantlab does "
                "not offer here; list the objects and filter them on your side.",
                code="Request_UnsupportedQuery",
            )
    options = list_options(request.params, request.headers)
    selection = choose_objects(options.select)
    ordered = sorted(objects, key=lambda o: o.id)
    after = options.page.after[1] if options.page.after else None
    if after is not None:
        ordered = [o for o in ordered if o.id > after]
    top = parse_top(request.params.get("$top"))
    chosen = ordered[:top]
    more = len(ordered) > top
    page: Page[DirectoryObject] = Page(
        chosen,
        (None, chosen[-1].id) if more and chosen else None,
        len(objects) if options.page.count else None,
    )
    directory = request.platform.directory
    values = [directory_object_json(directory, o, selection) for o in chosen]
    return collection_page(request, options, page, values, "directoryObjects")


def list_members(request: GraphRequest) -> Result:
    group = _group(request)
    members = request.platform.directory.group_members(tenant=request.tenant, group=group.id)
    return relationship_page(request, members)


def list_transitive_members(request: GraphRequest) -> Result:
    group = _group(request)
    directory = request.platform.directory
    return relationship_page(
        request, directory.transitive_group_members(tenant=request.tenant, group=group.id)
    )


def list_owners(request: GraphRequest) -> Result:
    group = _group(request)
    owners = request.platform.directory.group_owners(tenant=request.tenant, group=group.id)
    return relationship_page(request, owners)


def _reference(request: GraphRequest) -> str:
    body = request.json()
    reject_unknown(body, frozenset())
    url = body.get("@odata.id")
    if not isinstance(url, str) or not url.strip():
        raise InvalidRequest(
            "The request body must contain the reference to add as '@odata.id' (for example "
            "https://graph.microsoft.com/v1.0/directoryObjects/{id})."
        )
    return existing_object(request, _referenced_id(url)).id


def add_member(request: GraphRequest) -> Result:
    group, member = _group(request), _reference(request)
    request.platform.directory.add_group_member(
        tenant=request.tenant, group=group.id, member=member
    )
    return Result(status=204)


def remove_member(request: GraphRequest) -> Result:
    group, member = _group(request), existing_object(request, object_id(request.match["sub"]))
    request.platform.directory.remove_group_member(
        tenant=request.tenant, group=group.id, member=member.id
    )
    return Result(status=204)


def add_owner(request: GraphRequest) -> Result:
    group, owner = _group(request), _reference(request)
    request.platform.directory.add_group_owner(tenant=request.tenant, group=group.id, owner=owner)
    return Result(status=204)


def remove_owner(request: GraphRequest) -> Result:
    group, owner = _group(request), existing_object(request, object_id(request.match["sub"]))
    request.platform.directory.remove_group_owner(
        tenant=request.tenant, group=group.id, owner=owner.id
    )
    return Result(status=204)


# -- app roles assigned to groups ------------------------------------------------------------------

ASSIGNMENT_PROPERTIES = frozenset({"principalId", "resourceId", "appRoleId", "principalType"})


def list_group_assignments(request: GraphRequest) -> Result:
    group = _group(request)
    rows = request.platform.directory.group_app_role_assignments(
        tenant=request.tenant, group=group.id
    )
    values = [app_role_assignment_json(a, principal=g, resource=sp) for a, g, sp in rows]
    context = request.context(f"groups('{group.id}')/appRoleAssignments")
    return Result(body={"@odata.context": context, "value": values})


def create_group_assignment(request: GraphRequest) -> Result:
    group = _group(request)
    body = request.json()
    reject_unknown(body, ASSIGNMENT_PROPERTIES)
    for name in ("principalId", "resourceId", "appRoleId"):
        value = body.get(name)
        if not isinstance(value, str) or not is_guid(value):
            raise InvalidRequest(
                f"Invalid value specified for property '{name}' of resource 'AppRoleAssignment'."
            )
    if normalize_guid(body["principalId"]) != group.id:
        raise InvalidRequest("The principalId must be the id of the group in the request URL.")
    directory = request.platform.directory
    try:
        assignment = directory.assign_app_role_to_group(
            tenant=request.tenant,
            group=group.id,
            resource=object_id(body["resourceId"]),
            role=normalize_guid(body["appRoleId"]),
        )
    except ServicePrincipalNotFound:
        raise not_found(body["resourceId"]) from None
    resource = directory.get_service_principal(tenant=request.tenant, key=assignment.resource_id)
    document = {"@odata.context": request.context("appRoleAssignments/$entity")}
    document.update(app_role_assignment_json(assignment, principal=group, resource=resource))
    return Result(status=201, body=document)


def delete_group_assignment(request: GraphRequest) -> Result:
    group = _group(request)
    try:
        request.platform.directory.remove_group_app_role(
            tenant=request.tenant, group=group.id, assignment=request.match["sub"]
        )
    except NotFound:
        raise not_found(request.match["sub"]) from None
    return Result(status=204)


_G = "/groups/{key}"


ROUTES: list[Route] = [
    route("GET", "/groups", list_groups, GROUPS_READ, "groups"),
    route("POST", "/groups", create_group, GROUPS_WRITE, "groups"),
    route("GET", r"/groups/\$count", count_of(lambda d: d.page_groups), GROUPS_READ, "groups"),
    route("GET", _G, get_group, GROUPS_READ, "groups"),
    route("PATCH", _G, update_group, GROUPS_WRITE, "groups"),
    route("DELETE", _G, delete_group, GROUPS_WRITE, "groups"),
    route("GET", _G + "/members", list_members, GROUPS_READ, "groups"),
    route("POST", _G + r"/members/\$ref", add_member, MEMBERS_WRITE, "groups"),
    route("DELETE", _G + r"/members/{sub}/\$ref", remove_member, MEMBERS_WRITE, "groups"),
    route("GET", _G + "/transitiveMembers", list_transitive_members, GROUPS_READ, "groups"),
    route("GET", _G + "/owners", list_owners, GROUPS_READ, "groups"),
    route("GET", _G + "/appRoleAssignments", list_group_assignments, GROUPS_READ, "groups"),
    route("POST", _G + "/appRoleAssignments", create_group_assignment, ASSIGNMENTS_WRITE, "groups"),
    route(
        "DELETE",
        _G + "/appRoleAssignments/{sub}",
        delete_group_assignment,
        ASSIGNMENTS_WRITE,
        "groups",
    ),
    route("POST", _G + r"/owners/\$ref", add_owner, GROUPS_WRITE, "groups"),
    route("DELETE", _G + r"/owners/{sub}/\$ref", remove_owner, GROUPS_WRITE, "groups"),
]
