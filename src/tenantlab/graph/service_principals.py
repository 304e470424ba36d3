"""`/servicePrincipals` and their `appRoleAssignments` (admin consent to app permissions)."""

from __future__ import annotations

from typing import Any

from tenantlab.directory import ServicePrincipalNotFound
from tenantlab.graph.errors import InvalidRequest
from tenantlab.graph.expand import expand, parse_expand
from tenantlab.graph.odata import list_options
from tenantlab.graph.routing import (
    APPLICATIONS_READ,
    APPLICATIONS_WRITE,
    ASSIGNMENTS_READ,
    ASSIGNMENTS_WRITE,
    GraphRequest,
    Result,
    Route,
    not_found,
    object_id,
    reject_unknown,
    route,
)
from tenantlab.graph.shapes import Selection
from tenantlab.graph.shapes.permissions import app_role_assignment_json
from tenantlab.graph.shapes.service_principals import SERVICE_PRINCIPAL, service_principal_document
from tenantlab.graph.users import collection_page, count_of, entity_context
from tenantlab.ids import is_guid, normalize_guid
from tenantlab.storage.schema import AppRoleAssignment, ServicePrincipal

ASSIGNMENT_PROPERTIES = frozenset({"principalId", "resourceId", "appRoleId", "principalType"})
# What a client may set on a service principal, and where the directory keeps it.
FLAGS = {"accountEnabled": "enabled", "appRoleAssignmentRequired": "required"}
CREATE_ALLOWED = frozenset({"appId", "tags", *FLAGS})
# Declared by Graph and writable there, but not modelled by tenantlab: refused with a reason
# rather than accepted and lost.
NOT_MODELLED = frozenset(
    {
        "addIns", "alternativeNames", "appRoles", "description", "displayName", "homepage",
        "keyCredentials", "loginUrl", "logoutUrl", "notes", "notificationEmailAddresses",
        "oauth2PermissionScopes", "passwordCredentials", "preferredSingleSignOnMode",
        "preferredTokenSigningKeyThumbprint", "replyUrls", "samlSingleSignOnSettings",
        "servicePrincipalNames", "tokenEncryptionKeyId",
    }
)  # fmt: skip
UPDATE_ALLOWED = frozenset({"tags", *FLAGS, *NOT_MODELLED})


def _principal_by_id(request: GraphRequest, key: str) -> ServicePrincipal:
    guid = object_id(key)
    try:
        found = request.platform.directory.get_service_principal(tenant=request.tenant, key=guid)
    except ServicePrincipalNotFound:
        raise not_found(key) from None
    if found.id != guid:
        raise not_found(key)
    return found


def addressed_principal(request: GraphRequest) -> ServicePrincipal:
    """The service principal a path names: `/servicePrincipals/{id}` or `(appId='...')`."""
    app_id = request.match.get("app_id")
    if app_id is not None:
        found = None
        if is_guid(app_id):
            found = next(
                (
                    sp
                    for sp in request.platform.directory.page_service_principals(
                        tenant=request.tenant,
                        query=_by_app_id(normalize_guid(app_id)),
                    ).items
                ),
                None,
            )
        if found is None:
            raise not_found(app_id)
        return found
    return _principal_by_id(request, request.match["key"])


def _by_app_id(app_id: str) -> Any:
    from tenantlab.directory.queries import Comparison, PageQuery

    return PageQuery(top=1, filter=Comparison("appId", "eq", app_id))


def _document(
    request: GraphRequest, sp: ServicePrincipal, selection: Selection = None
) -> dict[str, Any]:
    return service_principal_document(request.platform.directory, sp, selection)


def list_service_principals(request: GraphRequest) -> Result:
    options = list_options(request.params, request.headers, expandable=True)
    expansions = parse_expand(request.params.get("$expand"), SERVICE_PRINCIPAL)
    selection = SERVICE_PRINCIPAL.choose(options.select)
    page = request.platform.directory.page_service_principals(
        tenant=request.tenant, query=options.page
    )
    values = [_document(request, sp, selection) for sp in page.items]
    expand(request, SERVICE_PRINCIPAL, expansions, values)
    return collection_page(request, options, page, values, "servicePrincipals")


def get_service_principal(request: GraphRequest) -> Result:
    select = list_options({k: v for k, v in request.params.items() if k == "$select"}, {}).select
    expansions = parse_expand(request.params.get("$expand"), SERVICE_PRINCIPAL)
    selection = SERVICE_PRINCIPAL.choose(select)
    body = {"@odata.context": request.context(entity_context("servicePrincipals", select))}
    sp = _document(request, addressed_principal(request), selection)
    expand(request, SERVICE_PRINCIPAL, expansions, [sp])
    body.update(sp)
    return Result(body=body)


def _flags(body: dict[str, Any]) -> dict[str, bool]:
    """`accountEnabled` / `appRoleAssignmentRequired` from a body, checked as Edm.Boolean."""
    flags: dict[str, bool] = {}
    for name in FLAGS:
        if name not in body:
            continue
        value = body[name]
        if not isinstance(value, bool):
            raise InvalidRequest(
                f"Cannot convert the literal '{value}' to the expected type 'Edm.Boolean'."
            )
        flags[name] = value
    return flags


def _apply_flags(request: GraphRequest, sp: ServicePrincipal, flags: dict[str, bool]) -> None:
    directory = request.platform.directory
    if "accountEnabled" in flags and flags["accountEnabled"] != sp.account_enabled:
        directory.set_account_enabled(
            tenant=request.tenant, key=sp.id, enabled=flags["accountEnabled"]
        )
    required = flags.get("appRoleAssignmentRequired")
    if required is not None and required != sp.app_role_assignment_required:
        directory.set_assignment_required(tenant=request.tenant, key=sp.id, required=required)


