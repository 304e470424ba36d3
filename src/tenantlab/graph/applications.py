"""`/applications`: app registrations, their secrets, certificates and federated credentials."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tenantlab.directory import ApplicationNotFound, CredentialNotFound
from tenantlab.graph.errors import InvalidRequest
from tenantlab.graph.odata import list_options
from tenantlab.graph.routing import (
    APPLICATIONS_READ,
    APPLICATIONS_WRITE,
    GraphRequest,
    Result,
    Route,
    not_found,
    object_id,
    reject_unknown,
    route,
)
from tenantlab.graph.shapes import Selection
from tenantlab.graph.shapes.applications import APPLICATION, application_document
from tenantlab.graph.shapes.credentials import federated_credential_json, password_credential_json
from tenantlab.graph.users import collection_page, count_of, entity_context
from tenantlab.ids import is_guid, normalize_guid
from tenantlab.storage.schema import Application

MODELLED = frozenset(
    {
        "displayName",
        "description",
        "signInAudience",
        "identifierUris",
        "appRoles",
        "api",
        "optionalClaims",
        "requiredResourceAccess",
        "groupMembershipClaims",
    }
)
# Declared by Graph but not modelled by tenantlab: accepted and ignored, so real scripts run.
IGNORED = frozenset(
    {"tags", "notes", "web", "spa", "publicClient", "info", "isFallbackPublicClient"}
)
FIC_PROPERTIES = frozenset({"name", "issuer", "subject", "audiences", "description"})


def _application(request: GraphRequest) -> Application:
    directory = request.platform.directory
    if "app_id" in request.match and request.match["app_id"] is not None:
        app_id = request.match["app_id"]
        found = (
            directory.find_application_by_app_id(normalize_guid(app_id))
            if is_guid(app_id)
            else None
        )
        if found is None or found.tenant_id != request.tenant:
            raise not_found(app_id)
        return found
    key = request.match["key"]
    guid = object_id(key)
    try:
        found = directory.get_application(tenant=request.tenant, app=guid)
    except ApplicationNotFound:
        raise not_found(key) from None
    if found.id != guid:  # Graph addresses applications by object id only (appId: the other form)
        raise not_found(key)
    return found


def _document(
    request: GraphRequest, app: Application, selection: Selection = None
) -> dict[str, Any]:
    return application_document(request.platform.directory, app, selection)


def list_applications(request: GraphRequest) -> Result:
    options = list_options(request.params, request.headers)
    selection = APPLICATION.choose(options.select)
    page = request.platform.directory.page_applications(tenant=request.tenant, query=options.page)
    values = [_document(request, a, selection) for a in page.items]
    return collection_page(request, options, page, values, "applications")


def get_application(request: GraphRequest) -> Result:
    select = list_options({k: v for k, v in request.params.items() if k == "$select"}, {}).select
    selection = APPLICATION.choose(select)
    body = {"@odata.context": request.context(entity_context("applications", select))}
    body.update(_document(request, _application(request), selection))
    return Result(body=body)


def _api(body: dict[str, Any]) -> dict[str, Any]:
    api = body.get("api")
    if api is None:
        return {}
    if not isinstance(api, dict):
        raise InvalidRequest(
            "Invalid value specified for property 'api' of resource 'Application'."
        )
    return api


def create_application(request: GraphRequest) -> Result:
    body = request.json()
    reject_unknown(body, MODELLED | IGNORED | {"keyCredentials"})
    api = _api(body)
    directory = request.platform.directory
    app = directory.create_application(
        tenant=request.tenant,
        display_name=body.get("displayName"),  # type: ignore[arg-type] # validated there
        sign_in_audience=body.get("signInAudience") or "AzureADMyOrg",
        identifier_uris=body.get("identifierUris") or [],
        requested_access_token_version=api.get("requestedAccessTokenVersion"),
        app_roles=body.get("appRoles") or [],
        oauth2_permission_scopes=api.get("oauth2PermissionScopes") or [],
        optional_claims=body.get("optionalClaims"),
        required_resource_access=body.get("requiredResourceAccess"),
        description=body.get("description"),
        create_service_principal=False,  # Graph leaves that to POST /servicePrincipals
    )
    if body.get("keyCredentials") or body.get("groupMembershipClaims") is not None:
        try:
            if body.get("keyCredentials"):
                directory.replace_key_credentials(
                    tenant=request.tenant, app=app.id, entries=body["keyCredentials"]
                )
            if body.get("groupMembershipClaims") is not None:
                app = directory.update_application(
                    tenant=request.tenant,
                    app=app.id,
                    changes={"groupMembershipClaims": body["groupMembershipClaims"]},
                )
        except Exception:
            directory.delete_application(tenant=request.tenant, app=app.id)
            raise
    document = {"@odata.context": request.context("applications/$entity")}
    document.update(_document(request, app))
    location = request.link(f"/applications/{app.id}", {})
    return Result(status=201, body=document, headers={"Location": location})


def update_application(request: GraphRequest) -> Result:
    body = request.json()
    if "passwordCredentials" in body:
        raise InvalidRequest(
            "passwordCredentials cannot be changed with PATCH; use addPassword and removePassword."
        )
    reject_unknown(body, MODELLED | IGNORED | {"keyCredentials"})
    app = _application(request)
    directory = request.platform.directory
    changes = {k: v for k, v in body.items() if k in MODELLED}
    if changes:
        directory.update_application(tenant=request.tenant, app=app.id, changes=changes)
    if "keyCredentials" in body:
        directory.replace_key_credentials(
            tenant=request.tenant, app=app.id, entries=body["keyCredentials"] or []
        )
    return Result(status=204)


def delete_application(request: GraphRequest) -> Result:
    app = _application(request)
    request.platform.directory.delete_application(tenant=request.tenant, app=app.id)
    return Result(status=204)


def _instant(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"Invalid value specified for property '{name}'.")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidRequest(
            f"Cannot convert the literal '{value}' to the expected type 'Edm.DateTimeOffset'."
        ) from None


def add_password(request: GraphRequest) -> Result:
    body = request.body or {}
    reject_unknown(body, frozenset({"passwordCredential"}))
    spec = body.get("passwordCredential")
    spec = {} if spec is None else spec
    if not isinstance(spec, dict):
        raise InvalidRequest("Invalid value specified for property 'passwordCredential'.")
    reject_unknown(spec, frozenset({"displayName", "startDateTime", "endDateTime"}))
    app = _application(request)
    created = request.platform.directory.add_password(
        tenant=request.tenant,
        app=app.id,
        display_name=spec.get("displayName"),
        start=_instant(spec.get("startDateTime"), "startDateTime"),
        end=_instant(spec.get("endDateTime"), "endDateTime"),
    )
    document = {"@odata.context": request.context("microsoft.graph.passwordCredential")}
    document.update(password_credential_json(created.credential, secret_text=created.secret_text))
    return Result(body=document)


def remove_password(request: GraphRequest) -> Result:
    body = request.json()
    key_id = body.get("keyId")
    if not isinstance(key_id, str) or not is_guid(key_id):
        raise InvalidRequest("Invalid value specified for property 'keyId'.")
    app = _application(request)
    request.platform.directory.remove_password(tenant=request.tenant, app=app.id, key_id=key_id)
    return Result(status=204)


# -- federated identity credentials -------------------------------------------------------------


def _fic_context(request: GraphRequest, app: Application, entity: bool) -> str:
    fragment = f"applications('{app.id}')/federatedIdentityCredentials"
    return request.context(fragment + ("/$entity" if entity else ""))


def list_federated(request: GraphRequest) -> Result:
    app = _application(request)
    rows = request.platform.directory.federated_credentials(app.id)
    return Result(
        body={
            "@odata.context": _fic_context(request, app, False),
            "value": [federated_credential_json(row) for row in rows],
        }
    )


def _federated(request: GraphRequest, app: Application) -> Any:
    key = request.match["sub"]
    for row in request.platform.directory.federated_credentials(app.id):
        if row.id == key.lower() or row.name.lower() == key.lower():
            return row
    raise not_found(key)


def get_federated(request: GraphRequest) -> Result:
    app = _application(request)
    body = {"@odata.context": _fic_context(request, app, True)}
    body.update(federated_credential_json(_federated(request, app)))
    return Result(body=body)


def create_federated(request: GraphRequest) -> Result:
    body = request.json()
    reject_unknown(body, FIC_PROPERTIES)
    app = _application(request)
    for name in ("name", "issuer", "subject", "audiences"):
        if body.get(name) in (None, "", []):
            raise InvalidRequest(f"Property '{name}' is required.")
    audiences = body["audiences"]
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise InvalidRequest("audiences must be a list of strings.")
    row = request.platform.directory.add_federated_credential(
        tenant=request.tenant,
        app=app.id,
        name=str(body["name"]),
        issuer=str(body["issuer"]),
        subject=str(body["subject"]),
        audiences=audiences,
        description=body.get("description"),
    )
    document = {"@odata.context": _fic_context(request, app, True)}
    document.update(federated_credential_json(row))
    return Result(status=201, body=document)


def update_federated(request: GraphRequest) -> Result:
    body = request.json()
    reject_unknown(body, FIC_PROPERTIES)
    app = _application(request)
    row = _federated(request, app)
    request.platform.directory.update_federated_credential(
        tenant=request.tenant, app=app.id, name_or_id=row.id, changes=body
    )
    return Result(status=204)


def delete_federated(request: GraphRequest) -> Result:
    app = _application(request)
    row = _federated(request, app)
    try:
        request.platform.directory.remove_federated_credential(
            tenant=request.tenant, app=app.id, name_or_id=row.id
        )
    except CredentialNotFound:
        raise not_found(request.match["sub"]) from None
    return Result(status=204)


_APP = "/applications{app}"
_FIC = _APP + "/federatedIdentityCredentials"
ROUTES: list[Route] = [
    route("GET", "/applications", list_applications, APPLICATIONS_READ, "applications"),
    route("POST", "/applications", create_application, APPLICATIONS_WRITE, "applications"),
    route(
        "GET",
        r"/applications/\$count",
        count_of(lambda d: d.page_applications),
        APPLICATIONS_READ,
        "applications",
    ),
    route("GET", _APP, get_application, APPLICATIONS_READ, "applications"),
    route("PATCH", _APP, update_application, APPLICATIONS_WRITE, "applications"),
    route("DELETE", _APP, delete_application, APPLICATIONS_WRITE, "applications"),
    route("POST", _APP + "/addPassword", add_password, APPLICATIONS_WRITE, "applications"),
    route("POST", _APP + "/removePassword", remove_password, APPLICATIONS_WRITE, "applications"),
    route("GET", _FIC, list_federated, APPLICATIONS_READ, "applications"),
    route("POST", _FIC, create_federated, APPLICATIONS_WRITE, "applications"),
    route("GET", _FIC + "/{sub}", get_federated, APPLICATIONS_READ, "applications"),
    route("PATCH", _FIC + "/{sub}", update_federated, APPLICATIONS_WRITE, "applications"),
    route("DELETE", _FIC + "/{sub}", delete_federated, APPLICATIONS_WRITE, "applications"),
]