def create_service_principal(request: GraphRequest) -> Result:
    body = request.json()
    reject_unknown(body, CREATE_ALLOWED)
    app_id = body.get("appId")
    if not isinstance(app_id, str) or not is_guid(app_id):
        raise InvalidRequest(
            "Invalid value specified for property 'appId' of resource 'ServicePrincipal'."
        )
    flags = _flags(body)
    directory = request.platform.directory
    sp = directory.create_service_principal(tenant=request.tenant, app_id=app_id)
    if flags:
        _apply_flags(request, sp, flags)
        sp = directory.get_service_principal(tenant=request.tenant, key=sp.id)
    document = {"@odata.context": request.context("servicePrincipals/$entity")}
    document.update(_document(request, sp))
    location = request.link(f"/servicePrincipals/{sp.id}", {})
    return Result(status=201, body=document, headers={"Location": location})


def update_service_principal(request: GraphRequest) -> Result:
    """PATCH: `accountEnabled` (disable or enable the app in this tenant) and
    `appRoleAssignmentRequired`; `tags` is accepted and ignored, as on create."""
    body = request.json()
    reject_unknown(body, UPDATE_ALLOWED)
    for name in body:
        if name in NOT_MODELLED:
            raise InvalidRequest(
                f"Updating '{name}' of a service principal is not supported by tenantlab."
            )
    flags = _flags(body)
    sp = addressed_principal(request)
    _apply_flags(request, sp, flags)
    return Result(status=204)


def assignment_json(request: GraphRequest, row: AppRoleAssignment) -> dict[str, Any]:
    directory = request.platform.directory
    principal = directory.get_service_principal(tenant=request.tenant, key=row.principal_id)
    resource = directory.get_service_principal(tenant=request.tenant, key=row.resource_id)
    return app_role_assignment_json(row, principal=principal, resource=resource)


def _assignments_context(request: GraphRequest, sp: ServicePrincipal, entity: bool) -> str:
    fragment = f"servicePrincipals('{sp.id}')/appRoleAssignments"
    return request.context(fragment + ("/$entity" if entity else ""))


def list_assignments(request: GraphRequest) -> Result:
    sp = addressed_principal(request)
    rows = request.platform.directory.app_role_assignments_of(
        tenant=request.tenant, principal_id=sp.id
    )
    return Result(
        body={
            "@odata.context": _assignments_context(request, sp, False),
            "value": [assignment_json(request, row) for row in rows],
        }
    )


def create_assignment(request: GraphRequest) -> Result:
    """Admin consent: `principalId` (this service principal) gets `appRoleId` of `resourceId`."""
    body = request.json()
    reject_unknown(body, ASSIGNMENT_PROPERTIES)
    sp = addressed_principal(request)
    for name in ("principalId", "resourceId", "appRoleId"):
        value = body.get(name)
        if not isinstance(value, str) or not is_guid(value):
            raise InvalidRequest(
                f"Invalid value specified for property '{name}' of resource 'AppRoleAssignment'."
            )
    if normalize_guid(body["principalId"]) != sp.id:
        raise InvalidRequest(
            "The principalId in the request body must be the service principal in the URL."
        )
    resource = _principal_by_id(request, body["resourceId"])
    directory = request.platform.directory
    role_id = normalize_guid(body["appRoleId"])
    roles = directory.effective_app_roles(resource)
    if not any(r["id"] == role_id for r in roles):
        raise InvalidRequest(
            f"Permission being assigned was not found on application '{resource.app_id}'."
        )
    existing = directory.app_role_assignments_of(tenant=request.tenant, principal_id=sp.id)
    if any(r.resource_id == resource.id and r.app_role_id == role_id for r in existing):
        raise InvalidRequest("Permission being assigned already exists on the object.")
    row = directory.grant_app_role(
        tenant=request.tenant, client=sp.id, resource=resource.id, role=role_id
    )
    document = {"@odata.context": _assignments_context(request, sp, True)}
    document.update(assignment_json(request, row))
    return Result(status=201, body=document)


def delete_assignment(request: GraphRequest) -> Result:
    sp = addressed_principal(request)
    key = request.match["sub"]
    rows = request.platform.directory.app_role_assignments_of(
        tenant=request.tenant, principal_id=sp.id
    )
    if not any(row.id == key for row in rows):
        raise not_found(key)
    request.platform.directory.revoke_app_role_assignment(tenant=request.tenant, assignment_id=key)
    return Result(status=204)


_SP = "/servicePrincipals{app}"
_ASSIGNMENTS = _SP + "/appRoleAssignments"
_C = "servicePrincipals"
ROUTES: list[Route] = [
    route("GET", "/servicePrincipals", list_service_principals, APPLICATIONS_READ, _C),
    route("POST", "/servicePrincipals", create_service_principal, APPLICATIONS_WRITE, _C),
    route(
        "GET",
        r"/servicePrincipals/\$count",
        count_of(lambda d: d.page_service_principals),
        APPLICATIONS_READ,
        _C,
    ),
    route("GET", _SP, get_service_principal, APPLICATIONS_READ, _C),
    route("PATCH", _SP, update_service_principal, APPLICATIONS_WRITE, _C),
    route("GET", _ASSIGNMENTS, list_assignments, ASSIGNMENTS_READ, _C),
    route("POST", _ASSIGNMENTS, create_assignment, ASSIGNMENTS_WRITE, _C),
    route("DELETE", _ASSIGNMENTS + "/{sub}", delete_assignment, ASSIGNMENTS_WRITE, _C),
]
